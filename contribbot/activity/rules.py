"""What counts as a contribution, from the database; `activity` and the report share it.

The rules are one SQL union (`_events`): `contributions()` lists its rows with titles
and links, `counts_by_period()` lets the database count them per week. The SQL is plain
text over a `store.reader.Reader` (no SQLAlchemy import: `contrib activity` starts fast).
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

from contribbot.store.reader import FALSE, TRUE, Reader, as_reader
from contribbot.timeutil import utc_z

if TYPE_CHECKING:
    from sqlmodel import Session

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


def account_ids(db: Reader | Session, users: Sequence[str]) -> dict[int, str]:
    """The stored accounts of `users` (logins match case-insensitively): id -> login."""
    if not users:
        return {}
    wanted = sorted({u.lower() for u in users})
    rows = as_reader(db).rows(
        "SELECT account.id, account.login FROM account WHERE lower(account.login) IN (:logins)",
        {"logins": wanted},
    )
    return {account_id: login for account_id, login in rows if account_id is not None}


_NO_TEXT, _NO_FLAG = "CAST(NULL AS VARCHAR)", "CAST(NULL AS BOOLEAN)"


def _event(
    detail: bool,
    kind: str,
    user_id: str,
    at: str,
    issue_id: str,
    *,
    state: str = _NO_TEXT,
    url: str = _NO_TEXT,
    merged_by_label: str = _NO_FLAG,
) -> str:
    """One kind of contribution as rows of (kind, user_id, at); with detail, also
    (issue_id, state, url, by_label). Counting needs no more than the first three."""
    columns = [f"{kind} AS kind", f"{user_id} AS user_id", f"{at} AS at"]
    if detail:
        columns += [
            f"{issue_id} AS issue_id",
            f"{state} AS state",
            f"{url} AS url",
            f"{merged_by_label} AS by_label",
        ]
    return "SELECT " + ", ".join(columns)


def _events(dialect: str, *, detail: bool) -> str:
    """THE contribution rules: every event of :users with :since <= at < :until.

    `contributions()` lists these events and `counts_by_period()` counts them (each kind
    on its own), so `contrib activity` and the report cannot disagree.
    """
    return " UNION ALL ".join(_event_kinds(dialect, detail=detail))


@functools.cache
def _event_kinds(dialect: str, *, detail: bool) -> tuple[str, ...]:
    """The rules of `_events`, one SELECT per kind of event (parameters :users, :since,
    :until)."""
    event = functools.partial(_event, detail)
    true, false = TRUE[dialect], FALSE[dialect]
    opened = (
        event(
            "CASE WHEN issue.is_pr THEN 'pr_opened' ELSE 'issue_opened' END",
            "issue.author_id",
            "issue.created_at",
            "issue.id",
        )
        + " FROM issue WHERE issue.author_id IN (:users)"
        " AND issue.created_at >= :since AND issue.created_at < :until"
    )
    # without a timeline, a PR lands once: merged (by GitHub, or by label on close);
    # otherwise it is closed. With one, each landing, revert and unmerged close is a row
    # of pr_lifecycle (activity/lifecycle.py decides them)
    merged = (
        event(
            "'pr_merged'",
            "issue.author_id",
            "pullrequest.merged_at",
            "issue.id",
            merged_by_label="pullrequest.merged_by_label",
        )
        + " FROM issue JOIN pullrequest ON pullrequest.issue_id = issue.id"
        # "is_pr IS true" (not just "is_pr"): an equality SQLite can look up on
        # ix_issue_id_pr_author, which holds the author, instead of reading the issue row
        f" WHERE issue.is_pr IS {true} AND pullrequest.timeline_at IS NULL"
        " AND pullrequest.merged_at >= :since AND pullrequest.merged_at < :until"
        # "+ 0": walk the window on ix_pr_merged_issue_timeline; without ANALYZE
        # statistics SQLite would rather read every PR the users ever wrote (author index)
        " AND issue.author_id + 0 IN (:users)"
    )
    closed = (
        event(
            "CASE WHEN issue.is_pr THEN 'pr_closed' ELSE 'issue_closed' END",
            "issue.author_id",
            "issue.closed_at",
            "issue.id",
        )
        + " FROM issue LEFT OUTER JOIN pullrequest ON pullrequest.issue_id = issue.id"
        " WHERE issue.author_id IN (:users) AND issue.state = 'closed'"
        " AND pullrequest.merged_at IS NULL AND pullrequest.timeline_at IS NULL"
        " AND issue.closed_at >= :since AND issue.closed_at < :until"
    )
    landed_or_reverted = (
        event(
            "pr_lifecycle.kind",
            "issue.author_id",
            "pr_lifecycle.at",
            "issue.id",
            merged_by_label="pr_lifecycle.by_label",
        )
        + " FROM pr_lifecycle JOIN issue ON issue.id = pr_lifecycle.issue_id"
        " WHERE pr_lifecycle.at >= :since AND pr_lifecycle.at < :until"
        " AND issue.author_id + 0 IN (:users)"
    )
    # reviews of other people's PRs; a pending review is not submitted yet
    reviewed = (
        event(
            "'review'",
            "review.reviewer_id",
            "review.submitted_at",
            "review.pr_id",
            state="review.state",
        )
        # is_pr is never NULL: "IN (false, true)" keeps every row, and lets SQLite find
        # the PR's author in ix_issue_id_pr_author instead of reading its row
        + f" FROM review JOIN issue ON review.pr_id = issue.id AND issue.is_pr IN ({false}, {true})"
        " WHERE review.reviewer_id IN (:users) AND review.state != 'PENDING'"
        " AND review.submitted_at >= :since AND review.submitted_at < :until"
        " AND (issue.author_id IS NULL OR issue.author_id != review.reviewer_id)"
    )
    # conversation comments only: inline review comments belong to their review. No join
    # to issue: the foreign key holds, and counting then never leaves the author index
    commented = (
        event(
            "'comment'",
            "comment.author_id",
            "comment.created_at",
            "comment.issue_id",
            url="comment.html_url",
        )
        + " FROM comment WHERE comment.author_id IN (:users) AND comment.kind = 'issue'"
        " AND comment.created_at >= :since AND comment.created_at < :until"
    )
    return opened, merged, closed, landed_or_reverted, reviewed, commented


def contributions(
    db: Reader | Session, *, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    """Every contribution of `users` with since <= at < until, sorted by time."""
    reader = as_reader(db)
    accounts = account_ids(reader, users)
    if not accounts:
        return []
    query = (
        "SELECT e.kind, e.user_id, e.at, e.state, e.url, e.by_label,"
        " issue.number, issue.title, issue.html_url, repository.full_name"
        f" FROM ({_events(reader.dialect, detail=True)}) AS e"
        " JOIN issue ON issue.id = e.issue_id JOIN repository ON repository.id = issue.repo_id"
    )
    params = {"users": list(accounts), "since": since, "until": until}
    at, rows = reader.at, reader.rows(query, params)
    found = [
        Contribution(
            kind=kind,
            user=accounts[user_id],
            repo=repo,
            number=number,
            title=title,
            url=url or html_url,
            at=at(stored),
            state=state,
            merged_by_label=bool(by_label),
        )
        for kind, user_id, stored, state, url, by_label, number, title, html_url, repo in rows
    ]
    return sorted(found, key=lambda c: (c.at, c.user, KINDS.index(c.kind), c.repo, c.number))


def counts_by_period(
    db: Reader | Session, *, users: Sequence[str], edges: Sequence[datetime]
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
    reader = as_reader(db)
    accounts = account_ids(reader, users)
    if not accounts or periods < 1:
        return out
    keys = [reader.stored(edge) for edge in edges]
    params = {"users": list(accounts), "since": edges[0], "until": edges[-1]}
    for part in _event_kinds(reader.dialect, detail=False):
        for user_id, kind, times in reader.rows(
            _times_by_user_and_kind(part, reader.dialect), params
        ):
            stamps = sorted(times.split(",") if isinstance(times, str) else times)
            before = list(map(bisect_left, repeat(stamps), keys))  # events before each edge
            weeks, total = out[accounts[user_id].lower()], TOTAL_OF_KIND[kind]
            for index in range(periods):
                weeks[index][total] += before[index + 1] - before[index]
    return out


def _times_by_user_and_kind(events: str, dialect: str) -> str:
    """One row per (user_id, kind) of `events`, with every `at` as stored: SQLite's text
    joined by commas (a time has none), PostgreSQL's naive timestamps as an array."""
    times = "group_concat(e.at)" if dialect == "sqlite" else "array_agg(e.at)"
    return f"SELECT e.user_id, e.kind, {times} FROM ({events}) AS e GROUP BY e.user_id, e.kind"
