"""A pool of tokens behind the one-client interface: `[github] tokens = [...]`.

- Each URL has a home token, by rendezvous hashing over the tokens still usable: the same
  token every time, so its ETag (ETags differ per token) keeps answering 304 for free; a
  URL moves only when its token runs dry (or is revoked), and comes back after the reset.
- A token is dry when its remaining budget is at the reserve before its reset. Each member
  is a GitHubClient, which also waits by itself when every token is dry.
- The budgets are shared with other workers through a `BudgetBoard` (the database, wired
  in contribbot.app), so workers do not all drain the same token.
- A token GitHub rejects (401) is set aside with one line; the request goes to the next.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from contribbot.github.client import GitHubClient, Response, Usage
from contribbot.github.errors import BadCredentials
from contribbot.github.parse import RateLimit

log = logging.getLogger("contribbot.github")

SHARE_EVERY_S = 5.0  # how often budgets are exchanged with the other workers
SAME_WINDOW = timedelta(seconds=2)  # resets this close are one window (stored to the second)
SERVED_MAX = 20_000  # URLs remembered with the token that answered them (for their ETag)


class BudgetBoard(Protocol):
    """Where workers share what they saw of each token's budget."""

    def exchange(self, seen: dict[str, RateLimit]) -> dict[str, RateLimit]:
        """Publish `seen` ({identity:resource: rate}); return what every worker saw."""


class TokenPool(GitHubClient):
    """Several GitHubClients (one per token), used as one."""

    def __init__(
        self,
        members: Sequence[GitHubClient],
        *,
        board: BudgetBoard | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        labels: Sequence[str] | None = None,  # how a line names each member (default: tokens)
        source: str = "[github] tokens",
    ) -> None:
        if not members:
            raise ValueError("a token pool needs at least one token")
        first = members[0]
        # the attributes callers read of a GitHubClient (no super().__init__: no own session)
        self.api_url, self.per_page, self.reserve = first.api_url, first.per_page, first.reserve
        self.max_retries, self.backoff_factor = first.max_retries, first.backoff_factor
        self.anonymous = False
        self.identity = "pool:" + ",".join(m.identity for m in members)
        self.usage = Usage()
        self.members = list(members)
        self.revoked: set[int] = set()
        count = len(members)
        self.labels = list(
            labels or (f"token {i + 1} of {count} in {source}" for i in range(count))
        )
        self.source = source
        self._board = board
        self._clock = clock
        self._shared: dict[str, RateLimit] = {}
        self._next_share = 0.0
        self._served: dict[str, int] = {}
        self._keyed: tuple[str, int] | None = None  # the URL and token of the last cache_key

    def close(self) -> None:
        """Release every member's connections."""
        for member in self.members:
            member.close()

    def cache_key(self, url: str) -> str:
        """The ETag key of `url` for the token that serves it (the one that last did)."""
        index = self._home(url, "core")
        self._keyed = (url, index)
        return self.members[index].cache_key(url)

    def get(self, url: str, *, etag: str | None = None, resource: str = "core") -> Response:
        """GET with the URL's home token; a revoked token is set aside and the next one asked."""
        while True:
            index = self._home(url, resource)
            member = self.members[index]
            if etag is not None and self._keyed != (url, index):
                etag = None  # the ETag is another token's: ask unconditionally
            before = _counts(member.usage)
            try:
                response = member.get(url, etag=etag, resource=resource)
            except BadCredentials:
                self._set_aside(index)
                continue
            finally:
                self._account(member, before)
            self._remember(url, index)
            self._share()
            return response

    # -- choosing a token ------------------------------------------------------------

    def _home(self, url: str, resource: str) -> int:
        usable = [i for i in range(len(self.members)) if i not in self.revoked]
        if not usable:
            raise BadCredentials(
                f"GitHub rejected every token in {self.source} (401): set new ones",
                status=401,
                headers={},
                path="",
            )
        served = self._served.get(url)
        if served in usable and not self._dry(served, resource):
            return served
        ranked = sorted(usable, key=lambda i: _weight(self.members[i].identity, url), reverse=True)
        for index in ranked:
            if not self._dry(index, resource):
                return index
        # every token is dry: the one that resets first (its client waits for the reset)
        return min(ranked, key=lambda i: self._rate(i, resource).reset)  # type: ignore[union-attr]

    def _dry(self, index: int, resource: str) -> bool:
        rate = self._rate(index, resource)
        if rate is None or rate.reset <= self._clock():
            return False
        reserve = min(self.reserve, rate.limit // 10) if resource == "core" else 0
        return rate.remaining <= reserve

    def _rate(self, index: int, resource: str) -> RateLimit | None:
        own = self.members[index].usage.rates.get(resource)
        shared = self._shared.get(f"{self.members[index].identity}:{resource}")
        return _newest(own, shared)

    def _set_aside(self, index: int) -> None:
        self.revoked.add(index)
        left = len(self.members) - len(self.revoked)
        log.error(
            "GitHub rejected %s (401): set aside; %s",
            self.labels[index],
            f"{left} carry on" if left else "none left",
        )

    # -- bookkeeping -------------------------------------------------------------------

    def _remember(self, url: str, index: int) -> None:
        if len(self._served) >= SERVED_MAX:
            self._served.clear()  # forgetting only costs one unconditional request per URL
        self._served[url] = index

    def _account(self, member: GitHubClient, before: tuple[int, int, int, float]) -> None:
        sent, not_modified, spent, waited = _counts(member.usage)
        self.usage.sent += sent - before[0]
        self.usage.not_modified += not_modified - before[1]
        self.usage.spent += spent - before[2]
        self.usage.waited_s += waited - before[3]
        for resource in {r for m in self.members for r in m.usage.rates}:
            rates = [m.usage.rates[resource] for m in self.members if resource in m.usage.rates]
            self.usage.rates[resource] = RateLimit(
                resource=resource,
                limit=sum(r.limit for r in rates),
                remaining=sum(r.remaining for r in rates),
                used=sum(r.used for r in rates),
                reset=min(r.reset for r in rates),
            )

    def _share(self) -> None:
        if self._board is None or time.monotonic() < self._next_share:
            return
        self._next_share = time.monotonic() + SHARE_EVERY_S
        seen = {
            f"{m.identity}:{resource}": rate
            for m in self.members
            for resource, rate in m.usage.rates.items()
        }
        self._shared = self._board.exchange(seen)

    def budgets(self) -> list[dict[str, object]]:
        """Each token's state as this worker knows it (for logs and the bench)."""
        out: list[dict[str, object]] = []
        for index, member in enumerate(self.members):
            rate = self._rate(index, "core")
            out.append(
                {
                    "token": index + 1,
                    "revoked": index in self.revoked,
                    "remaining": rate.remaining if rate else None,
                    "sent": member.usage.sent,
                    "spent": member.usage.spent,
                }
            )
        return out


def _weight(identity: str, url: str) -> bytes:
    return hashlib.sha256(f"{identity}\n{url}".encode()).digest()


def _counts(usage: Usage) -> tuple[int, int, int, float]:
    return usage.sent, usage.not_modified, usage.spent, usage.waited_s


def newest(a: RateLimit | None, b: RateLimit | None) -> RateLimit | None:
    """The more recent of two sightings of one budget: the later window, else the lower count."""
    return _newest(a, b)


def _newest(a: RateLimit | None, b: RateLimit | None) -> RateLimit | None:
    if a is None or b is None:
        return a or b
    if abs(a.reset - b.reset) > SAME_WINDOW:  # a new window began
        return a if a.reset > b.reset else b
    return a if a.remaining <= b.remaining else b
