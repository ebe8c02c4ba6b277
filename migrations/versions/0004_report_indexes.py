"""report indexes: covering indexes for the weekly report's counts

The report counts a year of contributions per user for its streaks; with these the
database answers each kind of contribution from the index alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 05:53:23.524420
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_author_created"))
        batch_op.create_index(
            "ix_comment_author_kind_created", ["author_id", "kind", "created_at"], unique=False
        )

    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_author_created"))
        batch_op.create_index(
            "ix_issue_author_created_pr", ["author_id", "created_at", "is_pr"], unique=False
        )

    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pr_merged"))
        batch_op.create_index("ix_pr_merged_issue", ["merged_at", "issue_id"], unique=False)

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reviewer_submitted"))
        batch_op.create_index(
            "ix_review_reviewer_submitted_pr",
            ["reviewer_id", "submitted_at", "pr_id", "state"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_reviewer_submitted_pr")
        batch_op.create_index(
            batch_op.f("ix_review_reviewer_submitted"),
            ["reviewer_id", "submitted_at"],
            unique=False,
        )

    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_index("ix_pr_merged_issue")
        batch_op.create_index(batch_op.f("ix_pr_merged"), ["merged_at"], unique=False)

    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_author_created_pr")
        batch_op.create_index(
            batch_op.f("ix_issue_author_created"), ["author_id", "created_at"], unique=False
        )

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_author_kind_created")
        batch_op.create_index(
            batch_op.f("ix_comment_author_created"), ["author_id", "created_at"], unique=False
        )
