"""Exactly-once bookkeeping: every post goes through the `delivery` table.

A message is recorded (pending) before anything is sent, marked `sending` in its own
commit right before the POST, and `sent` with the message id right after. A row found
still `sending` was interrupted between the two: contribbot cannot know whether it
arrived, so it is re-sent visibly marked "(resent)" rather than silently twice.
Enqueueing is idempotent per (destination, kind, subject, period): once a report for a
week has been planned for a destination, it is never planned again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from contribbot.store.models import Delivery
from contribbot.timeutil import utc_z

OPEN = ("pending", "sending")
RETRY_BASE = timedelta(minutes=5)  # a failed post is tried again after 5 min, 10, 20... (6 h cap)
RETRY_CAP = timedelta(hours=6)


def already_planned(
    session: Session, *, destination: str, kind: str, subject: str, period: str
) -> bool:
    """True when this report was enqueued for this destination before (sent or not)."""
    row = session.exec(
        select(Delivery.id).where(
            Delivery.destination == destination,
            Delivery.kind == kind,
            Delivery.subject == subject,
            Delivery.period == period,
        )
    ).first()
    return row is not None


def plan(
    session: Session,
    *,
    destination: str,
    kind: str,
    subject: str,
    period: str,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
) -> int:
    """Record the messages of one report for one destination; 0 when it was planned before."""
    if not payloads or already_planned(
        session, destination=destination, kind=kind, subject=subject, period=period
    ):
        return 0
    for part, payload in enumerate(payloads, start=1):
        session.add(
            Delivery(
                destination=destination,
                kind=kind,
                subject=subject,
                period=period,
                part=part,
                parts=len(payloads),
                created_at=now,
                payload=payload,
            )
        )
    session.flush()
    return len(payloads)


def due(session: Session, *, destination: str, now: datetime, manual: bool) -> list[Delivery]:
    """Messages to send to `destination` now, in order.

    Pending and in-doubt ones always; failed ones once their backoff has passed; with
    `manual` (`contrib deliveries --retry`, after the user fixed something) every failed
    one, permanent failures included. Without `manual`, a permanent failure holds back the
    later parts of its own report (they would arrive without it) but not other reports.
    """
    rows = session.exec(
        select(Delivery)
        .where(Delivery.destination == destination)
        .where(col(Delivery.status).in_([*OPEN, "failed", "failed_permanent"]))
        .order_by(col(Delivery.id))
    )
    out, held = [], set()
    for row in rows:
        report = (row.kind, row.subject, row.period)
        if not manual and (row.status == "failed_permanent" or report in held):
            held.add(report)
            continue
        if not manual and row.status == "failed" and not _backed_off(row, now):
            break  # later messages wait behind it, so they never arrive out of order
        out.append(row)
    return out


def _backed_off(row: Delivery, now: datetime) -> bool:
    wait = min(RETRY_CAP, RETRY_BASE * 2 ** max(row.attempts - 1, 0))
    return row.attempted_at is None or now - row.attempted_at >= wait


def mark_sending(session: Session, *, row: Delivery, now: datetime) -> bool:
    """Record the attempt before the POST; returns True when the row was in doubt."""
    in_doubt = row.status == "sending"
    row.status, row.attempts, row.attempted_at = "sending", row.attempts + 1, now
    session.add(row)
    return in_doubt


def mark_done(
    session: Session,
    *,
    row: Delivery,
    status: str,
    now: datetime,
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record how the POST went."""
    row.status, row.error = status, error
    if status == "sending":  # in doubt: it may have arrived; the next pass re-sends it marked
        session.add(row)
        return
    if status == "sent":
        row.sent_at, row.message_id = now, message_id
    session.add(row)


def listing(session: Session, *, limit: int = 200) -> list[Delivery]:
    """The newest outbox rows first."""
    return list(session.exec(select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)))


def delivery_to_json(row: Delivery) -> dict[str, Any]:
    """One outbox row as `contrib deliveries --format json` shows it."""
    return {
        "id": row.id,
        "destination": row.destination,
        "kind": row.kind,
        "subject": row.subject,
        "period": row.period,
        "part": row.part,
        "parts": row.parts,
        "status": row.status,
        "attempts": row.attempts,
        "sent_at": utc_z(row.sent_at) if row.sent_at else None,
        "message_id": row.message_id,
        "error": row.error,
    }
