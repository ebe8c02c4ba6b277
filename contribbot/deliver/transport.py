"""Posting to Slack incoming webhooks and to Zulip over httpx, following the error table.

| answer                                  | outcome              | what we do                      |
|-----------------------------------------|----------------------|---------------------------------|
| 2xx                                     | `sent`               |                                 |
| 429                                     | retry                | wait `Retry-After`, try again   |
| 5xx, 408, timeout, dropped connection   | retry                | jittered exponential backoff    |
| retries used up / wait too long         | `failed_retryable`   | the outbox tries a later run    |
| 400 (and 413, 422)                      | `failed_bad_request` | payload logged; until --retry   |
| 401/403/404/410 and other 4xx           | `failed_permanent`   | one line saying what to fix     |

How an answer is read is in responses.py. Webhook URLs and API keys never reach logs,
exceptions or `detail`; httpx itself logs request URLs at INFO on the "httpx" logger,
so callers keep that logger at WARNING.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from contribbot.deliver.escape import clean, redact
from contribbot.deliver.responses import Judgement, Verdict, judge_slack, judge_zulip

logger = logging.getLogger(__name__)

Outcome = Literal["sent", "failed_permanent", "failed_bad_request", "failed_retryable"]
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_FINAL_OUTCOMES: dict[Verdict, Outcome] = {
    "sent": "sent",
    "failed_permanent": "failed_permanent",
    "failed_bad_request": "failed_bad_request",
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
class _Message:
    """One message to post: how to send it, how to read the answer, what must stay secret."""

    service: str
    url: str
    bad_url: str  # the line to show when `url` is not an http(s) URL
    send: Callable[[], httpx.Response]
    judge: Callable[[httpx.Response], Judgement]
    payload: Mapping[str, Any]  # logged, redacted, when the service calls it malformed
    secrets: tuple[str, ...]


def http_client() -> httpx.Client:
    """A client for webhook posts (15 s timeouts), on the process's one TLS context."""
    return httpx.Client(timeout=15.0, verify=_tls_context())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR),
    made once: making one reads and parses the whole CA bundle, some 30 ms of CPU, and each
    send pass (every daemon tick with a destination) made a new client, hence a new one."""
    return httpx.create_ssl_context()


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
    message = _Message(
        service="Slack",
        url=webhook_url,
        bad_url="the Slack webhook URL is not an http(s) URL: copy it again from the Slack app",
        send=lambda: client.post(webhook_url, json=dict(payload)),
        judge=judge_slack,
        payload=payload,
        secrets=_url_secrets(webhook_url),
    )
    return _post(message, policy, sleep, jitter)


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
    form = {"type": "stream", "to": stream, "topic": topic, "content": content}
    message = _Message(
        service="Zulip",
        url=site,
        bad_url="the Zulip site is not an http(s) URL: set it like https://example.zulipchat.com",
        send=lambda: client.post(
            f"{site.rstrip('/')}/api/v1/messages", data=form, auth=(email, api_key)
        ),
        judge=lambda response: judge_zulip(response, stream),
        payload=form,
        secrets=(api_key, *_basic_auth_secrets(email, api_key), *_url_userinfo(site)),
    )
    return _post(message, policy, sleep, jitter)


def _post(
    message: _Message,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
    jitter: Callable[[], float],
) -> DeliveryResult:
    if not _is_http_url(message.url):
        return DeliveryResult("failed_permanent", message.bad_url, attempts=0)
    result = _deliver(message, policy, sleep, jitter)
    if result.outcome == "failed_bad_request":
        _log_rejected(result.detail, message.payload, message.secrets)
    return result


def _deliver(
    message: _Message,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
    jitter: Callable[[], float],
) -> DeliveryResult:
    attempt = 0
    while True:
        attempt += 1
        judgement = _attempt(message)
        judgement = replace(judgement, detail=redact(judgement.detail, message.secrets))
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


def _attempt(message: _Message) -> Judgement:
    service = message.service
    try:
        response = message.send()
    except _NOT_SENT as exc:
        reason = clean(f"{type(exc).__name__}: {exc}", 200)
        return Judgement("retry", f"could not connect to {service} ({reason})")
    except httpx.TimeoutException as exc:
        return Judgement("doubt", f"{service} did not answer in time ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        # The message of a transport error may repeat the URL; `_deliver` redacts it.
        reason = clean(f"{type(exc).__name__}: {exc}", 200)
        return Judgement("doubt", f"the connection to {service} failed ({reason})")
    return message.judge(response)


def _final(judgement: Judgement, attempts: int) -> DeliveryResult:
    return DeliveryResult(
        _FINAL_OUTCOMES[judgement.verdict],
        judgement.detail,
        attempts=attempts,
        status=judgement.status,
        message_id=judgement.message_id,
    )


def _retryable(
    judgement: Judgement, detail: str, attempts: int, retry_after: float | None
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
