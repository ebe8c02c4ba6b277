"""The search half of the sync: a user's history on first sync, and reconciliation.

Searches list the user's own items 100 a page, so a first sync costs the user's item
count / 100 requests, not the repository's; each phase keeps a `created:>=` checkpoint
in the database with the page it came from, so a killed sync resumes where it stopped.
Over GraphQL (sync/graphql.py) the same searches carry what REST fetches afterwards.

A run may get a `HistoryBudget` (the daemon's polls): history then loads in chunks,
REST and GraphQL alike (search pages, GraphQL queries, and REST's follow-up fetches of
what the searches found), so the poll, and Monday's report after it, never wait for a
long history; the next poll goes on from the checkpoints.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from contribbot.github.parse import parse_issue
from contribbot.store import save
from contribbot.store.models import Issue
from contribbot.store.page import read_page
from contribbot.sync.driver import Driver, PageSaver
from contribbot.sync.plan import STREAM_MARGIN, Item, Page, Request, SearchWalk, Step, Walk
from contribbot.sync.savers import refuse_moved
from contribbot.timeutil import utc_z

log = logging.getLogger("contribbot.sync")

REVIEW_HISTORY_DAYS = 120  # own closed PRs older than this: reviews are not fetched
# REST follow-ups of what the searches found (own PRs' timelines included)
HISTORY_TASKS = ("history-reviews", "history-comments", "history-timeline")


@dataclass
class _Chunk:
    """A history walk that ends unfinished (checkpoint kept) once the budget is spent,
    and says how many pages its search has left (for `contrib status`)."""

    walk: Walk
    d: Driver
    pages_left: int | None = field(default=None)

    def first(self, state: str | None) -> Request | None:
        """The inner walk's first request."""
        return self.walk.first(state)

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """The inner walk's step, cut short when the run's history budget is spent."""
        self.d.history_budget.take()
        step = self.walk.step(state, request, page)
        params = request.params or {}
        per_page = int(params.get("first") or params.get("per_page") or len(page.items) or 1)
        if page.total is not None:
            self.pages_left = math.ceil(max(page.total - len(page.items), 0) / per_page)
        if step.next is not None and not self.d.history_budget.left(self.d.now()):
            return replace(step, next=None, complete=False)
        return step


@dataclass
class _Counting(PageSaver):
    """The phase's saver, and the pages its search has left next to its checkpoint."""

    inner: PageSaver
    chunk: _Chunk
    key: str
    now: Callable[[], datetime]

    def prepare(self, items: tuple[Item, ...]) -> tuple[Item, ...]:
        """As the inner saver prepares."""
        return self.inner.prepare(items)

    def vet(self, items: tuple[Item, ...]) -> None:
        """As the inner saver vets."""
        self.inner.vet(items)

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        """The inner saver's work, then the pages left."""
        kept = self.inner.save(session, items)
        if self.chunk.pages_left is not None:
            left = str(self.chunk.pages_left)
            save.set_state(session, key=f"{self.key}:left", value=left, now=self.now())
        return kept

    def finish(self, session: Session) -> None:
        """The search is done: nothing left."""
        self.inner.finish(session)
        save.delete_states(session, prefix=f"{self.key}:left")


@dataclass(frozen=True)
class _SearchPhase:
    name: str
    qualifier: str  # `{user}` is replaced
    follow_up: Callable[[Driver, Issue], str | None]  # the task kind owed per item, if any


def own_item_follow_up(d: Driver, issue: Issue) -> str | None:
    """What an own item owes: its reviews when it is a PR that is open or recent."""
    if not issue.is_pr:
        return None
    recent = issue.created_at >= d.now() - timedelta(days=REVIEW_HISTORY_DAYS)
    return "reviews" if issue.state == "open" or recent else None


SEARCH_PHASES = (
    _SearchPhase("authored", "author:{user}", own_item_follow_up),
    _SearchPhase("reviewed", "is:pr reviewed-by:{user} -author:{user}", lambda d, i: "reviews"),
    _SearchPhase("commented", "commenter:{user}", lambda d, i: "comments"),
)


@dataclass
class _SearchSaver(PageSaver):
    d: Driver
    repo: str
    phase: _SearchPhase

    def vet(self, items: tuple[Item, ...]) -> None:
        """Hits naming another repo are not saved under it (refuse_moved)."""
        refuse_moved(self.repo, items)

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        issues = [parse_issue(obj) for obj in items]
        read_page(session, issues=issues)
        for data in issues:
            issue = save.save_issue(  # a timeline a history search owes is history too
                session,
                data=data,
                merged_labels=self.d.merged_labels(self.repo),
                timeline_kind="history-timeline",
            )
            kind = self.phase.follow_up(self.d, issue)
            if kind:  # drained within the run's history budget (Sync._drain)
                kind = f"history-{kind}"
                save.enqueue(
                    session, kind=kind, repo=self.repo, number=issue.number, now=self.d.now()
                )
        return len(items)


def backfill(d: Driver, repo: str, user: str) -> None:
    """A user's history in a repo by search, resumable phase by phase (first sync)."""
    done_key = f"backfill:{repo}:{user}"
    with d.session() as session:
        if save.get_state(session, key=done_key) is not None:
            return
    finished = _phases(d, repo, user, key=done_key, updated_since=None)
    if finished:  # an incomplete search leaves its checkpoint: the next run goes on
        with d.session() as session:
            save.set_state(session, key=done_key, value=utc_z(d.now()), now=d.now())


def backfill_older(d: Driver, repo: str, user: str) -> None:
    """`contrib sync --history all`: the history before `history_since`, resumable."""
    floor = d.config.track.history_since
    done_key = f"history:{repo}:{user}"
    with d.session() as session:
        if not floor or save.get_state(session, key=done_key) is not None:
            return
    if _phases(d, repo, user, key=done_key, updated_since=None, before=floor):
        with d.session() as session:
            save.set_state(session, key=done_key, value=utc_z(d.now()), now=d.now())


def reconcile(d: Driver, repo: str, user: str) -> None:
    """Search again for what changed since the last reconciliation (events and streams can
    miss things: an approval older than the 300-event window, a search-index lag)."""
    done_key, since_key = f"reconciled:{repo}:{user}", f"reconcile:{repo}:{user}:since"
    started_key = f"reconcile:{repo}:{user}:started"
    with d.session() as session:
        since = save.get_state(session, key=since_key)
        started = save.get_state(session, key=started_key)
        if since is None or started is None:  # a new reconciliation, not a resumed one
            last = save.get_state(session, key=done_key)
            since = last or save.get_state(session, key=f"backfill:{repo}:{user}") or ""
            started = utc_z(d.now() - STREAM_MARGIN)
            save.set_state(session, key=since_key, value=since, now=d.now())
            save.set_state(session, key=started_key, value=started, now=d.now())
    finished = _phases(d, repo, user, key=f"reconcile:{repo}:{user}", updated_since=since)
    if finished:
        with d.session() as session:
            save.set_state(session, key=done_key, value=started, now=d.now())
            save.delete_states(session, prefix=f"reconcile:{repo}:{user}:")


def _phases(
    d: Driver,
    repo: str,
    user: str,
    *,
    key: str,
    updated_since: str | None,
    before: str | None = None,
) -> bool:
    """Every search of a (repo, user), over GraphQL when it is on (sync/graphql.py), else
    REST; True when all of them reached their end. `before`: only items created before it
    (and no `history_since` floor): the older history."""
    if d.graphql is not None:
        from contribbot.github.graphql_transport import GraphQLUnavailable

        try:
            return _run_phases(d, repo, user, key=key, updated_since=updated_since, before=before)
        except GraphQLUnavailable:
            if d.config.github.graphql is True:
                raise
            log.warning("no GraphQL API here (404): history over REST from now on")
            d.graphql = None
    return _run_phases(d, repo, user, key=key, updated_since=updated_since, before=before)


def _run_phases(
    d: Driver, repo: str, user: str, *, key: str, updated_since: str | None, before: str | None
) -> bool:
    from contribbot.sync.graphql import PHASES, GraphQLSaver, phase_walk

    finished = []
    qualifier = f" created:<{before}" if before else ""
    floor = None if before else d.config.track.history_since or None
    what = "reconciling" if updated_since else "first sync of"
    phases = PHASES if d.graphql is not None else SEARCH_PHASES
    for phase in phases:
        label = f"{repo}: @{user}: {phase.name}"
        d.progress.phase(f"{repo}: {what} @{user}: {phase.name}")
        query = f"repo:{repo} {phase.qualifier.format(user=user)}{qualifier}"
        walk: Walk
        saver: PageSaver
        if isinstance(phase, _SearchPhase):
            walk = SearchWalk(query, floor, updated_since or None, d.client.per_page, label)
            saver = _SearchSaver(d, repo, phase)
        else:
            walk = phase_walk(
                phase,
                query=query,
                floor=floor,
                updated_since=updated_since or None,
                label=label,
                most=d.client.per_page,
            )
            saver = GraphQLSaver(d, repo, phase, user)
        finished.append(_walk_chunk(d, repo, walk, saver, key=f"{key}:{phase.name}"))
    return all(finished)


def _walk_chunk(d: Driver, repo: str, walk: Walk, saver: PageSaver, *, key: str) -> bool:
    """One search through the paging loop, within the run's history budget."""
    if not d.history_budget.left(d.now()):
        return False  # this run's share is spent: the next one goes on from the checkpoint
    chunk = _Chunk(walk, d)
    return d.walk(repo, chunk, _Counting(saver, chunk, key, d.now), key=key)
