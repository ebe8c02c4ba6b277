"""The GitHub client against the stand-in: its own waits (429, secondary limits, resets),
stop requests that end a wait, no network, typed errors."""

from __future__ import annotations

import contextlib
import http.server
import logging
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import requests
from conftest import world_copy

from contribbot.fakehub import FakeHub
from contribbot.fakehub.realism import Realism
from contribbot.github import client as client_module
from contribbot.github.client import GitHubClient
from contribbot.github.errors import (
    BadCredentials,
    GitHubUnavailable,
    NotFound,
    SecondaryRateLimit,
    ValidationFailed,
    WaitInterrupted,
)
from contribbot.github.graphql_transport import GraphQLTransport

REPO = "/repos/pytorch/pytorch"


class Sleeps:
    """A sleep hook that records what it was asked to wait and returns at once."""

    def __init__(self, then: object = None) -> None:
        self.asked: list[float] = []
        self.then = then

    def __call__(self, seconds: float) -> object:
        self.asked.append(seconds)
        return self.then() if callable(self.then) else self.then


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    # the small world: these tests are about the client's waits, not the data it reads
    hub = FakeHub(
        world_copy("small"), tokens={"test-token": "alice"}, realism=Realism(primary_429=True)
    )
    with hub as running:
        yield running


def _client(hub: FakeHub, sleep: object, **kwargs: object) -> GitHubClient:
    return GitHubClient(
        api_url=hub.base_url,
        token="test-token",
        sleep=sleep,  # type: ignore[arg-type]
        backoff_factor=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


def test_pygithub_and_urllib3_do_not_retry_or_sleep(hub: FakeHub) -> None:
    sleeps = Sleeps()
    client = _client(hub, sleeps)
    hub.inject(REPO + "$", "500", times=2)
    assert client.get(client.full_url(REPO)).status == 200
    # exactly one request per attempt reached the server: nobody else retried
    assert [r.status for r in hub.requests] == [500, 500, 200]
    assert sleeps.asked == [0.01, 0.02]


def test_a_primary_limit_answered_with_429_waits_for_the_reset(
    hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    hub.set_rate_limit(2, window_s=3600)
    # the "reset" comes while we wait: restart the stand-in's windows
    sleeps = Sleeps(then=lambda: hub.set_rate_limit(2, window_s=3600))
    client = _client(hub, sleeps, reserve=0)
    client.usage.rates.clear()
    url = client.full_url(REPO)
    with caplog.at_level(logging.INFO, logger="contribbot.github"):
        for _ in range(3):
            client.usage.rates.clear()  # no early wait: let the wall be hit
            assert client.get(url).status == 200
    assert [r.status for r in hub.requests] == [200, 200, 429, 200]
    assert len(sleeps.asked) == 1 and 3000 < sleeps.asked[0] <= 3602
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "GitHub answered 429" in lines[0] and "for the reset at" in lines[0]


def test_a_secondary_limit_without_retry_after_waits_a_minute_then_longer(hub: FakeHub) -> None:
    sleeps = Sleeps()
    client = _client(hub, sleeps)
    hub.inject(REPO + "$", "secondary", times=3, retry_after=None)
    assert client.get(client.full_url(REPO)).status == 200
    assert sleeps.asked == [60.0, 120.0, 240.0]
    assert [r.status for r in hub.requests] == [403, 403, 403, 200]  # nothing sent meanwhile
    assert client.usage.waited_s == 420.0


def test_retry_after_is_obeyed(hub: FakeHub) -> None:
    sleeps = Sleeps()
    client = _client(hub, sleeps)
    hub.inject(REPO + "$", "429", times=1, retry_after=7)
    assert client.get(client.full_url(REPO)).status == 200
    assert sleeps.asked == [7.0]


def test_a_secondary_limit_that_never_lifts_is_a_typed_error(hub: FakeHub) -> None:
    client = _client(hub, Sleeps(), max_retries=2)
    hub.inject(REPO + "$", "secondary", times=10, retry_after=None)
    with pytest.raises(SecondaryRateLimit) as caught:
        client.get(client.full_url(REPO))
    assert caught.value.status == 403
    assert caught.value.rate is None or caught.value.rate.remaining > 0
    assert len(hub.requests) == 3


def test_a_stop_request_ends_a_secondary_wait(hub: FakeHub) -> None:
    """The client's only wait is its `sleep` hook (the daemon's is `Event.wait`): a stop
    set from another thread wakes the blocked 60 s wait, which reports the stop, and the
    client raises without sending anything more. No clock is read: a wait that ignored
    the stop would send a request once its 60 s ran out, and fail the last check."""
    stopping, waiting = threading.Event(), threading.Event()
    woken: list[tuple[float, bool]] = []

    def wait(seconds: float) -> bool:
        waiting.set()
        woken.append((seconds, stopping.wait(seconds)))
        return woken[-1][1]

    client = _client(hub, wait)
    hub.inject(REPO + "$", "secondary", times=1, retry_after=None)
    raised: list[BaseException] = []

    def fetch() -> None:
        try:
            client.get(client.full_url(REPO))
        except WaitInterrupted as exc:
            raised.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    assert waiting.wait(120)  # the client is inside its wait (a guard against a hang)
    stopping.set()  # what the SIGTERM handler does
    worker.join(120)
    assert woken == [(60.0, True)]  # the 60 s wait was asked, and ended by the stop
    assert raised and len(hub.requests) == 1  # nothing was sent after the stop


def test_typed_errors_carry_status_and_rate_headers(hub: FakeHub) -> None:
    client = _client(hub, Sleeps())
    with pytest.raises(NotFound) as missing:
        client.get(client.full_url("/repos/pytorch/nope"))
    assert missing.value.status == 404
    assert missing.value.rate is not None and missing.value.rate.limit == 5000
    with pytest.raises(ValidationFailed) as invalid:
        client.get(client.full_url("/search/issues", {"q": "author:nobody-at-all"}))
    assert invalid.value.status == 422
    hub.revoke("test-token")
    with pytest.raises(BadCredentials) as revoked:
        client.get(client.full_url(REPO))
    assert revoked.value.status == 401 and revoked.value.exit_code == 2


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_no_network_is_one_line(caplog: pytest.LogCaptureFixture) -> None:
    client = GitHubClient(api_url=_closed_port(), token="t")  # real sleeps, real timeouts
    with caplog.at_level(logging.DEBUG), pytest.raises(GitHubUnavailable) as caught:
        client.get(client.full_url(REPO))
    assert "cannot reach GitHub" in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.status == 0
    # urllib3 never retried (it would log "Retrying (Retry(...))" warnings)
    assert not [r for r in caplog.records if r.name.startswith("urllib3") and r.levelno >= 30]
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]


def test_no_network_gives_up_within_ten_seconds_at_worst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 8: a run without network says so within 10 s. Computed, not timed: on a
    fake clock, every connect hangs for the whole connect timeout that reaches requests
    (the worst case: an unroutable address), and every retry pause is slept in full."""
    clock = [1000.0]
    timeouts: list[object] = []

    def hang(self: object, request: requests.PreparedRequest, **kwargs: object) -> None:
        timeouts.append(kwargs.get("timeout"))
        connect = kwargs["timeout"][0] if isinstance(kwargs["timeout"], tuple) else 0.0
        clock[0] += float(connect)  # type: ignore[arg-type]
        raise requests.exceptions.ConnectTimeout(f"{request.url}: timed out")

    monkeypatch.setattr(requests.Session, "send", hang)
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    sleeps = Sleeps(then=lambda: clock.__setitem__(0, clock[0] + sleeps.asked[-1]))
    client = GitHubClient(api_url="http://192.0.2.1", token="t", sleep=sleeps)
    with pytest.raises(GitHubUnavailable) as caught:
        client.get(client.full_url(REPO))
    assert "cannot reach GitHub" in str(caught.value)
    # the short connect timeout is what requests got (the read timeout stays 30 s)
    assert set(map(str, timeouts)) == {str((client_module.CONNECT_TIMEOUT_S, 30.0))}
    assert len(timeouts) == len(sleeps.asked) + 1 >= 2  # it did retry before giving up
    assert clock[0] - 1000.0 <= 10.0, (clock[0], timeouts, sleeps.asked)


def test_a_sync_waiting_on_a_secondary_limit_stops_on_sigterm(tmp_path, hub: FakeHub) -> None:
    """What the daemon does on SIGTERM: its stop event ends the client's wait, and the
    sync reports that it stopped early (exit 0 in the daemon), with no request after."""
    from conftest import load, write_config

    from contribbot.store.db import open_database
    from contribbot.sync import Sync

    config = load(write_config(tmp_path, hub.base_url, users=["bob"]))
    stopping = threading.Event()
    asked: list[float] = []

    def wait(seconds: float) -> bool:
        asked.append(seconds)
        stopping.set()  # SIGTERM arrives during the wait
        return stopping.wait(seconds)

    client = _client(hub, wait)
    hub.inject("/search/issues", "secondary", times=1, retry_after=None)
    sync = Sync(
        engine=open_database(config.database_url()),
        client=client,
        config=config,
        clock=hub.now,
        should_stop=stopping.is_set,
    )
    result = sync.run()
    assert asked == [60.0]  # the one wait, ended by the stop (no second wait, no retry)
    assert result.stopped
    assert hub.requests[-1].status == 403  # nothing was sent after the stop


def test_contrib_sync_without_network_is_one_line(tmp_path) -> None:
    from conftest import cli, write_config

    path = write_config(tmp_path, _closed_port(), users=["bob"])
    code, out, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "cannot reach GitHub at 127.0.0.1:" in lines[0] and "network" in lines[0]
    assert "Retrying" not in out + err and "Traceback" not in out + err


def test_the_proxy_settings_of_the_environment_are_obeyed(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP(S)_PROXY and NO_PROXY, read once per client (not on every request): a host
    only the proxy can reach is reached through it; exempted by NO_PROXY, it is not."""
    monkeypatch.setenv("HTTP_PROXY", hub.base_url)  # the stand-in answers as the proxy
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = GitHubClient(api_url="http://github.invalid", token="test-token")
    for _ in range(2):  # the second request goes through the proxy too
        assert client.get(client.full_url(REPO)).data["full_name"] == "pytorch/pytorch"
    assert [r.path for r in hub.requests] == [REPO, REPO]
    monkeypatch.setenv("NO_PROXY", "github.invalid")
    direct = GitHubClient(api_url="http://github.invalid", token="t", sleep=Sleeps())
    with pytest.raises(GitHubUnavailable):
        direct.get(direct.full_url(REPO))
    assert len(hub.requests) == 2


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on loopback in a thread: its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _HtmlThenJson(http.server.BaseHTTPRequestHandler):
    """Answers with an HTML page (as a proxy or GitHub's load balancer does on a bad day)
    `html` times, with `status`, then with a JSON body."""

    html = 2
    status = 502

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(b'{"full_name": "a/b"}')

    def do_POST(self) -> None:  # noqa: N802 (GraphQL)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(b'{"data": {"rateLimit": {"cost": 1, "remaining": 4999}}}')

    def _answer(self, json_body: bytes) -> None:
        cls = type(self)
        if cls.html > 0:
            cls.html -= 1
            status, kind, body = cls.status, "text/html", b"<html><body>Unicorn!</body></html>"
        else:
            status, kind, body = 200, "application/json", json_body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status", [502, 200])
def test_an_html_page_instead_of_json_is_retried_then_one_line(status: int) -> None:
    class Handler(_HtmlThenJson):
        pass

    Handler.status = status
    with _serving(Handler) as url:
        sleeps = Sleeps()
        client = GitHubClient(api_url=url, token="t", sleep=sleeps, max_retries=3)
        assert client.get(client.full_url("/repos/a/b")).data == {"full_name": "a/b"}
        assert len(sleeps.asked) == 2  # each HTML answer was waited on, then asked again
        Handler.html = 10  # more than the retries
        with pytest.raises(GitHubUnavailable) as failed:
            client.get(client.full_url("/repos/a/b"))
        assert "\n" not in str(failed.value) and "/repos/a/b" in str(failed.value)


def test_a_graphql_query_answered_with_an_html_200_is_retried_then_one_line() -> None:
    class Handler(_HtmlThenJson):
        pass

    Handler.status = 200
    with _serving(Handler) as url:
        sleeps = Sleeps()
        client = GitHubClient(api_url=url, token="t", sleep=sleeps, max_retries=3)
        transport = GraphQLTransport(client)
        body = transport.query("query { rateLimit { cost remaining } }", {})
        assert body["data"]["rateLimit"]["cost"] == 1
        assert len(sleeps.asked) == 2 and transport.usage.requests == 3
        Handler.html = 10  # more than the retries
        with pytest.raises(GitHubUnavailable) as failed:
            transport.query("query { rateLimit { cost remaining } }", {})
        assert "\n" not in str(failed.value) and "not JSON" in str(failed.value)


class _CutThenJson(http.server.BaseHTTPRequestHandler):
    """Promises a body of 1,000 bytes and sends 10 before closing, `cut` times (a
    connection dropped mid-body), then answers in full."""

    cut = 2

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        cls = type(self)
        body = b'{"full_name": "a/b"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if cls.cut > 0:
            cls.cut -= 1
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(body[:10])
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_connection_dropped_mid_body_is_retried() -> None:
    with _serving(_CutThenJson) as url:
        sleeps = Sleeps()
        client = GitHubClient(api_url=url, token="t", sleep=sleeps, max_retries=3)
        assert client.get(client.full_url("/repos/a/b")).data == {"full_name": "a/b"}
        assert len(sleeps.asked) == 2  # each cut answer was waited on, then asked again
