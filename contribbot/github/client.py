"""A thin client over PyGithub's requester: conditional GETs, Link pages, rate-limit care.

PyGithub does auth, retries (5xx, dropped connections, secondary limits with
Retry-After) and primary-limit resets. This layer adds what it lacks: ETags on
lists, reading `x-ratelimit-*` after every response, waiting before the limit
runs out (and saying so), and counting what a sync spent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import BadCredentialsException

from contribbot.errors import AuthError, ContribError
from contribbot.github.parse import RateLimit, parse_links, parse_rate_limit

log = logging.getLogger("contribbot.github")

RETRY_STATUSES = [429, 500, 502, 503, 504]
SECONDARY_WAIT_S = 60.0


class GitHubUnavailable(ContribError):
    """GitHub kept failing (5xx or dropped connections) after every retry."""


class NotFound(ContribError):
    """GitHub answered 404: the object does not exist or the token cannot see it."""


@dataclass(frozen=True)
class Response:
    """One response: 304 has no data; `links` holds the Link header's rels."""

    status: int
    data: Any
    etag: str | None
    url: str
    links: dict[str, str]
    rate: RateLimit | None
    date: datetime | None

    @property
    def not_modified(self) -> bool:
        """True for a 304 (nothing changed, nothing spent)."""
        return self.status == 304


@dataclass
class Usage:
    """What the client has done so far."""

    sent: int = 0
    not_modified: int = 0
    spent: int = 0  # responses that counted against the rate limit
    waited_s: float = 0.0
    rates: dict[str, RateLimit] = field(default_factory=dict)


class GitHubClient:
    """Serial, conditional GETs against one GitHub API root."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        per_page: int = 100,
        reserve: int = 50,
        max_retries: int = 5,
        backoff_factor: float = 1.0,
        timeout: float = 30.0,
        min_interval: float = 0.0,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        retry = GithubRetry(
            total=max_retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            secondary_rate_wait=SECONDARY_WAIT_S,
            raise_on_status=False,
        )
        self._github = Github(
            base_url=api_url,
            auth=Auth.Token(token) if token else None,
            per_page=per_page,
            retry=retry,
            timeout=int(timeout),
            seconds_between_requests=min_interval or None,
            seconds_between_writes=None,
        )
        self._requester = self._github.requester
        self.api_url = api_url.rstrip("/")
        self.per_page = per_page
        self.reserve = reserve
        self.identity = hashlib.sha256(f"{api_url}\n{token}".encode()).hexdigest()[:16]
        self.usage = Usage()
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        """Release the connection pool."""
        self._github.close()

    def full_url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The absolute URL of `path` with `params` in a stable order (the ETag key)."""
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        if params:
            url = f"{url}?{urlencode(sorted(params.items()))}"
        return url

    def cache_key(self, url: str) -> str:
        """The ETag cache key of `url` for this token (ETags differ per token)."""
        return hashlib.sha256(f"{self.identity}\n{url}".encode()).hexdigest()

    def get(self, url: str, *, etag: str | None = None, resource: str = "core") -> Response:
        """GET an absolute URL (from `full_url` or a Link header), conditional when `etag`."""
        self._wait_if_low(resource)
        headers = {"If-None-Match": etag} if etag else {}
        try:
            status, resp_headers, body = self._requester.requestJson("GET", url, headers=headers)
        except requests.exceptions.RequestException as exc:
            raise GitHubUnavailable(f"GitHub is unreachable ({type(exc).__name__})") from None
        self.usage.sent += 1
        rate = parse_rate_limit(resp_headers)
        if rate is not None:
            self.usage.rates[rate.resource] = rate
        if status == 304:
            self.usage.not_modified += 1
        else:
            self.usage.spent += 1
        data = json.loads(body) if body and status != 304 else None
        if status >= 400:
            self._raise(status, resp_headers, data, url)
        lower = {k.lower(): v for k, v in resp_headers.items()}
        return Response(
            status=status,
            data=data,
            etag=lower.get("etag"),
            url=url,
            links=parse_links(lower.get("link")),
            rate=rate,
            date=_http_date(lower.get("date")),
        )

    def _raise(self, status: int, headers: dict[str, Any], data: Any, url: str) -> None:
        exc = self._requester.createException(
            status, headers, data if isinstance(data, dict) else {}
        )
        path = url.removeprefix(self.api_url)
        if isinstance(exc, BadCredentialsException) or status == 401:
            raise AuthError(
                "GitHub rejected the token (401 Bad credentials): "
                "check [github] token, $GITHUB_TOKEN or `gh auth login`"
            )
        if status in (404, 410):
            raise NotFound(f"{path}: not found ({status})")
        if status >= 500:
            raise GitHubUnavailable(f"GitHub kept failing with {status} on {path}")
        message = data.get("message") if isinstance(data, dict) else None
        raise ContribError(f"GitHub answered {status} on {path}: {message or exc}")

    def _wait_if_low(self, resource: str) -> None:
        rate = self.usage.rates.get(resource)
        if rate is None or rate.remaining > self._reserve_for(rate):
            return
        wait = (rate.reset - self._clock()).total_seconds() + 1
        if wait <= 0:
            return
        log.warning(
            "rate limit: %d of %d %s requests left; waiting %.0fs for the reset at %s",
            rate.remaining,
            rate.limit,
            resource,
            wait,
            rate.reset.strftime("%H:%M:%S UTC"),
        )
        self._sleep(wait)
        self.usage.waited_s += wait
        del self.usage.rates[resource]

    def _reserve_for(self, rate: RateLimit) -> int:
        # Keep a reserve of the core limit for other tools sharing the token; the
        # search limit is tiny (30/min), so only stop when it is truly spent.
        return min(self.reserve, rate.limit // 10) if rate.resource == "core" else 0


def _http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        return None


__all__ = [
    "GitHubClient",
    "GitHubUnavailable",
    "GithubException",
    "NotFound",
    "Response",
    "Usage",
]
