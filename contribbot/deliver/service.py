"""Planning and sending posts: reports -> outbox -> Slack/Zulip, exactly once per destination."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from contribbot.candidates.service import LAST_WEEKLY_KEY
from contribbot.config import Config, SlackDestination, ZulipDestination
from contribbot.deliver import outbox
from contribbot.deliver.digest import slack_digest, zulip_digest
from contribbot.deliver.slack import render_slack
from contribbot.deliver.zulip import render_zulip
from contribbot.errors import ConfigError, UsageError
from contribbot.report.model import WeeklyReport
from contribbot.secrets import expand_secret
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.store.models import Delivery
from contribbot.timeutil import utc_z

if TYPE_CHECKING:  # httpx (and the transport over it) only for a pass that sends
    import httpx

    from contribbot.deliver.transport import DeliveryResult

log = logging.getLogger("contribbot.deliver")

Destination = SlackDestination | ZulipDestination
KINDS = ("weekly", "daily", "candidates")
SLACK_PACE_S = 1.0  # Slack allows about one message per second per webhook
RESENT = "(resent)"


@dataclass
class SendSummary:
    """What a send pass did."""

    sent: int = 0
    resent: int = 0
    failed: int = 0
    problems: dict[str, str] = field(default_factory=dict)  # destination -> one clear line

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return self.failed == 0


def destinations(config: Config, *, kind: str, only: str | None = None) -> list[Destination]:
    """The destinations that want `kind`, or the one named `only` (error if unknown)."""
    if only is not None and only not in {d.name for d in config.destinations}:
        known = ", ".join(d.name for d in config.destinations) or "none configured"
        raise UsageError(f"--to: no destination named {only!r} ({known})")
    named = [d for d in config.destinations if only is None or d.name == only]
    chosen = [d for d in named if getattr(d, kind)]
    if only is not None and not chosen:
        raise UsageError(f"--to: {only!r} does not take {kind} posts ({kind} = false)")
    return chosen


def audience(config: Config, destination: Destination) -> list[str]:
    """The logins a destination covers (all tracked users by default)."""
    return list(destination.users) or list(config.track.users)


def plan_report(
    engine: Engine,
    *,
    destination: Destination,
    kind: str,
    period: str,
    report: WeeklyReport,
    now: datetime,
) -> int:
    """Render `report` for one destination and record its messages (once per period)."""
    planned = 0
    with session_scope(engine) as session:
        for subject, payloads in _messages(destination, kind, report):
            planned += outbox.plan(
                session,
                destination=destination.name,
                kind=kind,
                subject=subject,
                period=period,
                payloads=payloads,
                now=now,
            )
    return planned


def _messages(
    destination: Destination, kind: str, report: WeeklyReport
) -> list[tuple[str, list[dict[str, Any]]]]:
    if not report.users:
        return []
    if isinstance(destination, SlackDestination):
        subject = report.users[0].login if len(report.users) == 1 else "cohort"
        payloads = slack_digest(report) if kind == "candidates" else render_slack(report)
        return [(subject, [dict(p) for p in payloads])]
    template = {
        "weekly": destination.topic,
        "daily": destination.daily_topic,
        "candidates": destination.candidates_topic,
    }[kind]
    out = []
    for user in report.users:
        alone = dataclasses.replace(report, users=(user,))
        if kind == "candidates":
            messages = zulip_digest(alone, topic_template=template)
        else:
            messages = render_zulip(alone, topic_template=template)
        out.append((user.login, [{"topic": m.topic, "content": m.content} for m in messages]))
    return out


def send_due(
    engine: Engine,
    *,
    config: Config,
    only: str | None = None,
    retry_failed: bool = False,
    http: httpx.Client | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], datetime],
) -> SendSummary:
    """Send every planned message not yet sent; one failing destination does not stop others."""
    summary = SendSummary()
    if not any(only is None or d.name == only for d in config.destinations):
        return summary  # nowhere to send: no HTTP client
    from contribbot.deliver.transport import http_client

    client = http or http_client()
    try:
        for destination in config.destinations:
            if only is None or destination.name == only:
                _send_to(engine, destination, retry_failed, client, sleep, clock, summary)
    finally:
        if http is None:
            client.close()
    return summary


def _send_to(
    engine: Engine,
    destination: Destination,
    retry_failed: bool,
    client: httpx.Client,
    sleep: Callable[[float], object],
    clock: Callable[[], datetime],
    summary: SendSummary,
) -> None:
    with session_scope(engine) as session:
        rows = outbox.due(session, destination=destination.name, now=clock(), manual=retry_failed)
        ids = [row.id for row in rows]
    if not ids:
        return
    try:
        secret = _secret(destination)  # only now: an unset variable blocks this one alone
    except ConfigError as exc:
        summary.failed += 1
        summary.problems[destination.name] = str(exc).removeprefix(f"{destination.name}: ")
        log.error("%s", exc)
        return
    for index, row_id in enumerate(ids):
        with session_scope(engine) as session:
            row = session.get(Delivery, row_id, with_for_update=True)
            assert row is not None
            if row.status == "sent":  # another sender finished it since the list was read
                continue
            in_doubt = outbox.mark_sending(session, row=row, now=clock())
            payload = _resent(destination, row.payload) if in_doubt else row.payload
            label = f"{destination.name}: {row.kind} {row.period} {row.subject}"
            label += f" ({row.part}/{row.parts})"
        if index and isinstance(destination, SlackDestination):
            sleep(SLACK_PACE_S)
        result = _post(destination, secret, payload, client, sleep)
        with session_scope(engine) as session:
            row = session.get(Delivery, row_id)
            assert row is not None
            _record(session, row, result, clock())
        if result.sent:
            summary.sent += 1
            summary.resent += in_doubt
            log.info(
                "posted %s%s", label, " (resent after an interrupted attempt)" if in_doubt else ""
            )
            continue
        summary.failed += 1
        summary.problems[destination.name] = result.detail
        log.error("%s: %s", label, result.detail)
        return  # the rest wait, so parts never arrive out of order


def _record(session: Any, row: Delivery, result: DeliveryResult, now: datetime) -> None:
    if result.sent:
        message_id = str(result.message_id) if result.message_id is not None else None
        outbox.mark_done(session, row=row, status="sent", now=now, message_id=message_id)
        if row.kind == "weekly":
            save.set_state(session, key=LAST_WEEKLY_KEY, value=utc_z(now), now=now)
        return
    if result.in_doubt:
        status = "sending"
    elif result.outcome in ("failed_permanent", "failed_bad_request"):
        # the same payload would be refused again: it waits for `contrib deliveries
        # --retry` (after a fix, or a new contribbot), and no longer blocks later reports
        status = "failed_permanent"
    else:
        status = "failed"
    outbox.mark_done(session, row=row, status=status, now=now, error=result.detail)


def _secret(destination: Destination) -> str:
    """The destination's webhook URL or API key, `${NAME}` filled in from the environment."""
    if isinstance(destination, SlackDestination):
        return expand_secret(destination.webhook_url, owner=destination.name)
    return expand_secret(destination.api_key, owner=destination.name)


def _post(
    destination: Destination,
    secret: str,
    payload: dict[str, Any],
    client: httpx.Client,
    sleep: Callable[[float], object],
) -> DeliveryResult:
    from contribbot.deliver.transport import post_slack, post_zulip

    if isinstance(destination, SlackDestination):
        return post_slack(client, secret, payload, sleep=sleep)
    return post_zulip(
        client,
        destination.site,
        destination.email,
        secret,
        destination.channel,
        str(payload["topic"]),
        str(payload["content"]),
        sleep=sleep,
    )


def _resent(destination: Destination, payload: dict[str, Any]) -> dict[str, Any]:
    """Mark a message whose earlier attempt may have arrived, so a double is visible."""
    if isinstance(destination, ZulipDestination):
        return {**payload, "content": f"{RESENT} {payload['content']}"}
    blocks = [dict(b) for b in payload.get("blocks", [])]
    if blocks and blocks[0].get("type") == "header":
        text = dict(blocks[0]["text"])
        text["text"] = f"{RESENT} {text['text']}"[:150]
        blocks[0] = {**blocks[0], "text": text}
    return {**payload, "text": f"{RESENT} {payload.get('text', '')}", "blocks": blocks}


def rows_for_listing(engine: Engine, *, limit: int = 200) -> Sequence[Delivery]:
    """The outbox, newest first."""
    with session_scope(engine) as session:
        return outbox.listing(session, limit=limit)
