"""Database -> the plain facts of a report. The only module of the report that runs SQL.

Every count comes from ``contribbot.activity``, so the report and `contrib activity`
agree by construction. ``contribbot.report.assemble`` turns these facts into the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Executable, func, select, type_coerce, union_all
from sqlmodel import Session, col

from contribbot.activity import TOTAL_OF_KIND, account_ids, contributions, counts_by_period
from contribbot.report.ball import ReviewEvent
from contribbot.report.facts import PRFacts, RecentPR, ReportFacts, Settings
from contribbot.report.speed import lookback_start
from contribbot.report.window import Window, as_of, history_span
from contribbot.store.keys import synced_key
from contribbot.store.models import (
    Account,
    Comment,
    Issue,
    PRLifecycle,
    PullRequest,
    Repository,
    Review,
    SyncState,
    UTCDateTime,
)
from contribbot.timeutil import parse_github_time


def load_facts(
    session: Session,
    *,
    users: Sequence[str],
    repos: Sequence[str],
    window: Window,
    now: datetime,
    settings: Settings,
) -> ReportFacts:
    """What the report for `users` over `window` needs, as of `now` (or the window's end)."""
    moment = as_of(window, now)
    previous_start, _ = window.previous()
    accounts = account_ids(session, users)
    return ReportFacts(
        users=tuple(users),
        contributions=contributions(session, users=users, since=previous_start, until=window.end),
        total_of_kind=TOTAL_OF_KIND,
        weekly=counts_by_period(session, users=users, edges=history_span(window, moment).edges),
        open_prs=open_pr_facts(session, accounts=accounts, as_of=moment),
        recent_prs=recent_prs(session, accounts=accounts, as_of=moment),
        tracked_repo_ids=frozenset(repo_ids(session, repos)),
        data_as_of=data_as_of(session, repos),
        settings=settings,
    )


def _rows(session: Session, query: Executable) -> Iterable[Any]:
    """Core rows through the session's connection: the ORM's per-row loading costs more."""
    return session.connection().execute(query)


def data_as_of(session: Session, repos: Sequence[str]) -> datetime | None:
    """How fresh the report's data is: the oldest last sync among the tracked repos (a
    repo whose sync keeps failing shows its age here); None when none was synced."""
    if not repos:
        return None
    keys = [synced_key(repo) for repo in repos]
    query = select(col(SyncState.value)).where(col(SyncState.key).in_(keys))
    stamps = [parse_github_time(value) for (value,) in _rows(session, query)]
    known = [s for s in stamps if s is not None]
    return min(known) if known else None


def repo_ids(session: Session, names: Sequence[str]) -> set[int]:
    """The stored ids of repositories by full name."""
    if not names:
        return set()
    rows = session.execute(select(col(Repository.id)).where(col(Repository.full_name).in_(names)))
    return {repo_id for (repo_id,) in rows}


# -- open PRs --------------------------------------------------------------------------


def open_pr_facts(session: Session, *, accounts: dict[int, str], as_of: datetime) -> list[PRFacts]:
    """The PRs of `accounts` (id -> login) open at `as_of`, with their reviews and replies."""
    if not accounts:
        return []
    ids = _open_pr_ids(list(accounts), as_of)
    facts = _pr_facts(session, ids, accounts, as_of)
    _apply_lifecycle(session, facts, ids, as_of)
    if facts:
        _add_reviews(session, facts, ids, as_of)
        _add_author_comments(session, facts, ids, as_of)
    return list(facts.values())


def _open_pr_ids(user_ids: Sequence[int], as_of: datetime) -> CompoundSelect[tuple[int]]:
    """Ids of the users' PRs not closed by `as_of`, including ones opened after it.

    Two lookups on the (author_id, closed_at) index; "opened before as_of" is left to
    the caller, or SQLite may walk the users' whole history by created_at instead.
    """
    authored = select(col(Issue.id)).where(col(Issue.author_id).in_(user_ids), col(Issue.is_pr))
    still_open = authored.where(col(Issue.closed_at).is_(None), col(Issue.state) == "open")
    closed_later = authored.where(col(Issue.closed_at) >= as_of)
    return union_all(still_open, closed_later)


def _pr_facts(
    session: Session, ids: CompoundSelect[tuple[int]], accounts: dict[int, str], as_of: datetime
) -> dict[int, PRFacts]:
    rows = _rows(
        session,
        select(
            col(Issue.id),
            col(Repository.full_name),
            col(Issue.number),
            col(Issue.title),
            col(Issue.html_url),
            col(Issue.author_id),
            col(Issue.created_at),
            col(PullRequest.draft),
        )
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .join(Repository, col(Repository.id) == Issue.repo_id)
        .where(col(Issue.id).in_(ids), col(Issue.created_at) < as_of),
    )
    return {
        pr_id: PRFacts(repo, number, title, url, accounts[author_id], opened_at, draft)
        for pr_id, repo, number, title, url, author_id, opened_at, draft in rows
    }


def _apply_lifecycle(
    session: Session, facts: dict[int, PRFacts], ids: CompoundSelect[tuple[int]], as_of: datetime
) -> None:
    """From the timeline: a PR whose last event by as_of is a landing or close was not open
    then (a later re-open moved its closed_at); one whose last event is a revert is `reverted`."""
    rows = _rows(
        session,
        select(col(PRLifecycle.issue_id), col(PRLifecycle.kind), col(PRLifecycle.at))
        .where(col(PRLifecycle.issue_id).in_(ids), col(PRLifecycle.at) < as_of)
        .order_by(col(PRLifecycle.at), col(PRLifecycle.id)),
    )
    last: dict[int, tuple[str, datetime]] = {pr_id: (kind, at) for pr_id, kind, at in rows}
    for pr_id, (kind, at) in last.items():
        if pr_id not in facts:
            continue
        if kind == "pr_reverted":
            facts[pr_id].reverted_at = at
        else:
            del facts[pr_id]


def _add_reviews(
    session: Session, facts: dict[int, PRFacts], ids: CompoundSelect[tuple[int]], as_of: datetime
) -> None:
    """Submitted reviews before as_of; the author's own count as replies (review threads)."""
    rows = _rows(
        session,
        select(col(Review.pr_id), col(Account.login), col(Review.state), col(Review.submitted_at))
        .join(Account, col(Account.id) == Review.reviewer_id)
        .where(col(Review.pr_id).in_(ids), col(Review.submitted_at) < as_of)
        .where(col(Review.state) != "PENDING"),  # not submitted: nobody has seen it
    )
    for pr_id, reviewer, state, at in rows:
        fact = facts.get(pr_id)
        if fact is None:  # opened after as_of
            continue
        fact.reviews.append(ReviewEvent(reviewer, state, at))
        if reviewer.lower() == fact.author.lower():
            fact.author_replies.append(at)


def _add_author_comments(
    session: Session, facts: dict[int, PRFacts], ids: CompoundSelect[tuple[int]], as_of: datetime
) -> None:
    """The author's conversation and inline comments before as_of: replies to reviewers."""
    rows = _rows(
        session,
        select(col(Comment.issue_id), col(Comment.created_at))
        .join(Issue, col(Issue.id) == Comment.issue_id)
        .where(col(Comment.issue_id).in_(ids), col(Comment.created_at) < as_of)
        .where(col(Comment.author_id) == col(Issue.author_id)),
    )
    for pr_id, at in rows:
        if pr_id in facts:  # not opened after as_of
            facts[pr_id].author_replies.append(at)


# -- review speed ----------------------------------------------------------------------


def recent_prs(session: Session, *, accounts: dict[int, str], as_of: datetime) -> list[RecentPR]:
    """Every PR opened in the two speed lookbacks, with its first review by someone else.

    Merge speed looks at PRs merged in the lookback, which may have been opened in the
    one before it. `author` is set (lower-cased) for the users in `accounts`.
    """
    since = lookback_start(as_of)
    first_review = (
        select(func.min(Review.submitted_at))
        .where(col(Review.pr_id) == Issue.id, col(Review.submitted_at) < as_of)
        .where(col(Review.reviewer_id) != col(Issue.author_id), col(Review.state) != "PENDING")
        .scalar_subquery()
    )
    opened = (
        select(
            col(Issue.id),
            col(Issue.repo_id),
            col(Issue.author_id),
            col(Issue.created_at),
            type_coerce(first_review, UTCDateTime),
        )
        .where(col(Issue.created_at) >= since, col(Issue.created_at) < as_of)
        .where(col(Issue.is_pr))
    )
    # merged ones from the merge-time index (a PR merges after it opens): looking each
    # PR up by id for its merged_at cost more than the rest of the query
    merged = select(col(PullRequest.issue_id), col(PullRequest.merged_at)).where(
        col(PullRequest.merged_at) >= since
    )
    merged_at = dict(list(_rows(session, merged)))
    logins = {account_id: login.lower() for account_id, login in accounts.items()}
    return [
        RecentPR(
            repo_id,
            logins.get(author_id) if author_id is not None else None,
            opened_at,
            merged_at.get(pr_id),
            reviewed_at,
        )
        for pr_id, repo_id, author_id, opened_at, reviewed_at in _rows(session, opened)
    ]
