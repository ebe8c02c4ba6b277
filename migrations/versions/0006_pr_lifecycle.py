"""pr lifecycle: raw timeline events of tracked PRs, and the landings/reverts derived from them

`lifecycle_event` keeps what GitHub's timeline said; `pr_lifecycle` is derived from it
and rebuilt when `merged_labels`/`reverted_labels` change; `pullrequest.timeline_at`
says a PR's lifecycle comes from its timeline.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:40:50.029983
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import contribbot.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("commit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lifecycle_event", schema=None) as batch_op:
        batch_op.create_index("ix_lifecycle_event_issue", ["issue_id", "created_at"], unique=False)

    op.create_table(
        "pr_lifecycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("by_label", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pr_lifecycle", schema=None) as batch_op:
        batch_op.create_index("ix_pr_lifecycle_at_issue", ["at", "issue_id"], unique=False)
        batch_op.create_index("ix_pr_lifecycle_issue", ["issue_id"], unique=False)

    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timeline_at", contribbot.store.models.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_column("timeline_at")

    with op.batch_alter_table("pr_lifecycle", schema=None) as batch_op:
        batch_op.drop_index("ix_pr_lifecycle_issue")
        batch_op.drop_index("ix_pr_lifecycle_at_issue")

    op.drop_table("pr_lifecycle")
    with op.batch_alter_table("lifecycle_event", schema=None) as batch_op:
        batch_op.drop_index("ix_lifecycle_event_issue")

    op.drop_table("lifecycle_event")
