"""Saving parsed GitHub data: idempotent upserts keyed on GitHub's ids, plus sync bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import held, identity, tasks
from contribbot.store.accounts import account_id
from contribbot.store.models import (
    Account,
    Comment,
    HttpCache,
    Issue,
    PullRequest,
    Repository,
    Review,
    SeenEvent,
    SyncState,
    SyncTask,
)
from contribbot.store.upsert import (
    Newer,
    core,
    insert_all,
    insert_new,
    insert_or_set,
    row_at,
    set_all,
    stored_row,
    upsert,
)

_REPO_CACHE = "contribbot.repos"
# engine -> {lower-case full name: row id} of the repository rows read (see _repo_id)
_KNOWN_REPOS: WeakKeyDictionary[Any, dict[str, int]] = WeakKeyDictionary()
DISMISSED = "DISMISSED"  # a review's state once dismissed, for good


def is_stale(stored: Issue | Comment, data: IssueData | CommentData) -> bool:
    """Whether `data` is older than the row saved from it (a late or slow payload: the save
    kept the stored state, for the newest `updated_at` wins)."""
    return data.updated_at < stored.updated_at


def _updated_after(data: IssueData | CommentData) -> Newer:
    return lambda stored: is_stale(stored, data)


def _dismissed_after(data: ReviewData) -> Newer:
    return lambda stored: stored.state == DISMISSED != data.state


def effective_merge(data: IssueData, merged_labels: Iterable[str]) -> tuple[datetime | None, bool]:
    """When a PR landed, and whether only a merged label says so (PyTorch's merge bot)."""
    if data.merged_at is not None:
        return data.merged_at, False
    wanted = {label.lower() for label in merged_labels}
    if data.state == "closed" and wanted & {label.lower() for label in data.labels}:
        return data.closed_at, True
    return None, False


def owes_timeline(
    before: tuple[str, list[str]] | None, data: IssueData, merged_labels: Iterable[str], seen: bool
) -> bool:
    """Whether a saved PR owes a timeline fetch (its landings and reverts): it is new, or its
    state or labels changed, and it carries a merged label (sticky: a PR the bot landed keeps
    it through reverts) or its timeline was read before."""
    if not data.is_pr or (before is not None and before == (data.state, sorted(data.labels))):
        return False
    if seen:
        return True
    if data.merged_at is not None:  # GitHub's own merge: merged_at says it all
        return False
    wanted = {label.lower() for label in merged_labels}
    return bool(wanted & {label.lower() for label in data.labels})


def repo_id(session: Session, *, full_name: str) -> int:
    """The row id of `full_name` (GitHub names are case-insensitive), created on first use."""
    cache: dict[str, int] = session.info.setdefault(_REPO_CACHE, {})
    key = full_name.lower()
    if key not in cache:
        cache[key] = _repo_id(session, key, full_name)
    return cache[key]


def forget_repo_names(session: Session) -> None:
    """Forget the repository ids read by name (a repository row was renamed: its old name
    is free for another repository)."""
    _KNOWN_REPOS.pop(session.get_bind(), None)
    session.info.pop(_REPO_CACHE, None)


def _repo_id(session: Session, key: str, full_name: str) -> int:
    # a repository row is never deleted nor re-keyed: one read of its id per engine will do,
    # when it was read (a row this transaction inserted could still be rolled back)
    known = _KNOWN_REPOS.setdefault(session.get_bind(), {})
    if key in known:
        return known[key]
    query = select(Repository.id).where(func.lower(Repository.full_name) == key)
    found = session.exec(query).first()
    if found is not None:
        known[key] = int(found)
        return int(found)
    inserted = insert_new(session, Repository, {"full_name": full_name}, ["full_name"])
    if inserted is not None:
        return int(inserted[0])
    theirs = session.exec(query).one()  # another worker's, committed meanwhile
    assert theirs is not None
    return int(theirs)


def save_issue(
    session: Session,
    *,
    data: IssueData,
    merged_labels: Iterable[str],
    timeline_kind: str = "timeline",
) -> Issue:
    """Insert or update an issue/PR (and its PR row); a timeline it owes is `timeline_kind`.

    A payload older than the stored row (see is_stale) changes none of its fields."""
    rid = repo_id(session, full_name=data.repo)
    data = replace(data, id=identity.issue_key(session, repo_id=rid, data=data))  # REST's id
    author = (
        account_id(session, login=data.author, github_id=data.author_id, kind=data.author_kind)
        if data.author
        else None
    )
    fields: dict[str, Any] = {
        "repo_id": rid,
        "number": data.number,
        "is_pr": data.is_pr,
        "title": data.title,
        "body": data.body,
        "state": data.state,
        "state_reason": data.state_reason,
        "author_id": author,
        "author_association": data.author_association,
        "created_at": data.created_at,
        "updated_at": data.updated_at,
        "closed_at": data.closed_at,
        "labels": list(data.labels),
        "assignees": list(data.assignees),
        "comments": data.comments,
        "html_url": data.html_url,
    }
    stored = stored_row(session, Issue, {"id": data.id}, locked=True)
    before = None if stored is None else (stored.state, sorted(stored.labels))
    newer = _updated_after(data)
    issue: Issue
    issue, inserted = upsert(session, Issue, {"id": data.id}, fields, stored, newer=newer)
    if stored is None and not inserted:  # another worker stored it since the page was read:
        held.forget(session, PullRequest, {"issue_id": data.id})  # its PR row too, read again
    identity.saved_as(session, repo_id=rid, number=data.number, ident=data.id)
    if data.is_pr:
        pr = stored_row(session, PullRequest, {"issue_id": data.id}, locked=False)
        if pr is None or not is_stale(issue, data):  # an older payload leaves the PR's facts
            values: dict[str, Any] = {"draft": data.draft}
            if pr is None or pr.timeline_at is None or data.merged_at is not None:
                # else the timeline decides
                merge = effective_merge(data, merged_labels)
                values["merged_at"], values["merged_by_label"] = merge
            pr, _ = row_at(session, PullRequest, {"issue_id": data.id}, values)
        # an older payload owes one too when it differs from the stored row: the PR went
        # through a state that row never showed (closed and reopened in between, say)
        if owes_timeline(before, data, merged_labels, pr.timeline_at is not None):
            # the sync fetches it for tracked authors' PRs only (sync/savers.py)
            enqueue(
                session, kind=timeline_kind, repo=data.repo, number=data.number, now=data.updated_at
            )
    return issue


def find_issue(session: Session, *, repo: str, number: int) -> Issue | None:
    """The stored issue/PR `repo#number`, if any."""
    rid = repo_id(session, full_name=repo)
    known = identity.known_id(session, repo_id=rid, number=number)  # read with the page?
    if known is None:
        return None
    if known is not held.MISSING:
        return cast(Issue, stored_row(session, Issue, {"id": known}, locked=False))
    return session.exec(select(Issue).where(Issue.repo_id == rid, Issue.number == number)).first()


def comment_unchanged(session: Session, *, data: CommentData) -> bool:
    """True when this comment is stored already, as it is now."""
    stored = stored_row(session, Comment, {"id": data.id}, locked=False)
    return stored is not None and stored.updated_at == data.updated_at


def save_comment(session: Session, *, data: CommentData, issue_id: int) -> None:
    """Insert or update a comment (a payload older than the stored one changes nothing)."""
    if data.author is None:
        return
    author = account_id(session, login=data.author, github_id=data.author_id, kind=data.author_kind)
    fields: dict[str, Any] = {
        "kind": data.kind,
        "issue_id": issue_id,
        "author_id": author,
        "review_id": data.review_id,
        "created_at": data.created_at,
        "updated_at": data.updated_at,
        "author_association": data.author_association,
        "body": data.body,
        "html_url": data.html_url,
    }
    row_at(session, Comment, {"id": data.id}, fields, newer=_updated_after(data), built=False)


def save_review(session: Session, *, data: ReviewData, pr_id: int) -> None:
    """Insert or update a review (PENDING ones are drafts and are not kept). A review has no
    `updated_at`, but its one change is final: a payload read before its dismissal does not
    undo it."""
    if data.reviewer is None or data.state == "PENDING":
        return
    reviewer = account_id(
        session, login=data.reviewer, github_id=data.reviewer_id, kind=data.reviewer_kind
    )
    fields = {
        "pr_id": pr_id,
        "reviewer_id": reviewer,
        "state": data.state,
        "submitted_at": data.submitted_at,
        "author_association": data.author_association,
    }
    row_at(session, Review, {"id": data.id}, fields, newer=_dismissed_after(data), built=False)


_STATES = SyncState.__table__  # type: ignore[attr-defined]
_STATE = core_select(_STATES.c.value).where(_STATES.c.key == bindparam("key"))  # Core
_STATE_LOCKED = _STATE.with_for_update()


def get_state(session: Session, *, key: str, locked: bool = False) -> str | None:
    """A sync fact by name (`locked`: held until commit, see stored_row), read as stored
    now (this transaction's own changes flushed first)."""
    return core(session).execute(_STATE_LOCKED if locked else _STATE, {"key": key}).scalar()


def set_state(session: Session, *, key: str, value: str, now: datetime) -> None:
    """Record a sync fact: one INSERT ... ON CONFLICT DO UPDATE, no read first."""
    values = {"key": key, "value": value, "updated_at": now}
    insert_or_set(session, SyncState, values, ["key"], ["value", "updated_at"])


def states_with_prefix(session: Session, *, prefix: str) -> dict[str, SyncState]:
    """All sync facts whose key starts with `prefix`."""
    rows = session.exec(select(SyncState).where(col(SyncState.key).startswith(prefix)))
    return {row.key: row for row in rows}


def delete_states(session: Session, *, prefix: str) -> None:
    """Forget every sync fact whose key starts with `prefix`."""
    for row in states_with_prefix(session, prefix=prefix).values():
        session.delete(row)


_CACHE = HttpCache.__table__  # type: ignore[attr-defined]
_ETAG = core_select(_CACHE.c.etag).where(_CACHE.c.key == bindparam("key"))  # Core: no ORM


def get_etag(session: Session, *, key: str) -> str | None:
    """The stored ETag for a cache key."""
    return core(session).execute(_ETAG, {"key": key}).scalar()


def set_etag(session: Session, *, key: str, url: str, etag: str | None, now: datetime) -> None:
    """Remember a URL's ETag (in the same transaction as the data it describes)."""
    if not etag:
        return
    values = {"key": key, "url": url, "etag": etag, "updated_at": now}  # never an ORM row:
    set_all(session, HttpCache, [values], ["key"], ["etag", "updated_at"])  # no RETURNING


def enqueue(session: Session, *, kind: str, repo: str, number: int, now: datetime) -> None:
    """Owe a follow-up fetch (idempotent). One owed already is marked owed again (its
    `created_at` becomes `now`), so that a walk of it in flight does not finish it: what
    that walk read may predate what owes it again (see delete_task)."""
    tasks.owe(session, kind=kind, repo_id=repo_id(session, full_name=repo), number=number, now=now)


def next_task(
    session: Session, *, repo: str, skip: Iterable[str] = (), later: Iterable[str] = ()
) -> tasks.OwedTask | None:
    """The oldest follow-up fetch owed in `repo` (see store/tasks.py's pick)."""
    return tasks.pick(session, repo_id=repo_id(session, full_name=repo), skip=skip, later=later)


_ACCOUNTS = Account.__table__  # type: ignore[attr-defined]
_LOGIN = core_select(_ACCOUNTS.c.login).where(_ACCOUNTS.c.id == bindparam("id"))  # Core


def account_login(session: Session, *, account_id: int) -> str | None:
    """The login of the account with this row id (None: no such row)."""
    known: dict[int, str] = session.info.get(tasks.LOGINS, {})
    if account_id in known:
        return known[account_id]
    login: str | None = core(session).execute(_LOGIN, {"id": account_id}).scalar()
    return login


def pending_tasks(session: Session, *, repo: str) -> int:
    """How many follow-up fetches are owed in `repo`."""
    rid = repo_id(session, full_name=repo)
    return len(session.exec(select(SyncTask.id).where(SyncTask.repo_id == rid)).all())


def seen_events(session: Session, *, login: str, ids: Iterable[int]) -> frozenset[int]:
    """Which of `ids` in `login`'s public events were handled already."""
    wanted = list(ids)
    if not wanted:
        return frozenset()
    rows = session.exec(
        select(SeenEvent.event_id).where(
            SeenEvent.login == login.lower(), col(SeenEvent.event_id).in_(wanted)
        )
    )
    return frozenset(rows.all())


def any_seen_events(session: Session, *, login: str) -> bool:
    """Has any of `login`'s public events been handled yet?"""
    row = session.exec(select(SeenEvent.event_id).where(SeenEvent.login == login.lower()))
    return row.first() is not None


def mark_event_seen(session: Session, *, login: str, event_id: int, created_at: datetime) -> None:
    """Remember that an event was handled (idempotent)."""
    mark_events_seen(session, login=login, events=[(event_id, created_at)])


def mark_events_seen(
    session: Session, *, login: str, events: Iterable[tuple[int, datetime]]
) -> None:
    """Remember that these (event id, created_at) were handled (idempotent): one statement."""
    rows = [{"login": login.lower(), "event_id": i, "created_at": at} for i, at in events]
    if rows:
        insert_all(session, SeenEvent, rows, ["login", "event_id"])


def prune_seen_events(session: Session, *, login: str, before: datetime) -> None:
    """Forget handled events older than the feed's window."""
    rows = session.exec(
        select(SeenEvent).where(SeenEvent.login == login.lower(), SeenEvent.created_at < before)
    )
    for row in rows:
        session.delete(row)
