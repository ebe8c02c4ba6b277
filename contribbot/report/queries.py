"""Database -> the plain facts of a report. The only module of the report that runs SQL.

Every count comes from ``contribbot.activity``, so the report and `contrib activity`
agree by construction. ``contribbot.report.assemble`` turns these facts into the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from contribbot.activity import TOTAL_OF_KIND, account_ids, contributions, counts_by_period
from contribbot.report.ball import ReviewEvent
from contribbot.report.facts import PRFacts, RecentPR, ReportFacts, Settings
from contribbot.report.speed import lookback_start
from contribbot.report.window import Window, as_of, history_span
from contribbot.store.keys import synced_key
from contribbot.store.reader import Reader, as_reader, states
from contribbot.timeutil import parse_github_time

if TYPE_CHECKING:
    from sqlmodel import Session


def load_facts(
    db: Reader | Session,
    *,
    users: Sequence[str],
    repos: Sequence[str],
    window: Window,
    now: datetime,
    settings: Settings,
) -> ReportFacts:
    """What the report for `users` over `window` needs, as of `now` (or the window's end)."""
    reader = as_reader(db)
    moment = as_of(window, now)
    previous_start, _ = window.previous()
    accounts = account_ids(reader, users)
    return ReportFacts(
        users=tuple(users),
        contributions=contributions(reader, users=users, since=previous_start, until=window.end),
        total_of_kind=TOTAL_OF_KIND,
        weekly=counts_by_period(reader, users=users, edges=history_span(window, moment).edges),
        open_prs=open_pr_facts(reader, accounts=accounts, as_of=moment),
        recent_prs=recent_prs(reader, accounts=accounts, as_of=moment),
        tracked_repo_ids=frozenset(repo_ids(reader, repos)),
        data_as_of=data_as_of(reader, repos),
        settings=settings,
    )


def data_as_of(db: Reader | Session, repos: Sequence[str]) -> datetime | None:
    """How fresh the report's data is: the oldest last sync among the tracked repos (a
    repo whose sync keeps failing shows its age here); None when none was synced."""
    if not repos:
        return None
    synced = states(db, [synced_key(repo) for repo in repos])
    stamps = [parse_github_time(value) for value in synced.values()]
    known = [s for s in stamps if s is not None]
    return min(known) if known else None


def repo_ids(db: Reader | Session, names: Sequence[str]) -> set[int]:
    """The stored ids of repositories by full name."""
    if not names:
        return set()
    query = "SELECT id FROM repository WHERE full_name IN (:names)"
    return set(as_reader(db).column(query, {"names": list(names)}))


# -- open PRs --------------------------------------------------------------------------


def open_pr_facts(
    db: Reader | Session, *, accounts: dict[int, str], as_of: datetime
) -> list[PRFacts]:
    """The PRs of `accounts` (id -> login) open at `as_of`, with their reviews and replies."""
    if not accounts:
        return []
    reader = as_reader(db)
    ids = _open_pr_ids(reader)
    params = {"users": list(accounts), "as_of": as_of}
    facts = _pr_facts(reader, ids, params, accounts)
    _apply_lifecycle(reader, facts, ids, params)
    if facts:
        _add_reviews(reader, facts, ids, params)
        _add_author_comments(reader, facts, ids, params)
    return list(facts.values())


def _open_pr_ids(reader: Reader) -> str:
    """Ids of the :users' PRs not closed by :as_of, including ones opened after it.

    Two lookups on the (author_id, closed_at) index; "opened before as_of" is left to
    the caller, or SQLite may walk the users' whole history by created_at instead.
    """
    authored = (
        "SELECT issue.id FROM issue"
        f" WHERE issue.author_id IN (:users) AND issue.is_pr = {reader.true}"
    )
    still_open = f"{authored} AND issue.closed_at IS NULL AND issue.state = 'open'"
    closed_later = f"{authored} AND issue.closed_at >= :as_of"
    return f"{still_open} UNION ALL {closed_later}"


def _pr_facts(
    reader: Reader, ids: str, params: dict[str, Any], accounts: dict[int, str]
) -> dict[int, PRFacts]:
    rows = reader.rows(
        "SELECT issue.id, repository.full_name, issue.number, issue.title, issue.html_url,"
        " issue.author_id, issue.created_at, pullrequest.draft"
        " FROM issue JOIN pullrequest ON pullrequest.issue_id = issue.id"
        " JOIN repository ON repository.id = issue.repo_id"
        f" WHERE issue.id IN ({ids}) AND issue.created_at < :as_of",
        params,
    )
    return {
        pr_id: PRFacts(
            repo,
            number,
            title,
            url,
            accounts[author_id],
            reader.at(opened_at),
            bool(draft),
        )
        for pr_id, repo, number, title, url, author_id, opened_at, draft in rows
    }


def _apply_lifecycle(
    reader: Reader, facts: dict[int, PRFacts], ids: str, params: dict[str, Any]
) -> None:
    """From the timeline: a PR whose last event by as_of is a landing or close was not open
    then (a later re-open moved its closed_at); one whose last event is a revert is `reverted`."""
    rows = reader.rows(
        "SELECT pr_lifecycle.issue_id, pr_lifecycle.kind, pr_lifecycle.at FROM pr_lifecycle"
        f" WHERE pr_lifecycle.issue_id IN ({ids}) AND pr_lifecycle.at < :as_of"
        " ORDER BY pr_lifecycle.at, pr_lifecycle.id",
        params,
    )
    last: dict[int, tuple[str, Any]] = {pr_id: (kind, at) for pr_id, kind, at in rows}
    for pr_id, (kind, at) in last.items():
        if pr_id not in facts:
            continue
        if kind == "pr_reverted":
            facts[pr_id].reverted_at = reader.time(at)
        else:
            del facts[pr_id]


def _add_reviews(
    reader: Reader, facts: dict[int, PRFacts], ids: str, params: dict[str, Any]
) -> None:
    """Submitted reviews before as_of; the author's own count as replies (review threads)."""
    rows = reader.rows(
        "SELECT review.pr_id, account.login, review.state, review.submitted_at"
        " FROM review JOIN account ON account.id = review.reviewer_id"
        f" WHERE review.pr_id IN ({ids}) AND review.submitted_at < :as_of"
        " AND review.state != 'PENDING'",  # not submitted: nobody has seen it
        params,
    )
    for pr_id, reviewer, state, stored in rows:
        fact = facts.get(pr_id)
        if fact is None:  # opened after as_of
            continue
        at = reader.at(stored)
        fact.reviews.append(ReviewEvent(reviewer, state, at))
        if reviewer.lower() == fact.author.lower():
            fact.author_replies.append(at)


def _add_author_comments(
    reader: Reader, facts: dict[int, PRFacts], ids: str, params: dict[str, Any]
) -> None:
    """The author's conversation and inline comments before as_of: replies to reviewers."""
    rows = reader.rows(
        "SELECT comment.issue_id, comment.created_at"
        " FROM comment JOIN issue ON issue.id = comment.issue_id"
        f" WHERE comment.issue_id IN ({ids}) AND comment.created_at < :as_of"
        " AND comment.author_id = issue.author_id",
        params,
    )
    for pr_id, at in rows:
        if pr_id in facts:  # not opened after as_of
            facts[pr_id].author_replies.append(reader.at(at))


# -- review speed ----------------------------------------------------------------------


def recent_prs(
    db: Reader | Session, *, accounts: dict[int, str], as_of: datetime
) -> list[RecentPR]:
    """Every PR opened in the two speed lookbacks, with its first review by someone else.

    Merge speed looks at PRs merged in the lookback, which may have been opened in the
    one before it. `author` is set (lower-cased) for the users in `accounts`.
    """
    reader = as_reader(db)
    params = {"since": lookback_start(as_of), "as_of": as_of}
    first_review = (
        "SELECT min(review.submitted_at) FROM review"
        " WHERE review.pr_id = issue.id AND review.submitted_at < :as_of"
        " AND review.reviewer_id != issue.author_id AND review.state != 'PENDING'"
    )
    opened = (
        f"SELECT issue.id, issue.repo_id, issue.author_id, issue.created_at, ({first_review})"
        " FROM issue WHERE issue.created_at >= :since AND issue.created_at < :as_of"
        f" AND issue.is_pr = {reader.true}"
    )
    # merged ones from the merge-time index (a PR merges after it opens): looking each
    # PR up by id for its merged_at cost more than the rest of the query
    merged = "SELECT pullrequest.issue_id, pullrequest.merged_at FROM pullrequest"
    merged_at = dict(reader.rows(merged + " WHERE pullrequest.merged_at >= :since", params))
    logins = {account_id: login.lower() for account_id, login in accounts.items()}
    time = reader.time
    return [
        RecentPR(
            repo_id,
            logins.get(author_id) if author_id is not None else None,
            reader.at(opened_at),
            time(merged_at.get(pr_id)),
            time(reviewed_at),
        )
        for pr_id, repo_id, author_id, opened_at, reviewed_at in reader.rows(opened, params)
    ]
