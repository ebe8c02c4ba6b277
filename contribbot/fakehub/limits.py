"""Primary rate limits per identity and resource, and injected faults.

Rate-limit windows run on the real wall clock (x-ratelimit-reset is epoch seconds that
clients sleep until), not on the data set's clock. Not thread-safe: FakeHub holds its
lock around every call.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RESOURCES = ("core", "search")
ANONYMOUS_LIMITS = {"core": 60, "search": 10}
FAULT_KINDS = ("500", "502", "503", "drop", "secondary", "429")
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True, slots=True)
class Quota:
    """What the x-ratelimit-* headers say."""

    resource: str
    limit: int
    remaining: int
    used: int
    reset: int

    def headers(self) -> dict[str, str]:
        """The x-ratelimit-* response headers."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": self.resource,
        }

    def as_json(self) -> dict[str, int]:
        """The rate-limit object of GET /rate_limit."""
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "reset": self.reset,
            "used": self.used,
        }


@dataclass(slots=True)
class _Window:
    start: float
    used: int = 0


@dataclass
class RateLimiter:
    """Fixed windows per (identity, resource); anonymous callers get GitHub's 60 and 10."""

    limits: dict[str, int]
    windows: dict[str, float]
    clock: Callable[[], float] = time.time
    _state: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def configure(self, resource: str, limit: int, window_s: float | None) -> None:
        """Change a resource's limit (and window) and restart its windows now."""
        if resource not in RESOURCES:
            raise ValueError(f"resource must be one of {RESOURCES}")
        self.limits[resource] = limit
        if window_s is not None:
            self.windows[resource] = window_s
        for key in [k for k in self._state if k[1] == resource]:
            del self._state[key]

    def _window(self, identity: str, resource: str) -> _Window:
        now = self.clock()
        window = self._state.get((identity, resource))
        if window is None or now >= window.start + self.windows[resource]:
            window = _Window(now)
            self._state[(identity, resource)] = window
        return window

    def quota(self, identity: str | None, resource: str) -> Quota:
        """The current quota; identity None is an unauthenticated caller."""
        window = self._window(identity or "", resource)
        limit = self.limits[resource] if identity else ANONYMOUS_LIMITS[resource]
        reset = math.ceil(window.start + self.windows[resource])
        return Quota(resource, limit, max(limit - window.used, 0), window.used, reset)

    def spend(self, identity: str | None, resource: str) -> Quota:
        """Count one request and return the quota after it."""
        self._window(identity or "", resource).used += 1
        return self.quota(identity, resource)


@dataclass
class Fault:
    """An injected failure for requests whose path (or path?query) matches pattern."""

    pattern: re.Pattern[str]
    kind: str
    remaining: int
    retry_after: int | None = 1

    def matches(self, path: str, target: str) -> bool:
        """Whether this fault hits the request."""
        return self.remaining > 0 and bool(self.pattern.search(path) or self.pattern.search(target))


def secondary_body() -> dict[str, str]:
    """GitHub's body for a secondary rate limit."""
    return {
        "message": SECONDARY_MESSAGE,
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    }


def fault_response(fault: Fault) -> tuple[int, dict[str, str], dict[str, str] | None]:
    """(status, headers, body) of a fault; body None means close the socket unanswered."""
    if fault.kind == "drop":
        return 0, {}, None
    retry = {} if fault.retry_after is None else {"retry-after": str(fault.retry_after)}
    if fault.kind == "secondary":
        return 403, retry, secondary_body()
    if fault.kind == "429":
        return (
            429,
            retry,
            {
                "message": "Too many requests",
                "documentation_url": "https://docs.github.com/rest",
            },
        )
    reasons = {"500": "Server Error", "502": "Bad Gateway", "503": "Service Unavailable"}
    return int(fault.kind), {}, {"message": reasons[fault.kind]}
