"""`contrib worker`: one of any number of processes sharing the daemon's work through the
database. Each claims one unit at a time with a lease (contribbot.store.leases), keeps the
lease alive from a heartbeat thread, and gives it back when done. The worker holding the
leader lock also turns the [schedule] into units.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from contribbot.app.leader import LeaderLock
from contribbot.app.loop import JobHost
from contribbot.app.units import UnitResult, UnitRunner, schedule
from contribbot.errors import AuthError, ContribError
from contribbot.github.errors import WaitInterrupted
from contribbot.store import leases
from contribbot.store.db import make_engine, upgrade
from contribbot.store.leases import Claimed
from contribbot.sync import StopRequested

RETRY_CONFLICT = timedelta(seconds=1)  # two workers wrote the same new row: try again soon
UPGRADE_KEY = int.from_bytes(b"contribU", "big")  # the advisory lock held while upgrading
GONE_AFTER = timedelta(days=1)  # a worker row not seen for this long is forgotten
log = logging.getLogger("contribbot.worker")


def worker_engine(url: str) -> Engine:
    """The worker's engine: on SQLite every transaction takes the write lock when it
    begins (BEGIN IMMEDIATE), so workers sharing one SQLite file take turns instead of
    failing with "database is locked" when one writes between another's read and write."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
        upgrade(engine)
        return engine
    with engine.connect() as connection:  # workers starting together upgrade one at a time
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_KEY})
        try:
            upgrade(engine)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_KEY})
    return engine


def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Worker(JobHost):
    """One worker process: claim, run, give back; lead when the leader lock is free."""

    def _setup(self) -> None:
        self.lease = self.config.workers.lease
        self.idle = self.config.workers.idle
        self.poll = self.config.schedule.poll_every
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leader = LeaderLock(self.engine, self.config.database_url())
        self.leading = False
        self.done = 0
        self._held: Claimed | None = None
        self._lost = threading.Event()  # our lease ran out and someone else took the unit
        self._beat_lock = threading.Lock()
        self._next_plan: datetime | None = None

    # -- the loop ------------------------------------------------------------------------

    def serve(self, *, until_idle: bool = False) -> None:
        """Work until stopped (or, with `until_idle`, until nothing is due)."""
        log.info("worker %s started (lease %ss)", self.id, int(self.lease.total_seconds()))
        self._beat()
        beat = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beat.start()
        try:
            while not self.stopping.is_set():
                self._lead()
                if self.step():
                    continue
                if until_idle and self._all_idle():
                    break
                self.stopping.wait(self._idle_s())
        finally:
            self.stopping.set()
            beat.join(timeout=5)
            self.leader.release()
            leases.stopped(self.engine, worker=self.id, now=self.clock())
            log.info("worker %s stopped after %d units", self.id, self.done)

    def _idle_s(self) -> float:
        return self.idle.total_seconds()

    def _all_idle(self) -> bool:
        with Session(self.engine) as session:
            return leases.idle(session, now=self.clock())

    def step(self) -> bool:
        """Claim one due unit and run it; False when nothing was due."""
        unit = leases.claim(self.engine, worker=self.id, now=self.clock(), lease=self.lease)
        if unit is None:
            return False
        with self._beat_lock:
            self._held, self._lost = unit, threading.Event()
        try:
            next_due, error, done = self._run(unit)
        finally:
            with self._beat_lock:
                self._held = None
        if not leases.finish(
            self.engine,
            unit=unit,
            worker=self.id,
            now=self.clock(),
            next_due=next_due,
            error=error,
            done=done,
        ):
            log.warning("%s: the lease ran out while it ran; another worker has it now", unit.key)
        self.done += 1
        return True

    def _run(self, unit: Claimed) -> tuple[datetime | None, str | None, bool]:
        """Run a unit; returns when it is due again (None: a finished one-shot), the error
        if it failed, and whether it did its work (False: it stopped or waited)."""
        runner = UnitRunner(
            engine=self.engine,
            config=self.config,
            client=self.client,
            clock=self.clock,
            should_stop=lambda: self.stopping.is_set() or self._lost.is_set(),
            sleep=self.stopping.wait,
        )
        try:
            result = runner.run(unit.kind, unit.key)
        except (StopRequested, WaitInterrupted):
            log.info("%s: stopped between pages; it resumes from its checkpoint", unit.key)
            return self.clock(), None, False
        except (IntegrityError, OperationalError) as exc:  # a race on a new row, a deadlock
            log.info("%s: conflict with another worker (%s); retrying", unit.key, _first(exc))
            return self.clock() + RETRY_CONFLICT, f"conflict: {_first(exc)}", False
        except AuthError:
            self.stopping.set()  # no token left: nothing else can sync either
            raise
        except (ContribError, DBAPIError) as exc:
            log.error("%s failed: %s", unit.key, exc)
            return self.clock() + self.poll, str(exc), False
        self._log(unit, result)
        if result.again_in is not None:
            return self.clock() + result.again_in, None, False
        if unit.every is None:
            return None, None, True
        return self.clock() + timedelta(seconds=unit.every), None, True

    def _log(self, unit: Claimed, result: UnitResult) -> None:
        line = f"{unit.key}: {result.message}"
        if result.requests:
            line += f"; {result.requests} requests ({result.spent} counted)"
        fields = {"unit": unit.key, "requests": result.requests, "spent": result.spent}
        log.log(
            logging.INFO if result.ok else logging.WARNING, "%s", line, extra={"fields": fields}
        )

    # -- leading -------------------------------------------------------------------------

    def _lead(self) -> None:
        leading = self.leader.held()
        if leading and not self.leading:
            log.info("worker %s leads: it turns the schedule into units", self.id)
        self.leading = leading
        now = self.clock()
        if not leading or (self._next_plan is not None and now < self._next_plan):
            return
        created = schedule(self.engine, self.config, now=now)
        if created:
            log.info("scheduled %d new units", created)
        with Session(self.engine) as session:
            leases.forget_workers(session, before=now - GONE_AFTER)
            session.commit()
        self._next_plan = now + min(self.poll, self.lease)

    # -- heartbeat -------------------------------------------------------------------------

    def _heartbeats(self) -> None:
        while not self.stopping.wait(self.lease.total_seconds() / 3):
            self._beat()

    def _beat(self) -> None:
        with self._beat_lock:
            held, lost = self._held, self._lost
        now = self.clock()
        try:
            if held is not None and not leases.renew(
                self.engine, unit_id=held.id, worker=self.id, now=now, lease=self.lease
            ):
                lost.set()
            leases.heartbeat(
                self.engine,
                worker=self.id,
                host=socket.gethostname(),
                pid=os.getpid(),
                now=now,
                leader=self.leading,
                unit=held.key if held else None,
                done=self.done,
            )
        except DBAPIError as exc:  # the database is away: the lease may run out; that is safe
            log.warning("heartbeat failed: %s", _first(exc))


def _first(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200]
