"""Posting to Slack and Zulip: every row of the error table, retries, and secrets kept out."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from conftest import TLS

from contribbot.deliver.escape import redact
from contribbot.deliver.transport import DeliveryResult, RetryPolicy, post_slack, post_zulip

TOKEN = "XyZsecretTOKEN1234567890"
WEBHOOK = f"https://hooks.slack.com/services/T0SECRET1/B0SECRET2/{TOKEN}"
SITE = "https://chat.example.org"
API_KEY = "zulipKEYsecret0987654321"
EMAIL = "report-bot@chat.example.org"
MESSAGES = f"{SITE}/api/v1/messages"
PAYLOAD = {"text": "Week 2026-W47", "blocks": [{"type": "divider"}]}
SECRETS = (
    TOKEN,
    "T0SECRET1",
    "B0SECRET2",
    API_KEY,
    base64.b64encode(f"{EMAIL}:{API_KEY}".encode()).decode(),
)


class Sleeper:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS) as c:
        yield c


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


@pytest.fixture(autouse=True)
def _capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # httpx logs every request URL at INFO; callers keep it at WARNING, as we do here.
    caplog.set_level(logging.WARNING, logger="httpx")


def slack(client: httpx.Client, sleeper: Sleeper, jitter: float = 0.0) -> DeliveryResult:
    return post_slack(client, WEBHOOK, PAYLOAD, sleep=sleeper, jitter=lambda: jitter)


def zulip(client: httpx.Client, sleeper: Sleeper, stream: str = "reports") -> DeliveryResult:
    return post_zulip(
        client,
        SITE,
        EMAIL,
        API_KEY,
        stream,
        "alice: weekly",
        "**hi**",
        sleep=sleeper,
        jitter=lambda: 0.0,
    )


def zulip_error(
    status: int, code: str, msg: str = "translated text", **extra: object
) -> httpx.Response:
    return httpx.Response(status, json={"result": "error", "code": code, "msg": msg, **extra})


def assert_no_secrets(result: DeliveryResult, caplog: pytest.LogCaptureFixture) -> None:
    exposed = f"{result!r}\n{caplog.text}\n" + "\n".join(str(r.args) for r in caplog.records)
    assert [s for s in SECRETS if s in exposed] == []


# --- Slack ---------------------------------------------------------------------------------


def test_slack_ok_is_sent_once_with_the_payload_as_json(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(200, text="ok"))
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, result.status, result.message_id) == (
        "sent",
        1,
        200,
        None,
    )
    assert json.loads(route.calls.last.request.content) == PAYLOAD
    assert sleeper.waits == []
    assert_no_secrets(result, caplog)


def test_slack_429_waits_retry_after_then_retries(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    respx_mock.post(WEBHOOK).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, text="ok"),
        ]
    )
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts) == ("sent", 2)
    assert sleeper.waits == [7.0]
    assert "rate-limiting" in caplog.text
    assert_no_secrets(result, caplog)


def test_slack_429_asking_for_a_long_wait_is_left_for_a_later_run(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, result.retry_after) == ("failed_retryable", 1, 3600.0)
    assert sleeper.waits == []


def test_slack_5xx_backs_off_exponentially_with_jitter(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    respx_mock.post(WEBHOOK).mock(
        side_effect=[
            httpx.Response(500, text="rollup_error"),
            httpx.Response(503),
            httpx.Response(200, text="ok"),
        ]
    )
    result = slack(client, sleeper, jitter=1.0)
    assert (result.outcome, result.attempts) == ("sent", 3)
    assert sleeper.waits == [1.0, 2.0]


def test_backoff_jitter_spreads_waits_between_half_and_full(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(502))
    slack(client, sleeper, jitter=0.0)
    assert sleeper.waits == [0.5, 1.0, 2.0]


def test_slack_retries_are_exhausted_after_four_attempts(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(500, text="rollup_error"))
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, result.status) == ("failed_retryable", 4, 500)
    assert route.call_count == 4 and len(sleeper.waits) == 3
    assert "rollup_error" in result.detail and "gave up after 4 attempts" in result.detail
    assert_no_secrets(result, caplog)


def test_slack_connect_timeout_is_retried(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    respx_mock.post(WEBHOOK).mock(
        side_effect=[httpx.ConnectTimeout("slow"), httpx.Response(200, text="ok")]
    )
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts) == ("sent", 2)
    assert "could not connect" in caplog.text


def test_slack_read_timeout_is_in_doubt_and_not_retried_blindly(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    route = respx_mock.post(WEBHOOK).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, text="ok")]
    )
    result = slack(client, sleeper)
    assert (result.outcome, result.in_doubt, route.call_count) == ("failed_retryable", True, 1)
    assert "did not answer in time" in result.detail and "may have arrived" in result.detail


def test_slack_dropped_connection_is_in_doubt(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dropped = httpx.RemoteProtocolError(f"Server disconnected while talking to {WEBHOOK}")
    respx_mock.post(WEBHOOK).mock(side_effect=dropped)
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, result.in_doubt) == ("failed_retryable", 1, True)
    assert "RemoteProtocolError" in result.detail and "[redacted]" in result.detail
    assert_no_secrets(result, caplog)


def test_slack_refused_connection_is_retried_until_exhausted(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    route = respx_mock.post(WEBHOOK).mock(side_effect=httpx.ConnectError("refused"))
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, route.call_count) == ("failed_retryable", 4, 4)
    assert not result.in_doubt


def test_slack_400_is_our_bug_not_retried_and_logged_with_payload(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(400, text="invalid_blocks"))
    result = slack(client, sleeper)
    assert (result.outcome, result.attempts, route.call_count) == ("failed_bad_request", 1, 1)
    assert "invalid_blocks" in result.detail and sleeper.waits == []
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert json.dumps(PAYLOAD) in record.getMessage()
    assert_no_secrets(result, caplog)


@pytest.mark.parametrize(
    ("status", "code", "fix"),
    [
        (403, "invalid_token", "make a new incoming webhook"),
        (403, "action_prohibited", "ask a workspace admin"),
        (404, "channel_not_found", "make a new webhook for an existing channel"),
        (404, "no_service", "re-enable the app"),
        (410, "channel_is_archived", "unarchive it or make a new webhook"),
        (401, "", "check the webhook URL"),
    ],
)
def test_slack_permanent_failures_say_what_to_fix(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: str,
    fix: str,
) -> None:
    route = respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(status, text=code))
    result = slack(client, sleeper)
    assert (result.outcome, result.status, route.call_count) == ("failed_permanent", status, 1)
    assert fix in result.detail and "\n" not in result.detail
    assert f"({code})" in result.detail or not code
    assert_no_secrets(result, caplog)


def test_slack_archived_channel_detail_reads_as_one_clear_line(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    respx_mock.post(WEBHOOK).mock(return_value=httpx.Response(410, text="channel_is_archived"))
    assert slack(client, sleeper).detail == (
        "Slack says the webhook's channel is archived (channel_is_archived): "
        "unarchive it or make a new webhook"
    )


def test_slack_webhook_url_without_scheme_is_refused_before_sending(
    client: httpx.Client, sleeper: Sleeper
) -> None:
    result = post_slack(client, WEBHOOK.removeprefix("https://"), PAYLOAD, sleep=sleeper)
    assert (result.outcome, result.attempts) == ("failed_permanent", 0)
    assert TOKEN not in result.detail


# --- Zulip ---------------------------------------------------------------------------------


def test_zulip_success_returns_the_message_id(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = respx_mock.post(MESSAGES).mock(
        return_value=httpx.Response(200, json={"result": "success", "msg": "", "id": 42})
    )
    result = zulip(client, sleeper)
    assert (result.outcome, result.message_id, result.attempts) == ("sent", 42, 1)
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "type": ["stream"],
        "to": ["reports"],
        "topic": ["alice: weekly"],
        "content": ["**hi**"],
    }
    assert request.headers["authorization"] == "Basic " + SECRETS[-1]
    assert_no_secrets(result, caplog)


def test_zulip_429_waits_the_retry_after_from_the_body(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    limited = httpx.Response(
        429, json={"result": "error", "code": "RATE_LIMIT_HIT", "msg": "", "retry-after": 2.5}
    )
    ok = httpx.Response(200, json={"result": "success", "id": 7})
    respx_mock.post(MESSAGES).mock(side_effect=[limited, ok])
    result = zulip(client, sleeper)
    assert (result.outcome, result.message_id, result.attempts) == ("sent", 7, 2)
    assert sleeper.waits == [2.5]


def test_zulip_429_prefers_the_retry_after_header(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    limited = httpx.Response(
        429,
        headers={"Retry-After": "4"},
        json={"result": "error", "code": "RATE_LIMIT_HIT", "retry-after": 9},
    )
    respx_mock.post(MESSAGES).mock(
        side_effect=[limited, httpx.Response(200, json={"result": "success", "id": 1})]
    )
    assert zulip(client, sleeper).sent and sleeper.waits == [4.0]


def test_zulip_5xx_then_success(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    respx_mock.post(MESSAGES).mock(
        side_effect=[
            httpx.Response(502, text="<html>bad gateway</html>"),
            httpx.Response(200, json={"result": "success", "id": 3}),
        ]
    )
    result = zulip(client, sleeper)
    assert (result.outcome, result.attempts, len(sleeper.waits)) == ("sent", 2, 1)


def test_zulip_timeouts_exhaust_the_retries(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = respx_mock.post(MESSAGES).mock(side_effect=httpx.ConnectTimeout("connect timed out"))
    result = zulip(client, sleeper)
    assert (result.outcome, result.attempts, route.call_count) == ("failed_retryable", 4, 4)
    assert "could not connect" in result.detail
    assert_no_secrets(result, caplog)


def test_zulip_dropped_connection_is_in_doubt_not_retried(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    route = respx_mock.post(MESSAGES).mock(
        side_effect=[
            httpx.RemoteProtocolError("peer closed"),
            httpx.Response(200, json={"result": "success", "id": 5}),
        ]
    )
    result = zulip(client, sleeper)
    assert (result.in_doubt, result.message_id, route.call_count) == (True, None, 1)


@pytest.mark.parametrize(
    ("response", "needle"),
    [
        (zulip_error(401, "INVALID_API_KEY", "Invalid API key"), "regenerate the key"),
        (zulip_error(401, "USER_DEACTIVATED", "Account is deactivated"), "reactivate it"),
        (
            zulip_error(401, "REALM_DEACTIVATED", "This organization has been deactivated"),
            "site URL",
        ),
        (zulip_error(401, "UNAUTHORIZED", "Not logged in"), "set the bot email and API key"),
        (
            zulip_error(400, "STREAM_DOES_NOT_EXIST", "Le canal n'existe pas", stream="reports"),
            "'reports' does not exist",
        ),
        (zulip_error(403, "SOMETHING_NEW", "?"), "check the site URL, bot email and API key"),
        (httpx.Response(404, text="<html>Not Found</html>"), "check the site URL"),
        (httpx.Response(200, text="<html>login</html>"), "did not answer like Zulip"),
    ],
)
def test_zulip_permanent_failures_say_what_to_fix(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
    response: httpx.Response,
    needle: str,
) -> None:
    route = respx_mock.post(MESSAGES).mock(return_value=response)
    result = zulip(client, sleeper)
    assert (result.outcome, result.status, route.call_count) == (
        "failed_permanent",
        response.status_code,
        1,
    )
    assert needle in result.detail and "\n" not in result.detail
    assert sleeper.waits == []
    assert_no_secrets(result, caplog)


@pytest.mark.parametrize(
    "code", ["BAD_REQUEST", "REQUEST_VARIABLE_MISSING", "STREAM_WILDCARD_MENTION_NOT_ALLOWED"]
)
def test_zulip_400_is_our_bug_and_the_message_is_logged(
    respx_mock: respx.MockRouter,
    client: httpx.Client,
    sleeper: Sleeper,
    caplog: pytest.LogCaptureFixture,
    code: str,
) -> None:
    respx_mock.post(MESSAGES).mock(
        return_value=zulip_error(400, code, "Stream 'reports' does not exist")
    )
    result = zulip(client, sleeper)
    assert (result.outcome, result.attempts) == ("failed_bad_request", 1)
    assert (
        code in result.detail and "does not exist:" not in result.detail
    )  # branches on code, not msg
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        '"content": "**hi**"' in record.getMessage()
        and '"topic": "alice: weekly"' in record.getMessage()
    )
    assert_no_secrets(result, caplog)


def test_zulip_site_must_be_a_url(client: httpx.Client, sleeper: Sleeper) -> None:
    result = post_zulip(client, "chat.example.org", EMAIL, API_KEY, "s", "t", "c", sleep=sleeper)
    assert (result.outcome, result.attempts) == ("failed_permanent", 0)


def test_retry_policy_is_configurable(
    respx_mock: respx.MockRouter, client: httpx.Client, sleeper: Sleeper
) -> None:
    route = respx_mock.post(MESSAGES).mock(return_value=httpx.Response(503))
    policy = RetryPolicy(attempts=2, base_delay=0.1)
    result = post_zulip(
        client,
        SITE,
        EMAIL,
        API_KEY,
        "s",
        "t",
        "c",
        policy=policy,
        sleep=sleeper,
        jitter=lambda: 1.0,
    )
    assert (result.outcome, route.call_count, sleeper.waits) == ("failed_retryable", 2, [0.1])


def test_redact_replaces_longest_secrets_first() -> None:
    text = f"posting to {WEBHOOK} failed for {TOKEN}"
    assert redact(text, ["", TOKEN, WEBHOOK]) == "posting to [redacted] failed for [redacted]"
