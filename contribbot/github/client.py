"""A thin client over PyGithub's requester: conditional GETs, Link pages, rate-limit care.

PyGithub does auth and the HTTP session. Retries and waits are this layer's own,
because a wait must end within a second of a stop request (SIGTERM, Ctrl-C) and must
say what it waits for: PyGithub's GithubRetry and urllib3 sleep silently and cannot
be interrupted, so they are switched off (`retry=None`: urllib3 never retries).

- primary limit spent (403 or 429 with `x-ratelimit-remaining: 0`): wait for
  `x-ratelimit-reset`, in one log line; and wait *before* running dry (`reserve`);
- secondary limit: obey `retry-after`; without it wait 60 s, then 120 s, 240 s...;
- 5xx and dropped connections: retry with exponential backoff;
- no network at all: one clear error within about 10 s;
- every error is typed (contribbot.github.errors): status, reason, rate-limit headers.

`sleep(seconds)` is how it waits; a truthy return (threading.Event.wait when the event
is set) means "stop": the wait ends and WaitInterrupted is raised, nothing is sent.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests
from github import Auth, Github, GithubException
from github.Requester import Requester, RequestsResponse
from requests.cookies import RequestsCookieJar, merge_cookies
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict

from contribbot.github.errors import (
    BadCredentials,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    SecondaryRateLimit,
    WaitInterrupted,
    error_for,
    reset_in,
)
from contribbot.github.parse import RateLimit, parse_links, parse_rate_limit

log = logging.getLogger("contribbot.github")
# PyGithub gives its logger its own stderr handler at INFO, and says "Following Github server
# redirection ..." there for each 301 it follows (a renamed repo): contribbot says it once
logging.getLogger("github").setLevel(logging.WARNING)

SECONDARY_WAIT_S = 60.0  # GitHub: "wait at least one minute", then back off exponentially
SECONDARY_WAIT_MAX_S = 15 * 60.0
CONNECT_TIMEOUT_S = 3.0
NO_NETWORK_BUDGET_S = 6.0  # before any answer, stop retrying connection errors after this
PRIMARY_WAITS = 3  # resets in a row that still answer "spent": give up


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
        auth: Auth.AppInstallationAuth | None = None,  # a GitHub App installation, not a token
    ) -> None:
        self._github = Github(
            base_url=api_url,
            auth=auth or (Auth.Token(token) if token else None),
            per_page=per_page,
            retry=None,  # no GithubRetry, no urllib3 retries: this class retries and waits
            timeout=int(timeout),
            seconds_between_requests=min_interval or None,
            seconds_between_writes=None,
        )
        self._requester = self._github.requester
        # A short connect timeout, so "no network" shows within seconds: PyGithub only takes
        # an int but hands its timeout to requests as is, which accepts (connect, read).
        mangled = "_Requester__timeout"
        if hasattr(self._requester, mangled):
            setattr(self._requester, mangled, (min(CONNECT_TIMEOUT_S, timeout), timeout))
        _environment_once(self._requester, api_url)
        self.api_url = api_url.rstrip("/")
        self.per_page = per_page
        self.reserve = reserve
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.anonymous = not token and auth is None
        # an App installation's tokens change hourly: its budget and ETags go by its ids
        who = f"app:{auth.app_id}:{auth.installation_id}" if auth else token
        self.identity = hashlib.sha256(f"{api_url}\n{who}".encode()).hexdigest()[:16]
        self._auth = auth
        self.usage = Usage()
        self._sleep = sleep
        self._clock = clock
        self._answered = False  # GitHub has answered at least once in this run
        self._first_sent: float | None = None

    @property
    def requester(self) -> Requester:
        """PyGithub's requester (GraphQL goes through its `graphql_query`)."""
        return self._requester

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
        """GET an absolute URL (from `full_url` or a Link header), conditional when `etag`.

        Waits out rate limits and retries failures itself; raises a GitHubError subclass."""
        tries = _Tries()
        while True:
            self._wait_if_low(resource)
            try:
                status, headers, body = self._send(url, etag)
            except requests.exceptions.RequestException as exc:
                self._after_connection_error(exc, tries)
                continue
            path = url.removeprefix(self.api_url)
            try:
                data = orjson.loads(body) if body and status != 304 else None  # 2.5x json.loads
            except orjson.JSONDecodeError:  # a proxy's or GitHub's own HTML error page
                data = None
                if status < 400:
                    reason = f"GitHub answered {status} on {path} with a body that is not JSON"
                    self._after_error(GitHubUnavailable(reason, status=status, path=path), tries)
                    continue
            if status < 400:
                return self._response(status, headers, data, url)
            self._after_error(error_for(status, headers, data, path), tries)

    def _send(self, url: str, etag: str | None) -> tuple[int, dict[str, Any], str]:
        started = time.monotonic()
        if self._first_sent is None:
            self._first_sent = started
        headers = {"If-None-Match": etag} if etag else {}
        try:
            status, resp_headers, body = self._requester.requestJson("GET", url, headers=headers)
        except GithubException as exc:  # refreshing an App's installation token failed
            path = "/app/installations/{id}/access_tokens"
            raise error_for(exc.status, exc.headers or {}, exc.data, path) from None
        self._answered = True
        self.usage.sent += 1
        rate = parse_rate_limit(resp_headers)
        if rate is not None:
            self.usage.rates[rate.resource] = rate
        if status == 304 and not self.anonymous:
            self.usage.not_modified += 1
        else:
            self.usage.spent += 1  # without a token, even a 304 counts
        return status, resp_headers, body

    def _response(self, status: int, headers: dict[str, Any], data: Any, url: str) -> Response:
        lower = {k.lower(): v for k, v in headers.items()}
        return Response(
            status=status,
            data=data,
            etag=lower.get("etag"),
            url=url,
            links=parse_links(lower.get("link")),
            rate=parse_rate_limit(headers),
            date=_http_date(lower.get("date")),
        )

    # retries and waits ---------------------------------------------------------------

    def _after_connection_error(self, exc: Exception, tries: _Tries) -> None:
        tries.failures += 1
        kind = type(exc).__name__
        wait = self._backoff(tries.failures)
        if not self._answered:
            elapsed = time.monotonic() - (self._first_sent or time.monotonic())
            if elapsed + wait >= NO_NETWORK_BUDGET_S or tries.failures > self.max_retries:
                host = urlsplit(self.api_url).netloc
                raise GitHubUnavailable(
                    f"cannot reach GitHub at {host} ({kind}): is the network down?"
                ) from None
        elif tries.failures > self.max_retries:
            raise GitHubUnavailable(f"GitHub is unreachable ({kind})") from None
        self._pause(wait, f"connection failed ({kind}); retrying")

    def _after_error(self, error: GitHubError, tries: _Tries) -> None:
        if isinstance(error, SecondaryRateLimit):
            tries.secondary += 1
            if tries.secondary > self.max_retries:
                raise error
            wait = self._secondary_wait(error, tries.secondary)
            self._pause(wait, f"{error.reason}; waiting {wait:.0f}s", said=True)
        elif isinstance(error, RateLimited):
            tries.primary += 1
            if tries.primary > PRIMARY_WAITS:
                raise error
            self._wait_for_reset(error)
        elif isinstance(error, GitHubUnavailable):
            tries.failures += 1
            if tries.failures > self.max_retries:
                raise error
            self._pause(self._backoff(tries.failures), f"{error.status} from GitHub; retrying")
        elif isinstance(error, BadCredentials) and self._auth is not None and not tries.renewed:
            tries.renewed = True  # an installation token that died early (clock skew): renew
            log.info("GitHub rejected the App installation's token (401); getting a new one")
            _forget_token(self._auth)
        else:
            raise error

    def _secondary_wait(self, error: GitHubError, attempt: int) -> float:
        if error.retry_after is not None:
            return max(float(error.retry_after), 1.0)
        return float(min(SECONDARY_WAIT_S * 2.0 ** (attempt - 1), SECONDARY_WAIT_MAX_S))

    def _wait_for_reset(self, error: GitHubError) -> None:
        rate = error.rate
        left = reset_in(rate, self._clock())
        wait = SECONDARY_WAIT_S if left is None else max(left + 1, 1.0)
        at = rate.reset.strftime("%H:%M:%S UTC") if rate else "?"
        resource = rate.resource if rate else "core"
        self._pause(
            wait,
            f"rate limit: GitHub answered {error.status}: no {resource} requests left; "
            f"waiting {wait:.0f}s for the reset at {at}",
            said=True,
        )
        self.usage.rates.pop(resource, None)

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff_factor * 2 ** (attempt - 1))

    def now(self) -> datetime:
        """The client's wall clock, which rate-limit resets are compared with."""
        return self._clock()

    def wait(self, seconds: float, why: str) -> None:
        """Wait as the client does (said in the log, counted, ended by a stop request)."""
        self._pause(seconds, why, said=True)

    def _pause(self, seconds: float, why: str, *, said: bool = False) -> None:
        """Wait `seconds` (no request meanwhile); a stop request ends it early."""
        if not said:
            why = f"{why}; waiting {seconds:.0f}s"
        # rate-limit waits are always said; a short retry backoff only at info
        (log.warning if said or seconds >= 5 else log.info)("%s", why)
        started = time.monotonic()
        stopped = self._sleep(seconds)
        self.usage.waited_s += min(time.monotonic() - started, seconds) if stopped else seconds
        if stopped:
            raise WaitInterrupted("stopped while waiting for GitHub (nothing was lost)")

    def _wait_if_low(self, resource: str) -> None:
        rate = self.usage.rates.get(resource)
        if rate is None or rate.remaining > self._reserve_for(rate):
            return
        wait = (rate.reset - self._clock()).total_seconds() + 1
        if wait <= 0:
            return
        self._pause(
            wait,
            f"rate limit: {rate.remaining} of {rate.limit} {resource} requests left; "
            f"waiting {wait:.0f}s for the reset at {rate.reset.strftime('%H:%M:%S UTC')}",
            said=True,
        )
        del self.usage.rates[resource]

    def _reserve_for(self, rate: RateLimit) -> int:
        # Keep a reserve of the core limit for other tools sharing the token; the
        # search limit is tiny (30/min), so only stop when it is truly spent.
        return min(self.reserve, rate.limit // 10) if rate.resource == "core" else 0


@dataclass
class _Tries:
    """How often one request has failed, by kind."""

    failures: int = 0  # 5xx, dropped connections
    secondary: int = 0
    primary: int = 0
    renewed: bool = False  # an App installation's token was renewed after a 401


def _environment_once(requester: Requester, api_url: str) -> None:
    """Read the environment's proxy settings (HTTPS_PROXY, NO_PROXY...) and CA bundle
    (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) once, for the client's one host, and give them to its
    session: `requests` reads them again on every request (a walk through os.environ, about a
    fifth of a small request's CPU). PyGithub talks to no other host (it refuses other hosts
    in the URLs it follows) and sets the session's auth, so .netrc is never read either way."""
    create = getattr(requester, "_Requester__createConnection", None)
    if create is None:  # another PyGithub: requests keeps reading the environment itself
        return
    connection = create()
    session = getattr(connection, "session", None)
    if not isinstance(session, requests.Session) or not session.trust_env:
        return
    found = session.merge_environment_settings(api_url, {}, None, connection.verify, None)
    session.proxies.update(found["proxies"])
    connection.verify = found["verify"]  # PyGithub passes its own on every request
    session.trust_env = False
    connection.getresponse = functools.partial(_getresponse, connection)


def _getresponse(connection: Any) -> RequestsResponse:
    """PyGithub's getresponse (its session's get/post: no redirects followed, its verify
    and timeout), the request prepared and sent as `Session.request` prepares and sends it
    (the session's headers, cookies, auth and hooks merged in; its proxies, stream and cert
    settings: the environment was read once, above) without building it twice (a `Request`
    and then a `PreparedRequest`, ~0.2 ms of a small request's CPU)."""
    session = connection.session
    prepared = requests.PreparedRequest()
    prepared.prepare(
        method=connection.verb.upper(),
        url=f"{connection.protocol}://{connection.host}:{connection.port}{connection.url}",
        headers=merge_setting(connection.headers, session.headers, CaseInsensitiveDict),
        data=connection.input or {},
        auth=session.auth,
        cookies=merge_cookies(RequestsCookieJar(), session.cookies),
        hooks=session.hooks,
    )
    response = session.send(
        prepared,
        timeout=connection.timeout,
        allow_redirects=False,
        proxies=merge_setting({}, session.proxies),
        stream=True,
        verify=merge_setting(connection.verify, session.verify),
        cert=session.cert,
    )
    if not session.stream:  # the body read whole, as `Response.content` reads it but in one
        # piece (not 10 kB at a time: ~0.6 ms less a 100-item page); errors wrapped as there
        response._content = b"".join(response.iter_content(None)) or b""
        response._content_consumed = True
    return RequestsResponse(response)


def _forget_token(auth: Auth.AppInstallationAuth) -> None:
    """Make PyGithub fetch a new installation token on the next request (it keeps the one it
    has until 20 s before the `expires_at` GitHub gave; it has no public way to drop it)."""
    auth._AppInstallationAuth__installation_authorization = None  # type: ignore[attr-defined]


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
    "NotFound",
    "Response",
    "Usage",
]
