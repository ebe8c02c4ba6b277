"""FakeHub: the loopback HTTP server speaking GitHub's REST API over a Dataset.

One lock guards the data set, rate limits, faults and request log; handlers render
under it so every response is a consistent snapshot. The data set's clock starts at
its anchor and runs with real (monotonic) time; `advance()` jumps it forward.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from contribbot.fakehub import routes
from contribbot.fakehub.apps import Apps
from contribbot.fakehub.dataset import build_dataset
from contribbot.fakehub.graphql import GraphQLEndpoint
from contribbot.fakehub.knobs import Knobs, RequestRecord, moved_body
from contribbot.fakehub.limits import (
    RESOURCES,
    Fault,
    RateLimiter,
    fault_response,
    secondary_body,
)
from contribbot.fakehub.model import Dataset
from contribbot.fakehub.mutations import Mutations
from contribbot.fakehub.realism import Realism, churn, secondary_due
from contribbot.fakehub.render import Renderer
from contribbot.fakehub.reverts import add_reverts

RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
BAD_CREDENTIALS = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}
AUTH = re.compile(r"^(?:token|bearer)\s+(\S+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Seen:
    """What is known of a request before it is answered."""

    method: str
    path: str
    query: dict[str, str]
    resource: str
    conditional: bool

    def outcome(
        self, status: int, *, counted: bool, login: str | None, points: int = 1
    ) -> RequestRecord:
        """The log record once the answer is known."""
        return RequestRecord(
            self.method,
            self.path,
            self.query,
            status,
            self.conditional,
            counted,
            self.resource,
            login,
            points,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """An HTTP answer; body None means close the connection without answering."""

    status: int
    headers: dict[str, str]
    body: bytes | None


class FakeHub(Knobs, Mutations):
    """A GitHub REST stand-in on 127.0.0.1 (see docs in contribbot/fakehub/__init__.py)."""

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        now: datetime | None = None,
        seed: int = 7,
        tokens: Mapping[str, str] | None = None,
        rate_limit: int = 5000,
        search_rate_limit: int = 30,
        rate_window_s: float = 3600,
        search_window_s: float = 60,
        port: int = 0,
        realism: Realism | None = None,
    ) -> None:
        self.realism = realism or Realism()
        anchor = now or datetime.now(UTC).replace(microsecond=0)
        if dataset is None:
            dataset = build_dataset(anchor, seed)
            if self.realism.reverts:  # a data set passed in is the caller's to change
                add_reverts(dataset, self.realism.seed)
        self.dataset = dataset
        self.tokens = dict(tokens if tokens is not None else {"test-token": "alice"})
        self.apps = Apps()  # GitHub Apps: JWTs and expiring installation tokens (apps.py)
        self._lock = threading.RLock()
        self._anchor = self.dataset.now
        self._mono0 = time.monotonic()
        self._offset = timedelta(0)
        self._last_stamp = _latest_activity(self.dataset)
        self._limiter = RateLimiter(
            {"core": rate_limit, "search": search_rate_limit},
            {"core": rate_window_s, "search": search_window_s},
        )
        self._faults: list[Fault] = []
        self.graphql = GraphQLEndpoint()  # POST /graphql: budget and switches
        self._hidden: set[str] = set()
        self._moved: dict[str, str] = {}  # renamed or transferred: old name (lower) -> current
        self._log: list[RequestRecord] = []
        self._event_delays: dict[str, timedelta] = {}
        self._search_attempts: Counter[tuple[str, ...]] = Counter()
        self._answered = 0  # requests past auth, for Realism.secondary_no_retry_after
        self.unkind: Counter[str] = Counter()  # realism faults served so far, by switch
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeHub:
        """Bind 127.0.0.1 (port 0 = any free port) and serve in a daemon thread."""
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.hub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakehub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The API root, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("FakeHub is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # clock -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The server clock: anchor + real time elapsed + advance()s."""
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._mono0)
            return self._anchor + elapsed + self._offset

    def advance(self, delta: timedelta) -> None:
        """Jump the server clock forward."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta

    def _stamp(self) -> datetime:
        """A whole-second time for a mutation, strictly after every earlier stamp."""
        with self._lock:
            moment = self.now().replace(microsecond=0)
            if moment <= self._last_stamp:
                moment = self._last_stamp + timedelta(seconds=1)
                self._offset += max(moment - self.now(), timedelta(0))
            self._last_stamp = moment
            return moment

    # request handling --------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], payload: bytes = b""
    ) -> Outcome:
        """Answer one HTTP request (the socket layer only transports this)."""
        headers = {name.lower(): value for name, value in headers.items()}
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        moved = None
        if self._moved:  # a renamed repo's old name: GitHub's 301 (base_url needs a socket)
            with self._lock:
                moved = self.redirect_for(path, parts.query, self.base_url)
                path = self.by_id(path)
        params = parse_qsl(parts.query, keep_blank_values=True)
        graphql = path == "/graphql" and method == "POST" and self.graphql.enabled
        resource = "graphql" if graphql else "search" if path.startswith("/search/") else "core"
        record = _Seen(method, path, dict(params), resource, "if-none-match" in headers)
        with self._lock:
            if moved is not None:  # a renamed or transferred repo; GitHub does not count it
                self._log.append(record.outcome(301, counted=False, login=None))
                return self._outcome(301, {"Location": moved}, moved_body(moved))
            fault = next((f for f in self._faults if f.matches(path, target)), None)
            if fault is not None:
                fault.remaining -= 1
                status, extra, body = fault_response(fault)
                self._log.append(record.outcome(status, counted=False, login=None))
                return self._outcome(status, extra, body)
            auth = AUTH.match(headers.get("authorization", "").strip())
            secret = auth.group(1) if auth else None
            if self.apps.handles(path):
                status, body = self.apps.answer(method, path, secret)
                self._log.append(record.outcome(status, counted=False, login=None))
                return self._outcome(status, {}, body)
            login = self.tokens.get(secret) if secret else None
            if login is None and secret and self.apps.knows(secret):  # None once expired
                login = self.apps.login_for(secret, datetime.now(UTC))
            if auth and login is None:
                self._log.append(record.outcome(401, counted=False, login=None))
                return self._outcome(401, {}, BAD_CREDENTIALS)
            if graphql:
                return self._graphql(payload, login, record)
            return self._answer(method, path, params, headers, login, record)

    def _graphql(self, body: bytes, login: str | None, record: _Seen) -> Outcome:
        reply = self.graphql.answer(
            self.dataset, body, login=login, now=self.now(), hidden=frozenset(self._hidden)
        )
        counted = reply.status == 200 and reply.cost > 0
        self._log.append(
            record.outcome(reply.status, counted=counted, login=login, points=reply.cost)
        )
        return self._outcome(reply.status, reply.headers, reply.body)

    def _answer(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]],
        headers: Mapping[str, str],
        login: str | None,
        record: _Seen,
    ) -> Outcome:
        resource = record.resource
        if path == "/rate_limit":
            core, search = (self._limiter.quota(login, r) for r in RESOURCES)
            body = {
                "resources": {"core": core.as_json(), "search": search.as_json()},
                "rate": core.as_json(),
            }
            self._log.append(record.outcome(200, counted=False, login=login))
            return self._json(200, body, core.headers(), headers)
        quota = self._limiter.quota(login, resource)
        if quota.remaining == 0:
            status = 429 if self.realism.primary_429 else 403
            self.unkind["primary_429"] += status == 429
            self._log.append(record.outcome(status, counted=False, login=login))
            return self._outcome(status, quota.headers(), self._exhausted(login))
        self._answered += 1
        if secondary_due(self.realism, self._answered):
            # GitHub's secondary limits come as 403 or 429, here without retry-after
            status = 429 if self._answered % 2 else 403
            self.unkind["secondary_no_retry_after"] += 1
            self._log.append(record.outcome(status, counted=False, login=login))
            return self._outcome(status, quota.headers(), secondary_body())
        if method != "GET":
            reply = routes.Reply(404, routes.not_found().body)
        else:
            now = self.now()
            renderer = Renderer(self.dataset, self.base_url)
            renderer.churn = lambda object_id: churn(self.realism, object_id, now)
            call = routes.Call(
                self.dataset,
                renderer,
                path,
                params,
                login,
                now,
                frozenset(self._hidden),
                self.realism,
                self._event_delays,
                self._search_attempts,
                self.unkind,
            )
            reply = routes.dispatch(call)
        outcome = self._json(
            reply.status, reply.body, reply.headers, headers, cacheable=resource != "search"
        )
        counted = not (outcome.status == 304 and login is not None)
        if counted:
            quota = self._limiter.spend(login, resource)
        final = Outcome(outcome.status, {**outcome.headers, **quota.headers()}, outcome.body)
        self._log.append(record.outcome(final.status, counted=counted, login=login))
        return final

    def _exhausted(self, login: str | None) -> dict[str, str]:
        who = f"user ID {self.dataset.account(login).id}" if login else "127.0.0.1"
        return {
            "message": f"API rate limit exceeded for {who}. If you reach out to GitHub Support "
            "for help, please include the request ID.",
            "documentation_url": RATE_DOCS,
        }

    def _json(
        self,
        status: int,
        body: Any,
        extra: dict[str, str],
        request: Mapping[str, str],
        *,
        cacheable: bool = True,
    ) -> Outcome:
        """Serialise body; a GET whose ETag the client already has becomes a 304.

        Search answers carry no ETag and `no-cache`, as GitHub's do."""
        # orjson: the bytes json.dumps(body, ensure_ascii=False, separators=(",", ":")) gives,
        # 10-20x faster (a page of 100 issues: 5.5 ms -> 0.3 ms; encoding was half the
        # stand-in's time per request)
        payload = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
        if status == 200 and not cacheable:
            return self._outcome(status, {**extra, "Cache-Control": "no-cache"}, payload)
        if status != 200:
            return self._outcome(status, extra, payload)
        etag = f'W/"{hashlib.sha1(payload).hexdigest()}"'
        headers = {**extra, "ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
        sent = {tag.strip() for tag in request.get("if-none-match", "").split(",")}
        if etag in sent or etag.removeprefix("W/") in sent or "*" in sent:
            return self._outcome(304, headers, b"")
        return self._outcome(200, headers, payload)

    def _outcome(self, status: int, extra: Mapping[str, str], body: Any) -> Outcome:
        if body is None:
            return Outcome(0, {}, None)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "Date": email.utils.format_datetime(self.now(), usegmt=True),
            "Server": "GitHub.com (fakehub)",
            "X-GitHub-Media-Type": "github.v3; format=json",
            **extra,
        }
        if status != 304:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return Outcome(status, headers, payload)


def _latest_activity(ds: Dataset) -> datetime:
    return max(
        (i.updated_at for repo in ds.repos.values() for i in repo.issues.values()),
        default=ds.now,
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: FakeHub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; without this, Nagle + delayed ACK stall ~40 ms each
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        outcome = self.server.hub.handle(self.command, self.path, headers, body)
        if outcome.body is None:
            self.close_connection = True
            return
        self.send_response_only(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        if outcome.status != 304:
            self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: tests read hub.requests instead."""
