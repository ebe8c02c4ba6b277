"""Work units and their leases, in the `work_unit` table; workers' heartbeats in `worker`.

A worker claims a due unit whose lease is free or expired, with a compare-and-set UPDATE
(`... WHERE id = ? AND (lease_until IS NULL OR lease_until < now)`), so two workers can
never hold one unit, on either engine. On PostgreSQL the candidate row is picked with
`SELECT ... FOR UPDATE SKIP LOCKED`, so workers do not queue behind each other's claims.
A worker that dies stops renewing; its lease runs out and another worker claims the unit,
which resumes from the sync's checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Engine, Table, and_, delete, or_, update
from sqlalchemy import select as _select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from contribbot.store.models import Worker, WorkUnit

UNITS = cast(Table, WorkUnit.__table__)  # type: ignore[attr-defined]
WORKERS = cast(Table, Worker.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UnitSpec:
    """A unit the schedule wants to exist: key, kind, period in seconds (None: one-shot)."""

    key: str
    kind: str
    every: int | None
    first_due: datetime


@dataclass(frozen=True)
class Claimed:
    """A unit a worker holds."""

    id: int
    key: str
    kind: str
    every: int | None
    attempts: int


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(UNITS.c.lease_until.is_(None), UNITS.c.lease_until < now)


def ensure_units(session: Session, specs: Iterable[UnitSpec]) -> int:
    """Create the units that do not exist yet (safe when two leaders race); returns created."""
    rows = [
        {"key": s.key, "kind": s.kind, "every": s.every, "due_at": s.first_due, "attempts": 0}
        for s in specs
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created = 0
    for start in range(0, len(rows), 500):
        statement = insert(UNITS).values(rows[start : start + 500])
        result = session.connection().execute(
            statement.on_conflict_do_nothing(index_elements=["key"])
        )
        created += max(result.rowcount, 0)
    return created


def drop_units(session: Session, *, kinds: Sequence[str], keep: set[str], now: datetime) -> int:
    """Delete free units of `kinds` the schedule no longer wants (a user or repo removed)."""
    keys = session.exec(select(WorkUnit.key).where(col(WorkUnit.kind).in_(kinds))).all()
    gone = [k for k in keys if k not in keep]
    for start in range(0, len(gone), 500):
        session.connection().execute(
            delete(UNITS).where(UNITS.c.key.in_(gone[start : start + 500]), _free(now))
        )
    return len(gone)


def claim(engine: Engine, *, worker: str, now: datetime, lease: timedelta) -> Claimed | None:
    """Take the most overdue free unit for `lease`; None when nothing is due."""
    c = UNITS.c
    due = _select(c.id).where(c.due_at <= now, _free(now)).order_by(c.due_at, c.id).limit(1)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            unit_id = connection.execute(due.with_for_update(skip_locked=True)).scalar()
            if unit_id is None:
                return None
            target = c.id == unit_id
        else:  # one statement: SQLite has a single writer, so the pick and the set are atomic
            target = c.id == due.scalar_subquery()
        statement = (
            update(UNITS)
            .where(target, _free(now))
            .values(leased_by=worker, lease_until=now + lease, attempts=c.attempts + 1)
            .returning(c.id, c.key, c.kind, c.every, c.attempts)
        )
        row = connection.execute(statement).first()
    return None if row is None else Claimed(*row)


def renew(engine: Engine, *, unit_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Extend a held lease; False when the unit is no longer ours (it expired and was taken)."""
    with engine.begin() as connection:
        result = connection.execute(
            update(UNITS)
            .where(UNITS.c.id == unit_id, UNITS.c.leased_by == worker)
            .values(lease_until=now + lease)
        )
        return bool(result.rowcount == 1)


def finish(
    engine: Engine,
    *,
    unit: Claimed,
    worker: str,
    now: datetime,
    next_due: datetime | None,
    error: str | None = None,
    done: bool = True,
) -> bool:
    """Give a unit back: deleted when a one-shot is done (`next_due` None), else due again
    at `next_due`. False when the lease had been lost (another worker holds it now)."""
    mine = (UNITS.c.id == unit.id, UNITS.c.leased_by == worker)
    with engine.begin() as connection:
        if next_due is None:
            result = connection.execute(delete(UNITS).where(*mine))
        else:
            values: dict[str, Any] = {
                "leased_by": None,
                "lease_until": None,
                "due_at": next_due,
                "error": error,
            }
            if error is None and done:
                values |= {"done_at": now, "attempts": 0}
            result = connection.execute(update(UNITS).where(*mine).values(**values))
        return bool(result.rowcount == 1)


def nudge(session: Session, *, keys: Sequence[str], now: datetime) -> None:
    """Make units due now (when new follow-up work appeared for them)."""
    if keys:
        session.connection().execute(
            update(UNITS).where(UNITS.c.key.in_(keys), UNITS.c.due_at > now).values(due_at=now)
        )


def idle(session: Session, *, now: datetime) -> bool:
    """True when units exist, none is due, held or a one-shot still to do, and every unit
    due within a day has run once (so a deferred unit still counts as work to do)."""
    c = UNITS.c
    busy = or_(
        c.due_at <= now,
        c.lease_until >= now,
        c.every.is_(None),
        and_(c.done_at.is_(None), c.due_at < now + timedelta(hours=23)),
    )
    connection = session.connection()
    if connection.execute(_select(c.id).limit(1)).first() is None:
        return False
    return connection.execute(_select(c.id).where(busy).limit(1)).first() is None


def pending(session: Session, *, prefix: str) -> list[WorkUnit]:
    """The units whose key starts with `prefix`."""
    return list(session.exec(select(WorkUnit).where(col(WorkUnit.key).startswith(prefix))))


# -- workers ------------------------------------------------------------------------


def heartbeat(
    engine: Engine,
    *,
    worker: str,
    host: str,
    pid: int,
    now: datetime,
    leader: bool,
    unit: str | None,
    done: int,
) -> None:
    """Record that `worker` is alive, what it holds, and whether it leads."""
    with Session(engine) as session:
        row = session.get(Worker, worker) or Worker(
            id=worker, host=host, pid=pid, started_at=now, seen_at=now
        )
        row.seen_at, row.leader, row.unit, row.units_done = now, leader, unit, done
        session.add(row)
        session.commit()


def stopped(engine: Engine, *, worker: str, now: datetime) -> None:
    """Record a clean stop."""
    with Session(engine) as session:
        row = session.get(Worker, worker)
        if row is not None:
            row.stopped_at, row.leader, row.unit = now, False, None
            session.add(row)
            session.commit()


def forget_workers(session: Session, *, before: datetime) -> None:
    """Drop the rows of workers not seen since `before`."""
    session.connection().execute(delete(WORKERS).where(WORKERS.c.seen_at < before))
