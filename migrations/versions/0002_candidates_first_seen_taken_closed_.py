"""candidates: first seen, taken, closed, timeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 05:22:39.729513
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import contribbot.store.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate",
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("first_seen", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("checked_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("taken_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("closed_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("timeline", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["repo_id"],
            ["repository.id"],
        ),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_repo_id"), ["repo_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_repo_id"))

    op.drop_table("candidate")
