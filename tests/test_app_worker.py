"""`contrib worker`: leases that never overlap, a worker killed with -9 mid-backfill, the
report posted once, and the database equal to a one-process sync of the same world."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, cli, load, wait_for, world_copy, write_config
from forked import Contrib, start
from sqlalchemy import text
from sqlmodel import Session, select

from contribbot.app import runtime
from contribbot.app.units import plan
from contribbot.app.worker import worker_engine
from contribbot.candidates.refresh import refresh_candidates
from contribbot.fakehub import FakeHub
from contribbot.fakehub.sink import Sink
from contribbot.store import leases
from contribbot.store.db import open_database, session_scope
from contribbot.store.leases import UnitSpec
from contribbot.store.models import Account, Comment, Issue, PullRequest, Review, WorkUnit
from contribbot.sync import Sync
from contribbot.timeutil import utc_z

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REPO = "pytorch/tutorials"
TRACKED = 12  # users of the three-worker test: a first sync (backfill unit) each, 4 per worker
VICTIM = "bob"  # in REPO: 5 PRs and issues of his own, 4 reviews and 2 comments on others'
WHERE = "WHERE key = :k"


# -- leases ------------------------------------------------------------------------------


def test_two_workers_never_hold_the_same_unit(tmp_path):
    """Eight claimers race over 12 always-due units; each holder bumps a counter on its
    unit's row in the database and finds it at 1, or the lease was shared."""
    path = write_config(tmp_path, "http://127.0.0.1:9")
    engine = worker_engine(load(path).database_url())
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        leases.ensure_units(session, [UnitSpec(f"probe:{i}", "probe", 0, now) for i in range(12)])
        session.connection().execute(text("CREATE TABLE probe (key TEXT PRIMARY KEY, holders INT)"))
        for i in range(12):
            session.connection().execute(text(f"INSERT INTO probe VALUES ('probe:{i}', 0)"))
    seen: list[int] = []
    claims: Counter[str] = Counter()
    failures: list[BaseException] = []

    def claimer(name: str) -> None:
        try:
            for _ in range(25):
                unit = leases.claim(
                    engine, worker=name, now=datetime.now(UTC), lease=timedelta(seconds=30)
                )
                if unit is None:
                    time.sleep(0.01)
                    continue
                with engine.begin() as connection:
                    holders = connection.execute(
                        text(f"UPDATE probe SET holders = holders + 1 {WHERE} RETURNING holders"),
                        {"k": unit.key},
                    ).scalar_one()
                seen.append(holders)
                claims[unit.key] += 1
                time.sleep(0.005)
                with engine.begin() as connection:
                    connection.execute(
                        text("UPDATE probe SET holders = holders - 1 WHERE key = :k"),
                        {"k": unit.key},
                    )
                assert leases.finish(
                    engine,
                    unit=unit,
                    worker=name,
                    now=datetime.now(UTC),
                    next_due=datetime.now(UTC),
                )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(seen) > 50, "too few claims to show anything"
    assert set(seen) == {1}, "a unit was held by two workers at once"
    assert len(claims) == 12


def test_an_expired_lease_goes_to_another_worker_and_the_first_loses_it(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9")
    engine = worker_engine(load(path).database_url())
    start = datetime.now(UTC)
    with session_scope(engine) as session:
        leases.ensure_units(session, [UnitSpec("backfill:o/r:ann", "backfill", None, start)])
    short = timedelta(seconds=10)
    first = leases.claim(engine, worker="dead", now=start, lease=short)
    assert first is not None
    assert (
        leases.claim(engine, worker="other", now=start + timedelta(seconds=5), lease=short) is None
    )
    later = start + timedelta(seconds=11)  # "dead" never renewed
    second = leases.claim(engine, worker="other", now=later, lease=short)
    assert second is not None and second.key == first.key and second.attempts == 2
    assert not leases.renew(engine, unit_id=first.id, worker="dead", now=later, lease=short)
    assert not leases.finish(engine, unit=first, worker="dead", now=later, next_due=None)
    assert leases.finish(engine, unit=second, worker="other", now=later, next_due=None)
    with session_scope(engine) as session:
        assert session.exec(select(WorkUnit)).all() == []  # a finished one-shot is gone


def test_status_shows_the_workers_their_units_and_leases(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9", users=["ann"], repos=["o/r"])
    engine = worker_engine(load(path).database_url())
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        specs = [
            UnitSpec("backfill:o/r:ann", "backfill", None, now),
            UnitSpec("x", "deliver", 60, now),
        ]
        leases.ensure_units(session, specs)
    lease = timedelta(seconds=60)
    unit = leases.claim(engine, worker="vm:41:abc", now=now, lease=lease)
    assert unit is not None and unit.key == "backfill:o/r:ann"
    for worker, pid, leader in (("vm:41:abc", 41, True), ("vm:42:def", 42, False)):
        leases.heartbeat(
            engine, worker=worker, host="vm", pid=pid, now=now, leader=leader, unit=None, done=3
        )
    leases.stopped(engine, worker="vm:42:def", now=now)
    code, out, err = cli("status", "--config", str(path), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)["workers"]
    first, second = sorted(doc["workers"], key=lambda w: w["pid"])
    assert first["state"] == "alive" and first["leader"] and first["unit"] == "backfill:o/r:ann"
    assert first["lease_until"] == utc_z(now + lease)
    assert second["state"] == "stopped" and second["unit"] is None
    assert doc["units"]["backfill"] == {"units": 1, "due": 0, "held": 1, "failing": 0}
    assert doc["units"]["deliver"]["due"] == 1
    code, out, _ = cli("status", "--config", str(path))
    assert code == 0 and "vm:41:abc" in out and "backfill:o/r:ann" in out and "deliver 1" in out


def test_the_schedule_wants_a_backfill_per_user_until_it_is_done():
    config = load_config_for(users=["ann", "bo"], repos=["o/r"])
    specs = {s.key: s for s in plan(config, backfilled={"backfill:o/r:ann"}, now=NOW)}
    assert "backfill:o/r:bo" in specs and "backfill:o/r:ann" not in specs
    assert specs["backfill:o/r:bo"].every is None
    assert specs["streams:o/r"].every == 15 * 60 and specs["events:ann"].every == 15 * 60
    assert specs["reconcile:o/r:ann"].first_due == NOW + timedelta(days=1)
    assert {"candidates", "deliver"} <= set(specs)


def load_config_for(*, users: list[str], repos: list[str]) -> Any:
    from contribbot.config import parse_config

    return parse_config({"track": {"users": users, "repos": repos}}, path=Path("c.toml"))


# -- three worker processes, one killed with -9 --------------------------------------------


@pytest.fixture(scope="module")
def world() -> Any:
    """A static world (the small data set) and TRACKED users: VICTIM, whose first sync is
    killed after its authored items are saved, then accounts with no issue or PR of their
    own in REPO, so no other user's first sync saves what VICTIM reviewed or commented on."""
    dataset = world_copy("small")
    authors = {issue.user for issue in dataset.repos[REPO].issues.values()}
    others = sorted(
        login
        for login, account in dataset.accounts.items()
        if account.kind == "User" and login not in authors | {"alice"}
    )
    users = [VICTIM, *others[: TRACKED - 1]]
    assert VICTIM in authors and len(users) == TRACKED
    return dataset, users


def start_worker(path: Path, *args: str) -> Contrib:
    """`contrib worker` in a process of its own (forked: see forked.py)."""
    return start("worker", "--config", str(path), *args, cwd=path.parent)


def content(url: str) -> dict[str, set[tuple[Any, ...]]]:
    """What a sync stored, without row ids that depend on the order of saving (GitHub ids stay)."""
    engine = open_database(url)
    with Session(engine) as session:
        logins = {a.id: a.login for a in session.exec(select(Account))}
        doc = {
            "accounts": {(a.login, a.github_id, a.kind) for a in session.exec(select(Account))},
            "issues": {
                (
                    i.id,
                    i.number,
                    i.state,
                    i.title,
                    logins.get(i.author_id),
                    i.updated_at,
                    i.closed_at,
                    tuple(i.labels),
                )
                for i in session.exec(select(Issue))
            },
            "pulls": {
                (p.issue_id, p.merged_at, p.merged_by_label)
                for p in session.exec(select(PullRequest))
            },
            "reviews": {
                (r.id, r.pr_id, logins[r.reviewer_id], r.state, r.submitted_at)
                for r in session.exec(select(Review))
            },
            "comments": {
                (c.id, c.kind, c.issue_id, logins[c.author_id], c.updated_at, c.body)
                for c in session.exec(select(Comment))
            },
        }
    engine.dispose()
    return doc


def test_three_workers_one_killed_mid_backfill_end_like_one_process(tmp_path, world):
    """VICTIM's first sync meets a secondary limit (retry-after 10 minutes) on its second
    search, after its authored items are saved; the worker waiting it out holds the lease
    and is killed with -9. Another worker takes the unit when the lease runs out and
    finishes it, and the database equals a one-process sync of the same world."""
    dataset, users = world
    with (
        FakeHub(dataset, tokens={"test-token": "alice"}, search_rate_limit=100_000) as hub,
        FakeHub(
            world_copy("small"), tokens={"test-token": "alice"}, search_rate_limit=100_000
        ) as clean,
        Sink() as sink,
    ):
        # VICTIM's own PRs and issues after the first page (per_page 2: the search goes on
        # with `created:>=` the last one seen), so the first page is saved by then
        authored = f"[?&]q=repo(:|%3A)[^&]*(\\+|%20)author(:|%3A){VICTIM}(\\+|%20)created"
        hub.inject(authored, "secondary", retry_after=600)
        fire = datetime.now(UTC) - timedelta(minutes=1)  # the weekly report is due now
        extra = (
            f'[schedule]\nreport = "{WEEKDAYS[fire.weekday()]} {fire:%H:%M:%S}"\n'
            'poll_every = "2m"\n'  # a repo's streams wait for its first syncs poll / 30 = 4 s
            '[workers]\nlease = "3s"\nidle = "1s"\n'
            f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
            f'users = ["{users[0]}"]\n'
        )
        shared_dir, single_dir = tmp_path / "shared", tmp_path / "single"
        shared_dir.mkdir()
        single_dir.mkdir()
        path = write_config(shared_dir, hub.base_url, users=users, repos=[REPO], extra=extra)
        path.write_text(path.read_text().replace("[database]", "per_page = 2\n[database]"))
        url = load(path).database_url()
        engine = worker_engine(url)
        procs = [start_worker(path, "--until-idle") for _ in range(3)]
        # the one-process sync to compare with runs meanwhile, into its own database
        single = write_config(single_dir, clean.base_url, users=users, repos=[REPO])
        config = load(single)
        reference = ThreadPoolExecutor(max_workers=1).submit(_one_process, config)
        try:
            victim = _wait_for_the_victims_wait(hub, engine, procs)
            os.kill(victim.pid, signal.SIGKILL)
            victim.communicate(timeout=10)
            outs = [p.communicate(timeout=240) for p in procs if p is not victim]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        for p in procs:
            if p is not victim:
                assert p.returncode == 0
        logs = "".join(err for _, err in outs)
        assert "Traceback" not in logs and "test-token" not in logs and sink.url not in logs
        assert f"first sync of @{VICTIM}" in logs  # the unit was finished by another worker
        assert len(sink.posts) == 1, [p.json().get("text") for p in sink.posts]
        assert reference.result(timeout=240) == 0
        assert content(url) == content(config.database_url())


def _one_process(config: Any) -> int:
    """A one-process sync, then the candidates refresh a worker runs as its own unit."""
    engine, client = runtime.database(config), runtime.github_client(config)
    code = Sync(engine=engine, client=client, config=config).run().exit_code
    refresh_candidates(engine=engine, client=client, config=config, clock=lambda: datetime.now(UTC))
    engine.dispose()
    return code


def _wait_for_the_victims_wait(hub: FakeHub, engine: Any, procs: list[Contrib]) -> Contrib:
    """The worker holding VICTIM's first sync, once its search met the secondary limit."""
    pids = {p.pid: p for p in procs}

    def limited() -> bool:
        return any(
            r.status == 403 and f" author:{VICTIM} created:>=" in r.query.get("q", "")
            for r in hub.requests
        )

    assert wait_for(limited, 120), f"no worker reached the second search of {VICTIM}"
    # a plain read: the worker_engine's BEGIN IMMEDIATE would wait for the victim's write lock
    reader = open_database(str(engine.url.render_as_string(hide_password=False)))
    with Session(reader) as session:
        (unit,) = leases.pending(session, prefix=f"backfill:{REPO}:{VICTIM}")
    reader.dispose()
    assert unit.leased_by, "the unit waiting out the limit is held"
    return pids[int(str(unit.leased_by).split(":")[1])]
