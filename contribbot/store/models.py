"""The tables. GitHub ids are the primary keys of GitHub objects, so upserts are idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel

from contribbot.timeutil import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store as naive UTC."""
        return None if value is None else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Hand back aware UTC."""
        return None if value is None else as_utc(value)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """SQLite hands back text: parse it as UTC in one step (a report reads 100,000s of
        times; parsing to naive, then `replace(tzinfo=...)`, took several times longer)."""
        fallback = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or fallback is None:
            return fallback

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            try:
                return datetime.fromisoformat(f"{value}+00:00")
            except (TypeError, ValueError):  # not the text SQLAlchemy writes
                return fallback(value)

        return process


def _time(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Table(SQLModel):
    """The base of every table: pydantic builds a table's validator only when first used.

    Rows are made from trusted values (table models do not validate on construction), so
    the schemas are rarely needed; building them for 16 tables cost ~50 ms of every command."""

    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]  # SQLModel merges it


class Repository(Table, table=True):
    """A tracked repository."""

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(unique=True, index=True, max_length=200)
    github_id: int | None = Field(default=None, sa_type=BigInteger)
    html_url: str | None = Field(default=None, max_length=500)


class Account(Table, table=True):
    """A GitHub account seen as an author, reviewer or commenter."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, index=True, max_length=100)
    github_id: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(default="User", max_length=20)


class Issue(Table, table=True):
    """An issue or a PR (GitHub models a PR as an issue); PR-only fields are in PullRequest."""

    __table_args__ = (
        UniqueConstraint("repo_id", "number"),
        Index("ix_issue_author_created_pr", "author_id", "created_at", "is_pr"),
        # the report reads these without touching the table (migration 0008)
        Index("ix_issue_author_closed_state", "author_id", "closed_at", "state", "is_pr", "id"),
        Index("ix_issue_id_pr_author", "id", "is_pr", "author_id"),
        Index("ix_issue_created_pr_repo", "created_at", "is_pr", "id", "repo_id", "author_id"),
        Index("ix_issue_repo_updated", "repo_id", "updated_at"),
    )

    id: int = Field(primary_key=True, sa_type=BigInteger)  # GitHub's id
    repo_id: int = Field(foreign_key="repository.id")
    number: int
    is_pr: bool = Field(default=False)
    title: str = Field(sa_type=Text)
    body: str = Field(default="", sa_type=Text)
    state: str = Field(max_length=10)
    state_reason: str | None = Field(default=None, max_length=20)
    author_id: int | None = Field(default=None, foreign_key="account.id")
    author_association: str | None = Field(default=None, max_length=30)
    created_at: datetime = _time(nullable=False)
    updated_at: datetime = _time(nullable=False)
    closed_at: datetime | None = _time()
    labels: list[str] = _json_list()
    assignees: list[str] = _json_list()
    comments: int = Field(default=0)
    html_url: str = Field(max_length=500)


class PullRequest(Table, table=True):
    """PR-only facts. `merged_at` is when it landed: GitHub's merge, or a merged label on close."""

    __table_args__ = (Index("ix_pr_merged_issue_timeline", "merged_at", "issue_id", "timeline_at"),)

    issue_id: int = Field(primary_key=True, foreign_key="issue.id", sa_type=BigInteger)
    draft: bool = Field(default=False)
    merged_at: datetime | None = _time()
    merged_by_label: bool = Field(default=False)
    files: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # set once its timeline was read: then its landings, reverts and close come from
    # the `pr_lifecycle` rows, not from merged_at/closed_at
    timeline_at: datetime | None = _time()


class LifecycleEventRecord(Table, table=True):
    """A raw timeline event of a tracked PR (labeled, unlabeled, closed, reopened, merged).

    Kept as GitHub sent it, so a change of `merged_labels`/`reverted_labels` re-derives
    the history without asking GitHub again.
    """

    __tablename__ = "lifecycle_event"
    __table_args__ = (Index("ix_lifecycle_event_issue", "issue_id", "created_at"),)

    id: int = Field(primary_key=True, sa_type=BigInteger)  # GitHub's event id
    issue_id: int = Field(foreign_key="issue.id", sa_type=BigInteger)
    event: str = Field(max_length=20)
    label: str | None = Field(default=None, max_length=200)
    actor: str | None = Field(default=None, max_length=100)
    commit_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _time(nullable=False)


class PRLifecycle(Table, table=True):
    """Derived from `lifecycle_event`: each landing (pr_merged), revert (pr_reverted) and
    unmerged close (pr_closed) of a PR, at the time it happened."""

    __tablename__ = "pr_lifecycle"
    __table_args__ = (
        Index("ix_pr_lifecycle_at_issue", "at", "issue_id"),
        Index("ix_pr_lifecycle_issue", "issue_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", sa_type=BigInteger)
    kind: str = Field(max_length=20)
    at: datetime = _time(nullable=False)
    by_label: bool = Field(default=False)


class Review(Table, table=True):
    """A submitted review on a PR."""

    __table_args__ = (
        Index("ix_review_reviewer_submitted_pr", "reviewer_id", "submitted_at", "pr_id", "state"),
        Index("ix_review_pr_reviewer", "pr_id", "submitted_at", "reviewer_id", "state"),
    )

    id: int = Field(primary_key=True, sa_type=BigInteger)
    pr_id: int = Field(foreign_key="issue.id", sa_type=BigInteger)
    reviewer_id: int = Field(foreign_key="account.id")
    state: str = Field(max_length=20)
    submitted_at: datetime | None = _time()
    author_association: str | None = Field(default=None, max_length=30)


class Comment(Table, table=True):
    """A conversation comment (kind "issue") or an inline review comment (kind "review")."""

    __table_args__ = (
        Index("ix_comment_author_kind_created", "author_id", "kind", "created_at"),
        Index("ix_comment_issue", "issue_id", "created_at"),
    )

    id: int = Field(primary_key=True, sa_type=BigInteger)
    kind: str = Field(max_length=10)
    issue_id: int = Field(foreign_key="issue.id", sa_type=BigInteger)
    author_id: int = Field(foreign_key="account.id")
    review_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _time(nullable=False)
    updated_at: datetime = _time(nullable=False)
    author_association: str | None = Field(default=None, max_length=30)
    body: str = Field(default="", sa_type=Text)
    html_url: str = Field(max_length=500)


class SyncState(Table, table=True):
    """Small named facts of the sync: high-water marks, backfill progress, rate limits."""

    __tablename__ = "sync_state"

    key: str = Field(primary_key=True, max_length=300)
    value: str = Field(sa_type=Text)
    updated_at: datetime = _time(nullable=False)


class HttpCache(Table, table=True):
    """The ETag of a URL, per token identity, for conditional requests."""

    __tablename__ = "http_cache"

    key: str = Field(primary_key=True, max_length=64)  # sha256(identity, url)
    url: str = Field(sa_type=Text)
    etag: str = Field(max_length=300)
    updated_at: datetime = _time(nullable=False)


class SeenEvent(Table, table=True):
    """A user's public event already handled (the feed is read as a set: late events)."""

    __tablename__ = "seen_event"

    login: str = Field(primary_key=True, max_length=100)
    event_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    created_at: datetime = _time(index=True, nullable=False)


class SyncTask(Table, table=True):
    """A follow-up fetch owed to an item (its reviews, its comments, the issue itself)."""

    __tablename__ = "sync_task"
    __table_args__ = (UniqueConstraint("kind", "repo_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    repo_id: int = Field(foreign_key="repository.id")
    number: int
    created_at: datetime = _time(nullable=False)


class CandidateRecord(Table, table=True):
    """A good-first-issue candidate's history, and its timeline as last fetched."""

    __tablename__ = "candidate"

    issue_id: int = Field(primary_key=True, foreign_key="issue.id", sa_type=BigInteger)
    repo_id: int = Field(foreign_key="repository.id", index=True)
    number: int
    first_seen: datetime = _time(nullable=False)
    checked_at: datetime | None = _time()
    taken_at: datetime | None = _time()  # when it became taken (for someone not involved)
    closed_at: datetime | None = _time()
    status: str = Field(default="free", max_length=20)  # as seen by someone not involved
    timeline: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class Delivery(Table, table=True):
    """The outbox: one row per message to post, keyed so a report goes out once per destination.

    status: pending -> sending (recorded before the POST) -> sent | failed | failed_permanent.
    A row still "sending" after a crash is in doubt: it is re-sent marked "(resent)".
    """

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("destination", "kind", "subject", "period", "part"),)

    id: int | None = Field(default=None, primary_key=True)
    destination: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # weekly, daily, candidates
    subject: str = Field(max_length=100)  # a login, or "cohort"
    period: str = Field(max_length=40)  # 2026-W47, or a date for daily
    part: int = Field(default=1)
    parts: int = Field(default=1)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = Field(default=0)
    created_at: datetime = _time(nullable=False)
    attempted_at: datetime | None = _time()
    sent_at: datetime | None = _time()
    message_id: str | None = Field(default=None, max_length=100)
    error: str | None = Field(default=None, sa_type=Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WorkUnit(Table, table=True):
    """A unit of work shared by `contrib worker`s: claimed with a lease that expires.

    key names the unit (`streams:owner/name`, `events:login`, `backfill:owner/name:login`,
    `candidates`, `deliver`); `every` (seconds) makes it come back after it ran, or None
    for a one-shot unit that is deleted when done.
    """

    __tablename__ = "work_unit"
    __table_args__ = (Index("ix_work_unit_due", "due_at", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    kind: str = Field(max_length=20)
    every: int | None = Field(default=None)
    due_at: datetime = _time(nullable=False)
    leased_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _time()
    attempts: int = Field(default=0)
    done_at: datetime | None = _time()
    error: str | None = Field(default=None, sa_type=Text)


class Worker(Table, table=True):
    """A `contrib worker` process as it last reported itself (its heartbeat)."""

    __tablename__ = "worker"

    id: str = Field(primary_key=True, max_length=100)  # host:pid:random
    host: str = Field(max_length=200)
    pid: int
    started_at: datetime = _time(nullable=False)
    seen_at: datetime = _time(nullable=False)
    leader: bool = Field(default=False)
    unit: str | None = Field(default=None, max_length=300)
    units_done: int = Field(default=0)
    stopped_at: datetime | None = _time()
