"""initial schema: repos, accounts, issues, PRs, reviews, comments, sync state

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:08:16.651563
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import contribbot.store.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_login"), ["login"], unique=True)

    op.create_table(
        "http_cache",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("updated_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "repository",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("html_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repository", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repository_full_name"), ["full_name"], unique=True)

    op.create_table(
        "sync_state",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_pr", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("state_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_association", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("created_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("closed_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("html_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["repo_id"],
            ["repository.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repo_id", "number"),
    )
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.create_index("ix_issue_author_closed", ["author_id", "closed_at"], unique=False)
        batch_op.create_index("ix_issue_author_created", ["author_id", "created_at"], unique=False)
        batch_op.create_index("ix_issue_repo_updated", ["repo_id", "updated_at"], unique=False)

    op.create_table(
        "sync_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"],
            ["repository.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "repo_id", "number"),
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", contribbot.store.models.UTCDateTime(), nullable=False),
        sa.Column("author_association", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comment_author_created", ["author_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_comment_issue", ["issue_id", "created_at"], unique=False)

    op.create_table(
        "pullrequest",
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("merged_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("merged_by_label", sa.Boolean(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.create_index("ix_pr_merged", ["merged_at"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("pr_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("submitted_at", contribbot.store.models.UTCDateTime(), nullable=True),
        sa.Column("author_association", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["pr_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index("ix_review_pr", ["pr_id", "submitted_at"], unique=False)
        batch_op.create_index(
            "ix_review_reviewer_submitted", ["reviewer_id", "submitted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_reviewer_submitted")
        batch_op.drop_index("ix_review_pr")

    op.drop_table("review")
    with op.batch_alter_table("pullrequest", schema=None) as batch_op:
        batch_op.drop_index("ix_pr_merged")

    op.drop_table("pullrequest")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_issue")
        batch_op.drop_index("ix_comment_author_created")

    op.drop_table("comment")
    op.drop_table("sync_task")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_repo_updated")
        batch_op.drop_index("ix_issue_author_created")
        batch_op.drop_index("ix_issue_author_closed")

    op.drop_table("issue")
    op.drop_table("sync_state")
    with op.batch_alter_table("repository", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repository_full_name"))

    op.drop_table("repository")
    op.drop_table("http_cache")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_login"))

    op.drop_table("account")
