"""work units and workers: leases for `contrib worker`, and the workers' heartbeats

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:38:10.353134
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import contribbot.store.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("every", sa.Integer(), nullable=True),
        sa.Column("due_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("leased_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("lease_until", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("work_unit", schema=None) as batch_op:
        batch_op.create_index("ix_work_unit_due", ["due_at", "lease_until"], unique=False)

    op.create_table(
        "worker",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("seen_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("units_done", sa.Integer(), nullable=False),
        sa.Column("stopped_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("worker")
    with op.batch_alter_table("work_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_work_unit_due")

    op.drop_table("work_unit")
