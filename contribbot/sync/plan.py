"""The pure planner: (stored checkpoint, parsed response) -> (what to save, checkpoint, next).

Every list the sync reads is walked by one loop (`Driver.walk`), and each kind of list
says here, with no I/O, which request comes first, which items of a page are worth
saving, what the checkpoint becomes, and what to ask next (or that it is done):
- `StreamWalk`: the repo-wide `since=` streams, newest first, stopping at the checkpoint;
- `EventWalk`: a user's public events, read as a set of ids (late events come behind);
- `SearchWalk`: the searches of a first sync or a reconciliation (incomplete pages retried);
- `ListWalk`: the follow-up lists of one item (reviews, comments, timelines).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from contribbot.timeutil import parse_github_time, utc_z

STREAM_MARGIN = timedelta(minutes=2)  # overlap with the streams (clocks, search-index lag)
ANCHOR_MAX_AGE = timedelta(days=1)  # a stream's `since=` moves at most once a day
EVENT_PAGES = 3  # the feed holds at most 300 events, 100 a page
LATE_WINDOW = timedelta(hours=6)  # GitHub: an event can take up to 6 h to appear
EVENT_WINDOW = timedelta(days=30)  # the feed's reach; handled ids older than this are pruned
SEARCH_TRIES = 3  # asks of an incomplete search page before giving up until the next run
SEARCH_BACKOFF_S = 2.0  # wait before the second ask; doubles each time
DONE = "done"
CHUNK_TIME = timedelta(minutes=2)  # a budgeted run stops loading history after this long

Item = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """What to GET next: `path` (or an absolute Link URL) and its query."""

    path: str
    params: dict[str, Any] | None = None
    resource: str = "core"
    conditional: bool = True  # send the stored ETag, if any
    attempt: int = 1  # asks of this very page so far (incomplete searches)
    page: int = 1
    carry: tuple[str, str] | None = None  # page 1's (url, ETag), kept when the walk ends
    query: str | None = None  # a GraphQL document (`params` are its variables)


@dataclass(frozen=True)
class Page:
    """A parsed response: only what the planner needs."""

    url: str
    not_modified: bool = False
    items: tuple[Item, ...] = ()
    next_url: str | None = None
    etag: str | None = None
    incomplete: bool = False  # a search that timed out on GitHub's side
    known: frozenset[int] = frozenset()  # ids on this page already handled (events)
    last: bool | None = None  # the server says whether more follow (GraphQL's hasNextPage)
    total: int | None = None  # what the whole search matches (`total_count`, `issueCount`)


@dataclass(frozen=True)
class Step:
    """The planner's answer for one page."""

    items: tuple[Item, ...] = ()  # to hand to the saver
    state: str | None = None  # the new checkpoint (None: unchanged)
    remember: tuple[str, str] | None = None  # (url, ETag) to keep with this page
    next: Request | None = None  # None: the walk ends here
    complete: bool = True  # False: it ended without finishing (the checkpoint stays)
    wait_s: float = 0.0  # pause before `next`
    warning: str | None = None


@dataclass
class HistoryBudget:
    """What one run may spend on loading history: pages (a search page, a GraphQL query,
    a REST follow-up) and time; None: no limit (`contrib sync` loads it all at once)."""

    pages: int | None = None
    until: datetime | None = None

    @classmethod
    def per_run(cls, pages: int | None, now: datetime) -> HistoryBudget:
        """`pages` a run and CHUNK_TIME from `now`, or no limit when `pages` is None."""
        return cls() if pages is None else cls(pages, now + CHUNK_TIME)

    def left(self, now: datetime) -> bool:
        """Whether another history page fits in this run."""
        in_time = self.until is None or now < self.until
        return in_time and (self.pages is None or self.pages > 0)

    def take(self) -> None:
        """One page was loaded."""
        if self.pages is not None:
            self.pages -= 1


class Walk(Protocol):
    """One kind of list: where it starts and how each page moves it on."""

    def first(self, state: str | None) -> Request | None:
        """The first request, or None when there is nothing to do."""

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """What this page saves, the new checkpoint and the next request."""


def page_from(*, url: str, status: int, data: Any, etag: str | None, links: dict[str, str]) -> Page:
    """A Page from a response's parts (a list body, or a search's `items`)."""
    if status == 304:
        return Page(url=url, not_modified=True)
    total = None
    if isinstance(data, dict):
        items, incomplete = data.get("items") or [], bool(data.get("incomplete_results"))
        total = data.get("total_count")
    else:
        items, incomplete = data or [], False
    return Page(url, False, tuple(items), links.get("next"), etag, incomplete, total=total)


def _next(request: Request, page: Page) -> Request | None:
    """Page 2.. of the same walk: the Link URL, unconditional, page 1's ETag carried."""
    if page.next_url is None:
        return None
    carry = request.carry if request.page > 1 else _etag_of(page)
    return Request(page.next_url, None, request.resource, False, 1, request.page + 1, carry)


def _etag_of(page: Page) -> tuple[str, str] | None:
    return (page.url, page.etag) if page.etag else None


# -- the repo-wide `since=` streams ------------------------------------------------------


@dataclass(frozen=True)
class StreamMark:
    """A stream's checkpoint: `since` is the URL's (an idle poll asks the same URL and
    gets a free 304); `seen` is the newest `updated_at` handled; `top` the newest of a
    walk killed before it reached `seen`."""

    since: str
    seen: str
    top: str | None = None

    def dump(self) -> str:
        """The stored form (JSON)."""
        return json.dumps({"since": self.since, "seen": self.seen, "top": self.top})

    @classmethod
    def load(cls, text: str) -> StreamMark:
        """Read the stored form; a bare time is the old one-value checkpoint."""
        if not text.startswith("{"):
            return cls(since=text, seen=text)
        doc = json.loads(text)
        return cls(since=doc["since"], seen=doc["seen"], top=doc.get("top"))


@dataclass(frozen=True)
class StreamWalk:
    """`/issues`, `/issues/comments`, `/pulls/comments` since the checkpoint, newest first.

    Page 1 is conditional. On a 200, items at or after `seen` (less STREAM_MARGIN) are
    handed on; paging stops at the first item older than that (everything after it was
    handled before). A busy repo thus costs one page a poll, and an idle one a free 304.
    """

    path: str
    params: dict[str, Any]
    per_page: int

    def first(self, state: str | None) -> Request | None:
        """Page 1 of the stream (unconditional when a killed walk must be redone)."""
        if state is None:
            return None
        mark = StreamMark.load(state)
        query = {**self.params, "sort": "updated", "direction": "desc", "per_page": self.per_page}
        since = _anchor(mark)
        return Request(self.path, {**query, "since": since}, conditional=mark.top is None)

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """Hand on what is new; stop at the checkpoint; move `seen` when the walk ends."""
        assert state is not None
        mark = StreamMark.load(state)
        if page.not_modified:
            return Step()
        stamps = [str(obj["updated_at"]) for obj in page.items]
        floor = _lag_floor(mark.seen)
        fresh = tuple(obj for obj, at in zip(page.items, stamps, strict=True) if at >= floor)
        top = max([mark.seen, *([mark.top] if mark.top else []), *stamps])
        reached = len(fresh) < len(page.items) or len(page.items) < self.per_page
        following = None if reached else _next(request, page)
        since = str((request.params or {}).get("since", mark.since))  # page 1 may re-anchor
        if following is None:
            carry = request.carry if request.page > 1 else _etag_of(page)
            return Step(fresh, StreamMark(since=since, seen=top).dump(), carry, None)
        return Step(fresh, StreamMark(since, mark.seen, top).dump(), None, following)


def _lag_floor(seen: str) -> str:
    # GitHub's lists are eventually consistent: an item updated just before the last read
    # can show up after it, so the last STREAM_MARGIN is handed on again (handlers skip
    # what is unchanged; it costs no request)
    moment = parse_github_time(seen)
    return seen if moment is None else utc_z(moment - STREAM_MARGIN)


def _anchor(mark: StreamMark) -> str:
    seen = parse_github_time(mark.seen)
    since = parse_github_time(mark.since)
    if seen is None or since is None or seen - since <= ANCHOR_MAX_AGE:
        return mark.since
    return utc_z(seen - STREAM_MARGIN)


def stream_start(response_date: datetime) -> str:
    """The first checkpoint of a stream: when the repo was first looked at, less a margin."""
    start = utc_z(response_date - STREAM_MARGIN)
    return StreamMark(since=start, seen=start).dump()


# -- a user's public events ------------------------------------------------------------


@dataclass(frozen=True)
class EventWalk:
    """`/users/{u}/events/public`, read as a set: every unseen id is handed on, in any order.

    Page 1 is conditional (an unchanged feed is a free 304). A changed feed is read
    on while a page held an unseen id or reaches back less than LATE_WINDOW, at most
    EVENT_PAGES pages; page 1's ETag is kept only once the walk is done.
    """

    user: str
    now: datetime
    first_read: bool = False  # nothing handled yet: page 1 only (the first sync searched)

    def first(self, state: str | None) -> Request | None:
        """Page 1 of the feed."""
        return Request(f"/users/{self.user}/events/public", {"per_page": 100})

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """Hand on the events not handled before; read on while late ones may hide."""
        if page.not_modified:
            return Step()
        horizon = utc_z(event_prune_before(self.now))  # ids older than this are forgotten
        unseen = tuple(
            obj
            for obj in page.items
            if int(obj["id"]) not in page.known and str(obj["created_at"]) >= horizon
        )
        oldest = min((str(obj["created_at"]) for obj in page.items), default="")
        recent = oldest >= utc_z(self.now - LATE_WINDOW)
        more = request.page < EVENT_PAGES and not self.first_read
        following = _next(request, page) if more else None
        if following is not None and (unseen or recent):
            return Step(unseen, None, None, following)
        carry = request.carry if request.page > 1 else _etag_of(page)
        return Step(unseen, None, carry, None)


def event_prune_before(now: datetime) -> datetime:
    """Handled event ids older than this can no longer be in the feed."""
    return now - EVENT_WINDOW


# -- searches ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchWalk:
    """`/search/issues` sorted by creation, resumable by a `created:>=` checkpoint.

    A full page moves the checkpoint to its last item's creation time and the next
    request is a fresh query from there (which also steps past the 1,000-result cap);
    a short page ends the search (DONE). An incomplete page never moves the checkpoint:
    it is asked again after a pause, and after SEARCH_TRIES asks the walk ends unfinished.
    """

    query: str  # `repo:... qualifier`, without the created:>= floor
    floor: str | None  # history_since: the checkpoint before the first page
    updated_since: str | None
    per_page: int
    label: str  # for the warning: "o/n: @user: authored"

    created_key = "created_at"  # how a hit spells its creation time

    def first(self, state: str | None) -> Request | None:
        """A query from the checkpoint, or None when this search is done."""
        if state == DONE:
            return None
        return self._request(state or self.floor)

    def text(self, created_from: str | None) -> str:
        """The search string from `created_from` on (REST's and GraphQL's alike)."""
        query = self.query
        if created_from:
            query += f" created:>={created_from}"
        if self.updated_since:
            query += f" updated:>={self.updated_since}"
        return query

    def _request(self, created_from: str | None) -> Request:
        params = {
            "q": self.text(created_from),
            "sort": "created",
            "order": "asc",
            "per_page": self.per_page,
        }
        return Request("/search/issues", params, "search", conditional=False)

    def _following(self, request: Request, page: Page) -> Request | None:
        return _next(request, page)

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """Save the page; move the checkpoint only past a complete page."""
        if page.incomplete:
            return self._incomplete(request, page)
        items = page.items
        if page.last if page.last is not None else len(items) < self.per_page:
            return Step(items, DONE)
        last = str(items[-1][self.created_key])
        checkpoint = state or self.floor
        if last != checkpoint:
            return Step(items, last, None, self._request(last))
        # a whole page created at the same second: only the Link gets past it
        following = self._following(request, page)
        return Step(items, last, None, following, complete=following is not None)

    def _incomplete(self, request: Request, page: Page) -> Step:
        if request.attempt < SEARCH_TRIES:
            again = replace(request, attempt=request.attempt + 1)
            pause = SEARCH_BACKOFF_S * 2 ** (request.attempt - 1)
            return Step(page.items, None, None, again, wait_s=pause)
        warning = (
            f"{self.label}: GitHub's search came back incomplete {SEARCH_TRIES} times;"
            " the next run retries it"
        )
        return Step(page.items, None, None, None, complete=False, warning=warning)


# -- follow-up lists of one item ----------------------------------------------------------


@dataclass(frozen=True)
class ListWalk:
    """Every page of one item's list (reviews, comments, review comments, timeline).

    Only a one-page list keeps its ETag: new entries are appended at the end, so a 304
    on page 1 of a longer list would hide a changed last page.
    """

    path: str
    per_page: int

    def first(self, state: str | None) -> Request | None:
        """Page 1, conditional."""
        return Request(self.path, {"per_page": self.per_page})

    def step(self, state: str | None, request: Request, page: Page) -> Step:
        """All items; the Link to the next page, if any."""
        if page.not_modified:
            return Step()
        following = _next(request, page)
        single = request.page == 1 and following is None
        return Step(page.items, None, _etag_of(page) if single else None, following)


# -- what a comment in a stream needs ------------------------------------------------------

SKIP, SAVE, SAVE_WITH_PARENT = "skip", "save", "save_with_parent"


def comment_action(*, by_tracked: bool, parent_known: bool, parent_by_tracked: bool) -> str:
    """A streamed comment is saved from the payload in hand: a tracked user's comment on
    an unknown issue needs only that issue (one request), never its whole thread."""
    if not parent_known:
        return SAVE_WITH_PARENT if by_tracked else SKIP
    return SAVE if by_tracked or parent_by_tracked else SKIP
