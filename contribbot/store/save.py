"""Saving parsed GitHub data: idempotent upserts keyed on GitHub's ids, plus sync bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlmodel import Session, SQLModel, col, func, select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import identity
from contribbot.store.accounts import account_id
from contribbot.store.models import (
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
from contribbot.store.upsert import Newer, insert_new, row_at, stored_row, upsert

_REPO_CACHE = "contribbot.repos"
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
    if key in cache:
        return cache[key]
    query = select(Repository.id).where(func.lower(Repository.full_name) == key)
    cache[key] = _id_of(session, query, Repository, {"full_name": full_name}, "full_name")
    return cache[key]


def _id_of(
    session: Session, query: Any, model: type[SQLModel], values: dict[str, Any], key: str
) -> int:
    """The id `query` finds, or of the row `values` inserted now (race-safe on `key`)."""
    found = session.exec(query).first()
    if found is None:
        inserted = insert_new(session, model, values, [key])
        found = inserted[0] if inserted is not None else session.exec(query).one()
    return int(found)


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
    issue: Issue = upsert(session, Issue, {"id": data.id}, fields, stored, newer=newer)[0]
    if data.is_pr:
        pr = session.get(PullRequest, data.id)
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
    return session.exec(select(Issue).where(Issue.repo_id == rid, Issue.number == number)).first()


def comment_unchanged(session: Session, *, data: CommentData) -> bool:
    """True when this comment is stored already, as it is now."""
    stored = session.get(Comment, data.id)
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
    row_at(session, Comment, {"id": data.id}, fields, newer=_updated_after(data))


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
    row_at(session, Review, {"id": data.id}, fields, newer=_dismissed_after(data))


def get_state(session: Session, *, key: str) -> str | None:
    """A sync fact by name."""
    row = session.get(SyncState, key)
    return row.value if row else None


def set_state(session: Session, *, key: str, value: str, now: datetime) -> None:
    """Record a sync fact."""
    row_at(session, SyncState, {"key": key}, {"value": value, "updated_at": now})


def states_with_prefix(session: Session, *, prefix: str) -> dict[str, SyncState]:
    """All sync facts whose key starts with `prefix`."""
    rows = session.exec(select(SyncState).where(col(SyncState.key).startswith(prefix)))
    return {row.key: row for row in rows}


def delete_states(session: Session, *, prefix: str) -> None:
    """Forget every sync fact whose key starts with `prefix`."""
    for row in states_with_prefix(session, prefix=prefix).values():
        session.delete(row)


def get_etag(session: Session, *, key: str) -> str | None:
    """The stored ETag for a cache key."""
    row = session.get(HttpCache, key)
    return row.etag if row else None


def set_etag(session: Session, *, key: str, url: str, etag: str | None, now: datetime) -> None:
    """Remember a URL's ETag (in the same transaction as the data it describes)."""
    if not etag:
        return
    row = session.get(HttpCache, key)
    values: dict[str, Any] = {"etag": etag, "updated_at": now}
    row_at(session, HttpCache, {"key": key}, values if row is not None else {**values, "url": url})


def enqueue(session: Session, *, kind: str, repo: str, number: int, now: datetime) -> None:
    """Owe a follow-up fetch (idempotent). One owed already is marked owed again (its
    `created_at` becomes `now`), so that a walk of it in flight does not finish it: what
    that walk read may predate what owes it again (see delete_task)."""
    rid = repo_id(session, full_name=repo)
    again = session.execute(
        update(SyncTask)
        .where(
            col(SyncTask.kind) == kind, col(SyncTask.repo_id) == rid, col(SyncTask.number) == number
        )
        .values(created_at=now)
    )
    if cast(CursorResult[Any], again).rowcount == 0:
        values = {"kind": kind, "repo_id": rid, "number": number, "created_at": now}
        insert_new(session, SyncTask, values, ["kind", "repo_id", "number"])


def next_task(session: Session, *, repo: str, skip: Iterable[str] = ()) -> SyncTask | None:
    """The oldest follow-up fetch owed in `repo` (of a kind not in `skip`)."""
    rid = repo_id(session, full_name=repo)
    query = select(SyncTask).where(SyncTask.repo_id == rid)
    if skip:
        query = query.where(col(SyncTask.kind).not_in(list(skip)))
    return session.exec(query.order_by(col(SyncTask.id)).limit(1)).first()


def delete_task(session: Session, *, task_id: int, owed_at: datetime | None = None) -> None:
    """A follow-up fetch is done: the one owed at `owed_at` (when the walk began), if given;
    owed again since (another worker's enqueue), it stays for another walk."""
    query = delete(SyncTask).where(col(SyncTask.id) == task_id)
    if owed_at is not None:
        query = query.where(col(SyncTask.created_at) == owed_at)
    session.execute(query)


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
    values = {"login": login.lower(), "event_id": event_id, "created_at": created_at}
    insert_new(session, SeenEvent, values, ["login", "event_id"])


def prune_seen_events(session: Session, *, login: str, before: datetime) -> None:
    """Forget handled events older than the feed's window."""
    rows = session.exec(
        select(SeenEvent).where(SeenEvent.login == login.lower(), SeenEvent.created_at < before)
    )
    for row in rows:
        session.delete(row)
