"""The thin driver: fetch -> plan -> save, one page a transaction (the only I/O of the sync).

`Driver.walk` is the one paging loop every list goes through: it asks the planner for
the request, sends it (with the stored ETag when the planner says so) with no transaction
open, hands the parsed page to the planner, and saves what it says in one transaction with
the new checkpoint and ETag, so a kill at any moment loses nothing and duplicates nothing,
and a worker waiting on GitHub holds no database lock (SQLite's write lock included).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from contribbot.config import Config
from contribbot.github.client import GitHubClient, Response
from contribbot.github.errors import NotFound
from contribbot.github.graphql_transport import GraphQLTransport
from contribbot.github.parse import IssueData
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.sync.fetch import Fetcher
from contribbot.sync.plan import HistoryBudget, Item, Page, Request, Walk, page_from

log = logging.getLogger("contribbot.sync")

PAUSE_SLICE_S = 0.5  # a pause checks for a shutdown this often


class Progress(Protocol):
    """Where the sync reports what it is doing."""

    def phase(self, text: str) -> None:
        """A new step started."""

    def step(self, text: str) -> None:
        """A small step inside a phase (one follow-up fetch)."""

    def advance(self, items: int, client: GitHubClient) -> None:
        """`items` more were saved; the client's usage is current."""


class _NoProgress:
    def phase(self, text: str) -> None:
        log.debug("%s", text)

    def step(self, text: str) -> None:
        log.debug("%s", text)

    def advance(self, items: int, client: GitHubClient) -> None:
        pass


class StopRequested(Exception):
    """Raised between pages when a shutdown was asked for."""


@dataclass
class RepoOutcome:
    """How one repository's sync went."""

    repo: str
    items: int = 0
    error: str | None = None  # the repository could not be synced
    problems: list[str] = field(default_factory=list)  # one user's part failed; others synced


@dataclass
class Spend:
    """What a run cost: requests sent, 304s among them, responses counted by GitHub."""

    requests: int = 0
    not_modified: int = 0
    points: int = 0

    def line(self) -> str:
        """`12 requests, 3 counted against the rate limit, 9 unchanged (304)`."""
        return (
            f"{self.requests} requests, {self.points} counted against the rate limit, "
            f"{self.not_modified} unchanged (304)"
        )


@dataclass
class SyncResult:
    """The whole run: per-repo outcomes, what it spent, and whether it stopped early."""

    outcomes: list[RepoOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a tracked user's part, all repos
    stopped: bool = False
    items: int = 0
    spend: Spend = field(default_factory=Spend)

    @property
    def exit_code(self) -> int:
        """1 when any repository (or any user's part of one) failed, else 0."""
        return 1 if self.errors else 0

    @property
    def errors(self) -> list[str]:
        """One line per repo or user that failed."""
        return [e for o in self.outcomes for e in (o.error, *o.problems) if e] + self.problems


class PageSaver:
    """What a walk does with a page's items, in the page's transaction (override)."""

    def prepare(self, items: tuple[Item, ...]) -> tuple[Item, ...]:
        """The page's items made ready to save, before its transaction: further requests
        go here, with no transaction open (the items as they came by default)."""
        return items

    def vet(self, items: tuple[Item, ...]) -> None:
        """Raise when a page must not be planned at all (every page is fine by default)."""

    def known(self, session: Session, items: tuple[Item, ...]) -> frozenset[int]:
        """Ids among `items` already handled (only the event feed keeps them)."""
        return frozenset()

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        """Save what is worth keeping; the count of items kept."""
        return 0

    def finish(self, session: Session) -> None:
        """The walk reached its end (not called when it stopped unfinished)."""


class Driver:
    """The network, the database and the clock, for the sync's walks."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: GitHubClient,
        config: Config,
        progress: Progress | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], object] = time.sleep,
        reconcile: bool = False,
        history_all: bool = False,
        history_pages: int | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.config = config
        self.progress: Progress = progress or _NoProgress()
        self.should_stop = should_stop
        self.now = clock
        self._sleep = sleep
        self.users = {u.lower() for u in config.track.users}
        self.result = SyncResult()
        self.fetch = Fetcher(client, clock)
        # history (backfill, reconciliation) over GraphQL unless `[github] graphql = false`
        self.graphql: GraphQLTransport | None = None
        if config.github.graphql is not False:
            self.graphql = GraphQLTransport(client, reserve=config.github.rate_limit_reserve)
        self.reconcile = reconcile  # search again for what changed (once a day)
        self.history_all = history_all  # also load what lies before `history_since`
        # a daemon poll loads at most this many history pages (and CHUNK_TIME of them),
        # then goes on with the poll; the next poll continues from the checkpoints
        self.history_budget = HistoryBudget.per_run(history_pages, self.now())
        # issues fetched before a transaction, for the one that saves them (savers.py)
        self.parents: dict[tuple[str, int], IssueData | NotFound] = {}

    def walk(
        self,
        repo: str,
        walk: Walk,
        saver: PageSaver,
        *,
        key: str | None = None,
        first: tuple[Request, str | None] | None = None,
    ) -> bool:
        """Walk a list to its end (True) or until the planner gives up on it (False).

        A page: a short transaction reads the checkpoint (and the stored ETag); the request
        goes out with no transaction open, so a rate-limit wait holds no lock; a second
        transaction saves the page with its checkpoint and ETag, unless another worker moved
        the checkpoint meanwhile: then nothing of the page is kept and the walk plans again.
        A walk without a checkpoint may be handed its first request and ETag (`first`, see
        first_request), read in the caller's transaction that just ended.
        """
        request: Request | None = None
        state: str | None = None
        while True:
            self.check_stop()
            if first is not None and key is None:
                (request, etag), first = first, None
            else:
                with self.session() as session:
                    state = save.get_state(session, key=key) if key else None
                    request = request or walk.first(state)
                    if request is None:
                        return True
                    etag = self._stored_etag(session, request)
            page = self._page(request, etag)
            page = replace(page, items=saver.prepare(page.items))
            with self.session() as session:
                if key and save.get_state(session, key=key, locked=True) != state:
                    log.info("%s: another worker moved %s; planning again", repo or key, key)
                    request = None
                    continue
                saver.vet(page.items)
                page = _with_known(page, saver.known(session, page.items))
                step = walk.step(state, request, page)
                kept = saver.save(session, step.items)
                if key and step.state is not None:
                    save.set_state(session, key=key, value=step.state, now=self.now())
                if step.remember:
                    self.fetch.keep(session, *step.remember)
                if step.next is None and step.complete:
                    saver.finish(session)
            self.saved(repo, kept)
            if step.warning:
                log.warning("%s", step.warning)
            if step.next is None:
                return step.complete
            self.pause(step.wait_s)
            request = step.next

    def first_request(self, session: Session, walk: Walk) -> tuple[Request, str | None] | None:
        """A walk without a checkpoint: its first request and the ETag to send with it, read
        in the caller's transaction (for `walk`'s `first`); None when it has nothing to ask."""
        request = walk.first(None)
        return None if request is None else (request, self._stored_etag(session, request))

    def _stored_etag(self, session: Session, request: Request) -> str | None:
        """The ETag to send with `request` (a conditional REST GET), read before it is sent."""
        if request.query is not None or not request.conditional:
            return None
        return self.fetch.etag(session, self.client.full_url(request.path, request.params))

    def _page(self, request: Request, etag: str | None) -> Page:
        """Send `request` (no transaction is open: the client may wait out a rate limit)."""
        if request.query is not None:  # a GraphQL search (history)
            from contribbot.sync.graphql import graphql_page

            return graphql_page(self, request)
        url = self.client.full_url(request.path, request.params)
        return page_of(self.client.get(url, etag=etag, resource=request.resource))

    def check_stop(self) -> None:
        """Raise StopRequested between pages once a shutdown was asked for."""
        if self.should_stop():
            raise StopRequested

    def pause(self, seconds: float) -> None:
        """Sleep, checking for a shutdown at least every PAUSE_SLICE_S."""
        while seconds > 0:
            self.check_stop()
            self._sleep(min(seconds, PAUSE_SLICE_S))
            seconds -= PAUSE_SLICE_S

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: a page and its high-water mark and ETag commit together."""
        return session_scope(self.engine)

    def outcome(self, repo: str) -> RepoOutcome:
        """The outcome record of `repo` (created on first use)."""
        for outcome in self.result.outcomes:
            if outcome.repo == repo:
                return outcome
        outcome = RepoOutcome(repo)
        self.result.outcomes.append(outcome)
        return outcome

    def saved(self, repo: str, count: int) -> None:
        """Count saved items (per repo; "" for a user's event feed) and tell the progress."""
        if repo:
            self.outcome(repo).items += count
        self.result.items += count
        self.progress.advance(count, self.client)

    def tracked(self, login: str | None) -> bool:
        """Is `login` one of the tracked users (case-insensitive)?"""
        return login is not None and login.lower() in self.users

    def merged_labels(self, repo: str) -> list[str]:
        """The labels that mean "merged" in `repo` (PyTorch's merge bot)."""
        return self.config.repo(repo).merged_labels


def page_of(response: Response) -> Page:
    """The planner's view of a client response."""
    return page_from(
        url=response.url,
        status=response.status,
        data=response.data,
        etag=response.etag,
        links=response.links,
    )


def _with_known(page: Page, known: frozenset[int]) -> Page:
    return replace(page, known=known) if known else page


def spend_since(client: GitHubClient, before: tuple[int, int, int]) -> Spend:
    """What the client spent since `before` = (sent, not_modified, spent)."""
    usage = client.usage
    return Spend(
        requests=usage.sent - before[0],
        not_modified=usage.not_modified - before[1],
        points=usage.spent - before[2],
    )


def usage_mark(client: GitHubClient) -> tuple[int, int, int]:
    """The client's counters now, to subtract later."""
    return client.usage.sent, client.usage.not_modified, client.usage.spent
