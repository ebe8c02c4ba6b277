"""seen_event: public events already handled (the feed read as a set)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import contribbot.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_event",
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("login", "event_id"),
    )
    with op.batch_alter_table("seen_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_event_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_event_created_at"))

    op.drop_table("seen_event")
