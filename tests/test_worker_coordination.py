"""Workers coordinating through the database: a leader killed with -9 is replaced and its
scheduling taken over, and several workers sending the same due report post it once."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from typing import Any

from conftest import load, wait_for, world_copy, write_config
from sqlalchemy import delete
from sqlmodel import Session, select
from test_app_worker import REPO, start_worker

from contribbot.app.units import UnitRunner
from contribbot.app.worker import worker_engine
from contribbot.deliver import outbox
from contribbot.fakehub import FakeHub
from contribbot.fakehub.sink import Sink
from contribbot.github.client import GitHubClient
from contribbot.store.db import session_scope
from contribbot.store.models import Delivery, WorkUnit
from contribbot.store.models import Worker as WorkerRow

LEASE_S = 4


def live_leaders(engine: Any) -> list[WorkerRow]:
    with Session(engine) as session:
        rows = session.exec(select(WorkerRow).where(WorkerRow.leader)).all()
    return [r for r in rows if r.stopped_at is None]


def test_a_leader_killed_with_9_is_replaced_and_scheduling_goes_on(tmp_path):
    with FakeHub(world_copy("small")) as hub:  # what the workers sync matters little here
        extra = f'[workers]\nlease = "{LEASE_S}s"\nidle = "1s"\n'
        path = write_config(tmp_path, hub.base_url, users=["alice"], repos=[REPO], extra=extra)
        engine = worker_engine(load(path).database_url())
        procs = {p.pid: p for p in (start_worker(path) for _ in range(3))}
        try:
            # one leader at a time (a row's flag can lag a moment behind the lock's holder)
            seen: list[WorkerRow] = []

            def one() -> bool:
                seen[:] = live_leaders(engine)
                return len(seen) == 1

            assert wait_for(one, 120), "no single worker became the leader"
            (leader,) = seen
            victim = procs[leader.pid]
            os.kill(victim.pid, signal.SIGKILL)
            victim.communicate(timeout=10)
            killed = time.monotonic()

            def successor() -> list[WorkerRow]:
                return [r for r in live_leaders(engine) if r.pid != victim.pid]

            # the takeover is due within a lease (idle 1 s + a heartbeat every lease/3); the
            # bound is loose because the test machine is shared and slow
            assert wait_for(successor, 10 * LEASE_S), "no worker took over leading"
            took = time.monotonic() - killed
            logging.getLogger(__name__).info("new leader after %.1fs (lease %ss)", took, LEASE_S)
            assert wait_for(lambda: len(successor()) == 1, 10 * LEASE_S), "two leaders at once"
            # the new leader schedules: a unit the schedule wants, removed, comes back
            with session_scope(engine) as session:
                session.exec(delete(WorkUnit).where(WorkUnit.kind == "candidates"))  # type: ignore[call-overload]

            def rescheduled() -> bool:
                with Session(engine) as session:
                    found = session.exec(select(WorkUnit).where(WorkUnit.kind == "candidates"))
                    return found.first() is not None

            assert wait_for(rescheduled, 10 * LEASE_S), "nobody scheduled after the leader died"
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            outs = [p.communicate(timeout=60) for p in procs.values() if p is not victim]
        assert all(p.returncode == 0 for p in procs.values() if p is not victim)
        assert "Traceback" not in "".join(err for _, err in outs)


def test_workers_sending_the_same_due_report_at_once_post_it_once(tmp_path):
    """Four workers run the deliver unit at the same moment (as when a lease ran out while
    its holder was still posting); each message of the report reaches the sink once."""
    with Sink(delay_s=0.3) as sink:  # slow answers: every sender is mid-post at once
        extra = (
            f'[[destinations]]\nname = "team"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
            'users = ["alice"]\n'
        )
        path = write_config(tmp_path, "http://127.0.0.1:9", users=["alice"], extra=extra)
        config = load(path)
        now = datetime.now(UTC)
        with session_scope(worker_engine(config.database_url())) as session:
            payloads = [{"text": f"part {i}"} for i in range(1, 4)]
            outbox.plan(
                session,
                destination="team",
                kind="weekly",
                subject="team",
                period="2026-W47",
                payloads=payloads,
                now=now,
            )
        start = threading.Barrier(4)
        results: list[Any] = []
        failures: list[BaseException] = []

        def worker() -> None:
            runner = UnitRunner(
                engine=worker_engine(config.database_url()),
                config=config,
                client=GitHubClient(api_url="http://127.0.0.1:9", token="unused"),
                clock=lambda: datetime.now(UTC),
                should_stop=lambda: False,
                sleep=lambda _s: False,
            )
            try:
                start.wait()
                results.append(runner.run("deliver", "deliver"))
            except BaseException as exc:  # noqa: BLE001 (reported below)
                failures.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert failures == [] and len(results) == 4
        assert sorted(p.json()["text"] for p in sink.posts) == ["part 1", "part 2", "part 3"]
        with Session(worker_engine(config.database_url())) as session:
            rows = session.exec(select(Delivery)).all()
        assert [r.status for r in rows] == ["sent"] * 3
        assert [r.attempts for r in rows] == [1, 1, 1]
