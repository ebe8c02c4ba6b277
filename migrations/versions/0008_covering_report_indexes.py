"""covering indexes for the report: its lookups read an index, not the table rows

The 52-week count, the open PRs and the review speeds look items up by id for their
author, and filter closed items and PRs by state, timeline and merge: each such lookup
read the issue row (title, body, labels) after the index. These indexes carry the
columns those queries read, so SQLite answers them from the index alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_author_closed")
        batch_op.create_index(
            "ix_issue_author_closed_state",
            ["author_id", "closed_at", "state", "is_pr", "id"],
            unique=False,
        )
        batch_op.create_index("ix_issue_id_pr_author", ["id", "is_pr", "author_id"], unique=False)
        batch_op.create_index(
            "ix_issue_created_pr_repo",
            ["created_at", "is_pr", "id", "repo_id", "author_id"],
            unique=False,
        )

    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_index("ix_pr_merged_issue")
        batch_op.create_index(
            "ix_pr_merged_issue_timeline", ["merged_at", "issue_id", "timeline_at"], unique=False
        )

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_pr")
        batch_op.create_index(
            "ix_review_pr_reviewer", ["pr_id", "submitted_at", "reviewer_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_pr_reviewer")
        batch_op.create_index("ix_review_pr", ["pr_id", "submitted_at"], unique=False)

    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_index("ix_pr_merged_issue_timeline")
        batch_op.create_index("ix_pr_merged_issue", ["merged_at", "issue_id"], unique=False)

    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_created_pr_repo")
        batch_op.drop_index("ix_issue_id_pr_author")
        batch_op.drop_index("ix_issue_author_closed_state")
        batch_op.create_index("ix_issue_author_closed", ["author_id", "closed_at"], unique=False)
