"""Reading Slack's and Zulip's answers: an HTTP response -> a Judgement (see transport's table).

Pure: a response in, a verdict and one line a user can act on out. Zulip errors are
branched on their `code`, never on the translated `msg`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from contribbot.deliver.escape import clean

# "doubt": the request may have reached the service (a read timeout, a connection dropped
# after sending), so a blind retry could post twice; the outbox re-sends it marked "(resent)"
Verdict = Literal["sent", "failed_permanent", "failed_bad_request", "retry", "doubt"]
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
class Judgement:
    """What one answer means: retry, doubt or a final verdict, and a line saying why."""

    verdict: Verdict
    detail: str
    status: int | None = None
    message_id: int | None = None
    wait: float | None = None


def judge_slack(response: httpx.Response) -> Judgement:
    """What a Slack incoming webhook's answer means."""
    status = response.status_code
    code = _slack_code(response.text)
    label = f"HTTP {status}, {code}" if code else f"HTTP {status}"
    if 200 <= status < 300:
        return Judgement("sent", "sent to Slack", status)
    if status == 429:
        wait = retry_after(response.headers.get("retry-after"))
        return Judgement("retry", "Slack is rate-limiting this webhook (429)", status, wait=wait)
    if status >= 500 or status == 408:
        return Judgement("retry", f"Slack had a server error ({label})", status)
    if code in _SLACK_FIXES:
        problem, fix = _SLACK_FIXES[code]
        return Judgement("failed_permanent", f"Slack says {problem} ({code}): {fix}", status)
    if status in _BAD_REQUEST_STATUSES:
        detail = (
            f"Slack rejected the message as malformed ({label}): a contribbot bug; "
            "the payload is in the log"
        )
        return Judgement("failed_bad_request", detail, status)
    detail = f"Slack refused the webhook ({label}): check the webhook URL or make a new webhook"
    return Judgement("failed_permanent", detail, status)


def judge_zulip(response: httpx.Response, stream: str) -> Judgement:
    """What Zulip's answer to posting in `stream` means."""
    status = response.status_code
    body = _json_object(response)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if 200 <= status < 300 and body.get("result") == "success":
        message_id = body.get("id")
        sent_id = message_id if isinstance(message_id, int) else None
        return Judgement("sent", "sent to Zulip", status, message_id=sent_id)
    if status == 429 or code == "RATE_LIMIT_HIT":
        header = retry_after(response.headers.get("retry-after"))
        wait = header if header is not None else retry_after(body.get("retry-after"))
        return Judgement("retry", "Zulip is rate-limiting the bot (429)", status, wait=wait)
    if status >= 500 or status == 408:
        return Judgement("retry", f"Zulip had a server error (HTTP {status})", status)
    return _judge_zulip_error(status, code, body, stream)


def _judge_zulip_error(
    status: int, code: str | None, body: Mapping[str, Any], stream: str
) -> Judgement:
    label = f"{code}, HTTP {status}" if code else f"HTTP {status}"
    if code in _ZULIP_PERMANENT:
        problem, fix = _ZULIP_PERMANENT[code]
        detail = f"Zulip says {problem.format(stream=stream)} ({label}): {fix}"
        return Judgement("failed_permanent", detail, status)
    if code in _ZULIP_OUR_BUG:
        detail = f"Zulip rejected the message: {_ZULIP_OUR_BUG[code]} ({label}); a contribbot bug"
        return Judgement("failed_bad_request", detail + "; the message is in the log", status)
    if code == "BAD_REQUEST" or status in _BAD_REQUEST_STATUSES:
        said = clean(str(body.get("msg", "")), 200)
        detail = (
            f"Zulip rejected the message ({label}: {said or 'no reason given'}): if this is "
            "about permissions let the bot post in the channel, otherwise it is a contribbot "
            "bug; the message is in the log"
        )
        return Judgement("failed_bad_request", detail, status)
    if 200 <= status < 300:
        detail = "the server did not answer like Zulip does: check the site URL"
        return Judgement("failed_permanent", detail, status)
    detail = f"Zulip refused the request ({label}): check the site URL, bot email and API key"
    return Judgement("failed_permanent", detail, status)


def _slack_code(body: str) -> str:
    first = body.strip().split("\n", 1)[0].strip()
    return first if _SLACK_CODE.fullmatch(first) else ""


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(value: object) -> float | None:
    """Seconds from a Retry-After header or Zulip's `retry-after`; None if absent or a date."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
