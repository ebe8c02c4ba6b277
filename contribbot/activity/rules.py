"""What counts as a contribution, from the database; `activity` and the report share it.

The rules are one SQL union (`_events`): `contributions()` lists its rows with titles
and links, `counts_by_period()` lets the database count them per week.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from contribbot.store.models import (
    Account,
    Comment,
    Issue,
    PRLifecycle,
    PullRequest,
    Repository,
    Review,
    UTCDateTime,
)
from contribbot.timeutil import utc_z

KINDS = (
    "pr_opened",
    "pr_merged",
    "pr_reverted",
    "pr_closed",
    "issue_opened",
    "issue_closed",
    "review",
    "comment",
)
# how each kind feeds the report's totals
TOTAL_OF_KIND = {
    "pr_opened": "prs_opened",
    "pr_merged": "prs_merged",
    "pr_reverted": "prs_reverted",
    "pr_closed": "prs_closed",
    "issue_opened": "issues_opened",
    "issue_closed": "issues_closed",
    "review": "reviews_given",
    "comment": "comments",
}
TOTAL_KEYS = tuple(TOTAL_OF_KIND.values())


@dataclass(frozen=True)
class Contribution:
    """One thing a user did: opened a PR, reviewed one, commented..."""

    kind: str
    user: str
    repo: str
    number: int
    title: str
    url: str
    at: datetime
    state: str | None = None  # reviews only
    merged_by_label: bool = False

    def to_json(self) -> dict[str, Any]:
        """The `contrib activity --format json` contract."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "user": self.user,
            "repo": self.repo,
            "number": self.number,
            "title": self.title,
            "url": self.url,
            "at": utc_z(self.at),
        }
        if self.state is not None:
            out["state"] = self.state
        return out


def account_ids(session: Session, users: Sequence[str]) -> dict[int, str]:
    """The stored accounts of `users` (logins match case-insensitively): id -> login."""
    if not users:
        return {}
    wanted = sorted({u.lower() for u in users})
    rows = session.execute(
        select(col(Account.id), col(Account.login)).where(func.lower(Account.login).in_(wanted))
    )
    return {account_id: login for account_id, login in rows if account_id is not None}


def _window(column: Any, since: datetime, until: datetime) -> Any:
    return and_(column >= since, column < until)


def _event(
    detail: bool,
    kind: Any,
    user_id: Any,
    at: Any,
    issue_id: Any,
    *,
    state: Any = None,
    url: Any = None,
    merged_by_label: Any = None,
) -> Select[Any]:
    """One kind of contribution as rows of (kind, user_id, at); with detail, also
    (issue_id, state, url, by_label). Counting needs no more than the first three."""
    columns = [kind.label("kind"), user_id.label("user_id"), at.label("at")]
    if detail:
        columns += [
            issue_id.label("issue_id"),
            _or_null(state, String).label("state"),
            _or_null(url, String).label("url"),
            _or_null(merged_by_label, Boolean).label("by_label"),
        ]
    return select(*columns)


def _or_null(column: Any, kind: type[String] | type[Boolean]) -> Any:
    return column if column is not None else literal(None, kind)


def _events(
    user_ids: Sequence[int], since: datetime, until: datetime, *, detail: bool
) -> CompoundSelect[Any]:
    """THE contribution rules: every event of `user_ids` with since <= at < until.

    `contributions()` lists these events and `counts_by_period()` counts them (each kind
    on its own), so `contrib activity` and the report cannot disagree.
    """
    return union_all(*_event_kinds(user_ids, since, until, detail=detail))


def _event_kinds(
    user_ids: Sequence[int], since: datetime, until: datetime, *, detail: bool
) -> tuple[Select[Any], ...]:
    """The rules of `_events`, one SELECT per kind of event."""
    event = functools.partial(_event, detail)
    by_users = col(Issue.author_id).in_(user_ids)
    opened = event(
        case((col(Issue.is_pr), "pr_opened"), else_="issue_opened"),
        col(Issue.author_id),
        col(Issue.created_at),
        col(Issue.id),
    ).where(by_users, _window(Issue.created_at, since, until))
    # without a timeline, a PR lands once: merged (by GitHub, or by label on close);
    # otherwise it is closed. With one, each landing, revert and unmerged close is a row
    # of pr_lifecycle (activity/lifecycle.py decides them)
    no_timeline = col(PullRequest.timeline_at).is_(None)
    merged = (
        event(
            literal("pr_merged"),
            col(Issue.author_id),
            col(PullRequest.merged_at),
            col(Issue.id),
            merged_by_label=col(PullRequest.merged_by_label),
        )
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        # "is_pr IS true" (not just "is_pr"): an equality SQLite can look up on
        # ix_issue_id_pr_author, which holds the author, instead of reading the issue row
        .where(col(Issue.is_pr).is_(True), no_timeline)
        .where(_window(PullRequest.merged_at, since, until))
        # "+ 0": walk the window on ix_pr_merged_issue_timeline; without ANALYZE
        # statistics SQLite would rather read every PR the users ever wrote (author index)
        .where((col(Issue.author_id) + 0).in_(user_ids))
    )
    closed = (
        event(
            case((col(Issue.is_pr), "pr_closed"), else_="issue_closed"),
            col(Issue.author_id),
            col(Issue.closed_at),
            col(Issue.id),
        )
        .outerjoin(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .where(by_users, col(Issue.state) == "closed", col(PullRequest.merged_at).is_(None))
        .where(no_timeline, _window(Issue.closed_at, since, until))
    )
    landed_or_reverted = (
        event(
            col(PRLifecycle.kind),
            col(Issue.author_id),
            col(PRLifecycle.at),
            col(Issue.id),
            merged_by_label=col(PRLifecycle.by_label),
        )
        .join(Issue, col(Issue.id) == PRLifecycle.issue_id)
        .where(_window(PRLifecycle.at, since, until), (col(Issue.author_id) + 0).in_(user_ids))
    )
    # reviews of other people's PRs; a pending review is not submitted yet
    reviewed = (
        event(
            literal("review"),
            col(Review.reviewer_id),
            col(Review.submitted_at),
            col(Review.pr_id),
            state=col(Review.state),
        )
        # is_pr is never NULL: "IN (false, true)" keeps every row, and lets SQLite find
        # the PR's author in ix_issue_id_pr_author instead of reading its row
        .join(Issue, and_(col(Review.pr_id) == Issue.id, col(Issue.is_pr).in_([False, True])))
        .where(col(Review.reviewer_id).in_(user_ids), col(Review.state) != "PENDING")
        .where(_window(Review.submitted_at, since, until))
        .where(or_(col(Issue.author_id).is_(None), col(Issue.author_id) != col(Review.reviewer_id)))
    )
    # conversation comments only: inline review comments belong to their review. No join
    # to issue: the foreign key holds, and counting then never leaves the author index
    commented = (
        event(
            literal("comment"),
            col(Comment.author_id),
            col(Comment.created_at),
            col(Comment.issue_id),
            url=col(Comment.html_url),
        )
        .where(col(Comment.author_id).in_(user_ids), col(Comment.kind) == "issue")
        .where(_window(Comment.created_at, since, until))
    )
    return opened, merged, closed, landed_or_reverted, reviewed, commented


def contributions(
    session: Session, *, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    """Every contribution of `users` with since <= at < until, sorted by time."""
    accounts = account_ids(session, users)
    if not accounts:
        return []
    events = _events(list(accounts), since, until, detail=True).subquery()
    query = (
        select(events, col(Issue.number), col(Issue.title), col(Issue.html_url))
        .add_columns(col(Repository.full_name))
        .join(Issue, col(Issue.id) == events.c.issue_id)
        .join(Repository, col(Repository.id) == Issue.repo_id)
    )
    rows = [
        Contribution(
            kind=row.kind,
            user=accounts[row.user_id],
            repo=row.full_name,
            number=row.number,
            title=row.title,
            url=row.url or row.html_url,
            at=row.at,
            state=row.state,
            merged_by_label=bool(row.by_label),
        )
        for row in session.connection().execute(query)
    ]
    return sorted(rows, key=lambda c: (c.at, c.user, KINDS.index(c.kind), c.repo, c.number))


def counts_by_period(
    session: Session, *, users: Sequence[str], edges: Sequence[datetime]
) -> dict[str, list[dict[str, int]]]:
    """Per user (lower-cased login), the totals (prs_opened, ...) in each period.

    Period i is edges[i] <= at < edges[i + 1] (edges ascending). Each kind of event comes
    back as one row per (user, kind) holding its times as stored, which are compared with
    the edges as the database stores them (the comparison its WHERE makes): sorted, then
    bisected once per edge. No datetime and no Python step per event (a year of a
    500-user cohort is 113,000 of them), and no per-row CASE to group by in SQL.
    """
    periods = len(edges) - 1
    out = {u.lower(): [dict.fromkeys(TOTAL_KEYS, 0) for _ in range(periods)] for u in users}
    accounts = account_ids(session, users)
    if not accounts or periods < 1:
        return out
    dialect = session.get_bind().dialect
    to_stored = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    keys = [to_stored(edge) if to_stored else edge for edge in edges]
    # through the connection: Core rows, without the ORM's per-row loading
    connection = session.connection()
    for part in _event_kinds(list(accounts), edges[0], edges[-1], detail=False):
        rows: Iterable[Any] = connection.execute(_times_by_user_and_kind(part, dialect))
        for user_id, kind, times in rows:
            stamps = sorted(times.split(",") if isinstance(times, str) else times)
            before = list(map(bisect_left, repeat(stamps), keys))  # events before each edge
            weeks, total = out[accounts[user_id].lower()], TOTAL_OF_KIND[kind]
            for index in range(periods):
                weeks[index][total] += before[index + 1] - before[index]
    return out


def _times_by_user_and_kind(events: Select[Any], dialect: Dialect) -> Select[Any]:
    """One row per (user_id, kind) of `events`, with every `at` as stored: SQLite's text
    joined by commas (a time has none), PostgreSQL's naive timestamps as an array."""
    rows = events.subquery()
    raw = type_coerce(rows.c.at, NullType())
    times = func.group_concat(raw) if dialect.name == "sqlite" else func.array_agg(raw)
    return select(rows.c.user_id, rows.c.kind, type_coerce(times, NullType())).group_by(
        rows.c.user_id, rows.c.kind
    )
