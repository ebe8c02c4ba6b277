"""Posting to Slack incoming webhooks and to Zulip over httpx, following the error table.

| answer                                  | outcome              | what we do                      |
|-----------------------------------------|----------------------|---------------------------------|
| 2xx                                     | `sent`               |                                 |
| 429                                     | retry                | wait `Retry-After`, try again   |
| 5xx, 408, timeout, dropped connection   | retry                | jittered exponential backoff    |
| retries used up / wait too long         | `failed_retryable`   | the outbox tries a later run    |
| 400 (and 413, 422)                      | `failed_bad_request` | our bug: payload logged (ERROR) |
| 401/403/404/410 and other 4xx           | `failed_permanent`   | one line saying what to fix     |

Zulip errors are branched on their `code`, never on the translated `msg`. Webhook
URLs and API keys never reach logs, exceptions or `detail`; httpx itself logs
request URLs at INFO on the "httpx" logger, so callers keep that logger at WARNING.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from contribbot.deliver.escape import clean, redact

logger = logging.getLogger(__name__)

Outcome = Literal["sent", "failed_permanent", "failed_bad_request", "failed_retryable"]
# "doubt": the request may have reached the service (a read timeout, a connection dropped
# after sending), so a blind retry could post twice; the outbox re-sends it marked "(resent)"
_Verdict = Literal["sent", "failed_permanent", "failed_bad_request", "retry", "doubt"]
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_FINAL_OUTCOMES: dict[_Verdict, Outcome] = {
    "sent": "sent",
    "failed_permanent": "failed_permanent",
    "failed_bad_request": "failed_bad_request",
}
_SLACK_CODE = re.compile(r"[a-z_]{1,60}")
_BAD_REQUEST_STATUSES = (400, 413, 422)

# code -> (what is wrong, what to do about it)
_SLACK_FIXES = {
    "invalid_token": ("the webhook's token is invalid", "make a new incoming webhook"),
    "action_prohibited": (
        "an admin restricted posting with this webhook",
        "ask a workspace admin or make a new webhook",
    ),
    "channel_not_found": (
        "the webhook's channel no longer exists",
        "make a new webhook for an existing channel",
    ),
    "channel_is_archived": (
        "the webhook's channel is archived",
        "unarchive it or make a new webhook",
    ),
    "no_service": (
        "the webhook was disabled or removed",
        "re-enable the app or make a new webhook",
    ),
}
_ZULIP_PERMANENT = {
    "INVALID_API_KEY": (
        "the bot's API key is not valid",
        "check the bot email and API key in the config, or regenerate the key",
    ),
    "UNAUTHORIZED": ("the request had no usable credentials", "set the bot email and API key"),
    "UNAUTHENTICATED_USER": (
        "the request had no usable credentials",
        "set the bot email and API key",
    ),
    "USER_DEACTIVATED": (
        "the bot's account is deactivated",
        "reactivate it or create a new bot",
    ),
    "REALM_DEACTIVATED": ("the organization is deactivated", "check the site URL"),
    "STREAM_DOES_NOT_EXIST": (
        "the channel {stream!r} does not exist",
        "create it or fix the stream name in the config",
    ),
}
_ZULIP_OUR_BUG = {
    "STREAM_WILDCARD_MENTION_NOT_ALLOWED": "a wildcard mention got through escaping",
    "TOPIC_WILDCARD_MENTION_NOT_ALLOWED": "a wildcard mention got through escaping",
    "REQUEST_VARIABLE_MISSING": "a required field was missing",
    "REQUEST_VARIABLE_INVALID": "a field had an invalid value",
}


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one message; `detail` is one line a user can act on, free of secrets."""

    outcome: Outcome
    detail: str
    attempts: int
    status: int | None = None
    message_id: int | None = None  # Zulip's message id; Slack webhooks return none
    retry_after: float | None = None  # the wait the server asked for, when we did not wait
    in_doubt: bool = False  # it may have arrived: re-send only visibly marked

    @property
    def sent(self) -> bool:
        """Whether the message was delivered."""
        return self.outcome == "sent"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before leaving a message to a later run."""

    attempts: int = 4
    base_delay: float = 1.0  # seconds before the second attempt; doubles each time
    max_delay: float = 30.0
    max_wait: float = 120.0  # the longest Retry-After we sleep through


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class _Judgement:
    verdict: _Verdict
    detail: str
    status: int | None = None
    message_id: int | None = None
    wait: float | None = None


def post_slack(
    client: httpx.Client,
    webhook_url: str,
    payload: Mapping[str, Any],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> DeliveryResult:
    """Post one payload to a Slack incoming webhook, retrying what is worth retrying."""
    secrets = _url_secrets(webhook_url)
    if not _is_http_url(webhook_url):
        detail = "the Slack webhook URL is not an http(s) URL: copy it again from the Slack app"
        return DeliveryResult("failed_permanent", detail, attempts=0)
    result = _deliver(
        lambda: client.post(webhook_url, json=dict(payload)),
        _judge_slack,
        service="Slack",
        policy=policy,
        sleep=sleep,
        jitter=jitter,
        secrets=secrets,
    )
    if result.outcome == "failed_bad_request":
        _log_rejected(result.detail, payload, secrets)
    return result


def post_zulip(
    client: httpx.Client,
    site: str,
    email: str,
    api_key: str,
    stream: str,
    topic: str,
    content: str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> DeliveryResult:
    """Post one message to a Zulip channel and topic, retrying what is worth retrying."""
    secrets = (api_key, *_basic_auth_secrets(email, api_key), *_url_userinfo(site))
    if not _is_http_url(site):
        detail = "the Zulip site is not an http(s) URL: set it like https://example.zulipchat.com"
        return DeliveryResult("failed_permanent", detail, attempts=0)
    form = {"type": "stream", "to": stream, "topic": topic, "content": content}
    result = _deliver(
        lambda: client.post(
            f"{site.rstrip('/')}/api/v1/messages", data=form, auth=(email, api_key)
        ),
        lambda response: _judge_zulip(response, stream),
        service="Zulip",
        policy=policy,
        sleep=sleep,
        jitter=jitter,
        secrets=secrets,
    )
    if result.outcome == "failed_bad_request":
        _log_rejected(result.detail, form, secrets)
    return result


def _deliver(
    send: Callable[[], httpx.Response],
    judge: Callable[[httpx.Response], _Judgement],
    *,
    service: str,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
    jitter: Callable[[], float],
    secrets: tuple[str, ...],
) -> DeliveryResult:
    attempt = 0
    while True:
        attempt += 1
        judgement = _attempt(send, judge, service)
        judgement = replace(judgement, detail=redact(judgement.detail, secrets))
        if judgement.verdict == "doubt":
            detail = f"{judgement.detail}; it may have arrived, so it is not retried blindly"
            return DeliveryResult("failed_retryable", detail, attempts=attempt, in_doubt=True)
        if judgement.verdict != "retry":
            return _final(judgement, attempt)
        if attempt >= policy.attempts:
            detail = f"{judgement.detail}; gave up after {attempt} attempts"
            return _retryable(judgement, detail, attempt, retry_after=judgement.wait)
        delay = judgement.wait if judgement.wait is not None else _backoff(attempt, policy, jitter)
        if delay > policy.max_wait:
            detail = f"{judgement.detail}; asked to wait {delay:.0f}s, leaving it for a later run"
            return _retryable(judgement, detail, attempt, retry_after=delay)
        logger.warning(
            "%s; retrying in %.1fs (attempt %d of %d)",
            judgement.detail,
            delay,
            attempt,
            policy.attempts,
        )
        sleep(delay)


def _attempt(
    send: Callable[[], httpx.Response],
    judge: Callable[[httpx.Response], _Judgement],
    service: str,
) -> _Judgement:
    try:
        response = send()
    except _NOT_SENT as exc:
        reason = clean(f"{type(exc).__name__}: {exc}", 200)
        return _Judgement("retry", f"could not connect to {service} ({reason})")
    except httpx.TimeoutException as exc:
        return _Judgement("doubt", f"{service} did not answer in time ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        # The message of a transport error may repeat the URL; `_deliver` redacts it.
        reason = clean(f"{type(exc).__name__}: {exc}", 200)
        return _Judgement("doubt", f"the connection to {service} failed ({reason})")
    return judge(response)


def _final(judgement: _Judgement, attempts: int) -> DeliveryResult:
    return DeliveryResult(
        _FINAL_OUTCOMES[judgement.verdict],
        judgement.detail,
        attempts=attempts,
        status=judgement.status,
        message_id=judgement.message_id,
    )


def _retryable(
    judgement: _Judgement, detail: str, attempts: int, retry_after: float | None
) -> DeliveryResult:
    return DeliveryResult(
        "failed_retryable",
        detail,
        attempts=attempts,
        status=judgement.status,
        retry_after=retry_after,
    )


def _backoff(attempt: int, policy: RetryPolicy, jitter: Callable[[], float]) -> float:
    ceiling = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    # Half fixed, half random: spreads retries out without ever retrying at once.
    return ceiling * (0.5 + jitter() / 2)


def _judge_slack(response: httpx.Response) -> _Judgement:
    status = response.status_code
    code = _slack_code(response.text)
    label = f"HTTP {status}, {code}" if code else f"HTTP {status}"
    if 200 <= status < 300:
        return _Judgement("sent", "sent to Slack", status)
    if status == 429:
        wait = _retry_after(response.headers.get("retry-after"))
        return _Judgement("retry", "Slack is rate-limiting this webhook (429)", status, wait=wait)
    if status >= 500 or status == 408:
        return _Judgement("retry", f"Slack had a server error ({label})", status)
    if code in _SLACK_FIXES:
        problem, fix = _SLACK_FIXES[code]
        return _Judgement("failed_permanent", f"Slack says {problem} ({code}): {fix}", status)
    if status in _BAD_REQUEST_STATUSES:
        detail = (
            f"Slack rejected the message as malformed ({label}): a contribbot bug; "
            "the payload is in the log"
        )
        return _Judgement("failed_bad_request", detail, status)
    detail = f"Slack refused the webhook ({label}): check the webhook URL or make a new webhook"
    return _Judgement("failed_permanent", detail, status)


def _judge_zulip(response: httpx.Response, stream: str) -> _Judgement:
    status = response.status_code
    body = _json_object(response)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if 200 <= status < 300 and body.get("result") == "success":
        message_id = body.get("id")
        sent_id = message_id if isinstance(message_id, int) else None
        return _Judgement("sent", "sent to Zulip", status, message_id=sent_id)
    if status == 429 or code == "RATE_LIMIT_HIT":
        header = _retry_after(response.headers.get("retry-after"))
        wait = header if header is not None else _retry_after(body.get("retry-after"))
        return _Judgement("retry", "Zulip is rate-limiting the bot (429)", status, wait=wait)
    if status >= 500 or status == 408:
        return _Judgement("retry", f"Zulip had a server error (HTTP {status})", status)
    return _judge_zulip_error(status, code, body, stream)


def _judge_zulip_error(
    status: int, code: str | None, body: Mapping[str, Any], stream: str
) -> _Judgement:
    label = f"{code}, HTTP {status}" if code else f"HTTP {status}"
    if code in _ZULIP_PERMANENT:
        problem, fix = _ZULIP_PERMANENT[code]
        detail = f"Zulip says {problem.format(stream=stream)} ({label}): {fix}"
        return _Judgement("failed_permanent", detail, status)
    if code in _ZULIP_OUR_BUG:
        detail = f"Zulip rejected the message: {_ZULIP_OUR_BUG[code]} ({label}); a contribbot bug"
        return _Judgement("failed_bad_request", detail + "; the message is in the log", status)
    if code == "BAD_REQUEST" or status in _BAD_REQUEST_STATUSES:
        said = clean(str(body.get("msg", "")), 200)
        detail = (
            f"Zulip rejected the message ({label}: {said or 'no reason given'}): if this is "
            "about permissions let the bot post in the channel, otherwise it is a contribbot "
            "bug; the message is in the log"
        )
        return _Judgement("failed_bad_request", detail, status)
    if 200 <= status < 300:
        detail = "the server did not answer like Zulip does: check the site URL"
        return _Judgement("failed_permanent", detail, status)
    detail = f"Zulip refused the request ({label}): check the site URL, bot email and API key"
    return _Judgement("failed_permanent", detail, status)


def _slack_code(body: str) -> str:
    first = body.strip().split("\n", 1)[0].strip()
    return first if _SLACK_CODE.fullmatch(first) else ""


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(value: object) -> float | None:
    """Seconds from a Retry-After header or Zulip's `retry-after`; None if absent or a date."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _url_secrets(url: str) -> tuple[str, ...]:
    """The webhook URL and its path: both are the secret (Slack puts the token in the path)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    # Segments like "T0123ABCD" and the token are secret; "services" is not.
    parts = tuple(part for part in path.split("/") if len(part) > len("services"))
    return (url, url.strip(), path if len(path) > 1 else "", *parts)


def _url_userinfo(url: str) -> tuple[str, ...]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    return tuple(s for s in (parts.password, parts.username) if s)


def _basic_auth_secrets(email: str, api_key: str) -> tuple[str, ...]:
    """The credentials as they go on the wire, in the Authorization header."""
    return (base64.b64encode(f"{email}:{api_key}".encode()).decode("ascii"),)


def _log_rejected(detail: str, payload: Mapping[str, Any], secrets: tuple[str, ...]) -> None:
    text = json.dumps(dict(payload), ensure_ascii=False)
    logger.error("%s. Rejected payload: %s", detail, redact(text, secrets))
