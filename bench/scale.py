"""Several `contrib worker`s and a pool of tokens against the stand-in, in compressed time.

    .venv/bin/python bench/scale.py --db postgresql+psycopg://postgres@/postgres?host=/tmp/pg
    .venv/bin/python bench/scale.py --db URL --users 1000 --runs 1x1,2x1,4x1,4x3 --poll 30

A world of N tracked users in 20 repositories (the stand-in's two plus 18 generated ones,
and N generated accounts). Every first sync is marked done beforehand: this measures the
steady state, a poll every `poll_every` (the first sync's cost is bench/history.py's).

Compressed time: `poll_every` is 15 minutes for real; here it is --poll seconds, so one
real second stands for 900/poll seconds, and the stand-in's hourly rate-limit window
shrinks by the same factor (5,000 requests per token per 3600*poll/900 s). Figures are
reported per simulated hour, lags in simulated minutes. While the workers run, tracked
users open issues at random (one every poll/4 s); the lag is from that change on the
stand-in to the row in the database. Each run uses a fresh PostgreSQL database (created
on the server of --db).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REAL_POLL_S = 15 * 60
EXTRA_REPOS = 18
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HEADER = (
    "workers tokens  polls/h  points/token/h (max)  lag p50  p95  max (min)"
    "  peak MB/worker  CPU s/worker  first round"
)


def main() -> None:
    """Run each (workers x tokens) configuration and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL that may create databases")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--poll", type=float, default=30.0, help="poll_every, in real seconds")
    parser.add_argument("--polls", type=int, default=4, help="poll intervals measured per run")
    parser.add_argument(
        "--first-round", type=float, default=20, help="wait at most this many polls for round 1"
    )
    parser.add_argument("--runs", default="1x1,2x1,4x1,1x3,2x3,4x3", help="WORKERSxTOKENS,...")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child), args.poll)
        return
    print(f"{args.users} users in {EXTRA_REPOS + 2} repos; poll_every 15m = {args.poll:g}s real")
    print(HEADER)
    for run in args.runs.split(","):
        workers, tokens = (int(x) for x in run.split("x"))
        figures = _run(args, workers, tokens)
        print(
            f"{workers:>7} {tokens:>6} {figures['polls_h']:>8.0f} "
            f"{figures['points_h']:>21.0f} {figures['p50']:>7.1f} {figures['p95']:>4.1f} "
            f"{figures['max']:>4.1f}       {figures['mem']:>14.0f} {figures['cpu']:>13.1f}"
            f"  {'done' if figures['caught_up'] else 'UNFINISHED (behind)'}",
            flush=True,
        )


def _world(users: int):  # type: ignore[no-untyped-def]
    from contribbot.fakehub.dataset import build_dataset
    from contribbot.fakehub.model import Account, Repo

    dataset = build_dataset(NOW, 7, "small")
    for index in range(EXTRA_REPOS):
        name = f"lib-{index:02d}"
        created = NOW - timedelta(days=900)
        dataset.repos[f"scale/{name}"] = Repo("scale", name, 9_000_000 + index, name, created, ())
    logins = [f"member-{index:04d}" for index in range(users)]
    for index, login in enumerate(logins):
        dataset.accounts[login] = Account(login, 5_000_000 + index, NOW - timedelta(days=400))
    return dataset, logins, sorted(dataset.repos)


def _run(args: argparse.Namespace, workers: int, tokens: int) -> dict[str, float]:
    from contribbot.fakehub import FakeHub

    scale = REAL_POLL_S / args.poll
    dataset, logins, repos = _world(args.users)
    token_map = {f"bench-token-{i}": f"member-{i:04d}" for i in range(tokens)}
    hub = FakeHub(
        dataset,
        tokens=token_map,
        rate_limit=5000,
        rate_window_s=3600 / scale,
        search_rate_limit=100_000,
    )
    name = f"bench_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.db, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.db).set(database=name).render_as_string(hide_password=False)
    try:
        with hub, tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "contrib.toml"
            config.write_text(_config(hub.base_url, url, list(token_map), logins, repos))
            _seed(config, url, logins, repos)
            return _measure(args, config, url, hub, workers, logins, repos, scale)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _config(api: str, url: str, tokens: list[str], logins: list[str], repos: list[str]) -> str:
    return (
        f'[github]\napi_url = "{api}"\ntokens = {json.dumps(tokens)}\nbackoff_factor = 0.01\n'
        f'[database]\nurl = "{url}"\n'
        f"[track]\nusers = {json.dumps(logins)}\nrepos = {json.dumps(repos)}\n"
        '[schedule]\ncandidates = "1d"\n[workers]\nlease = "20s"\nidle = "1s"\n'
    )


def _seed(config: Path, url: str, logins: list[str], repos: list[str]) -> None:
    """Every first sync done (the steady state is measured, not the first sync)."""
    from contribbot.store import save
    from contribbot.store.db import open_database, session_scope

    engine = open_database(url)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for repo in repos:
            for login in logins:
                save.set_state(session, key=f"backfill:{repo}:{login}", value="bench", now=now)
    engine.dispose()


def _measure(  # noqa: PLR0913
    args: argparse.Namespace,
    config: Path,
    url: str,
    hub: object,
    workers: int,
    logins: list[str],
    repos: list[str],
    scale: float,
) -> dict[str, float]:
    from contribbot.fakehub import FakeHub

    assert isinstance(hub, FakeHub)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, __file__, "--db", "-", "--poll", str(args.poll)]
    procs = [
        subprocess.Popen([*command, "--child", str(config)], env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    engine = create_engine(url, poolclass=NullPool)
    try:
        caught_up = _wait_first_round(engine, timeout=args.first_round * args.poll)
        hub.clear_requests()
        started = time.monotonic()
        changes: list[tuple[int, float]] = []
        seen: dict[int, float] = {}
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(engine, changes, seen, done))
        watcher.start()
        _make_changes(hub, logins, repos, args.poll, args.polls * args.poll, changes)
        elapsed = time.monotonic() - started
        records = hub.requests
        deadline = time.monotonic() + 2 * args.poll
        while len(seen) < len(changes) and time.monotonic() < deadline:
            time.sleep(0.2)
        done.set()
        watcher.join()
        end = time.monotonic()
        lags = [seen.get(i, end) - at for i, at in changes]
        memory = [_peak_mb(p.pid) for p in procs]
        cpu = [_cpu_s(p.pid) for p in procs]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        engine.dispose()
    hours = elapsed * scale / 3600
    polls = sum(  # a repo poll = page 1 of its issues stream (not the candidates' label lists)
        1
        for r in records
        if r.path.startswith("/repos/")
        and r.path.endswith("/issues")
        and "labels" not in r.query
        and r.query.get("page", "1") == "1"
    )
    by_token: dict[str | None, int] = {}
    for r in records:
        if r.counted:
            by_token[r.login] = by_token.get(r.login, 0) + 1
    ordered = sorted(lags)
    return {
        "polls_h": polls / hours,
        "points_h": max(by_token.values(), default=0) / hours,
        "p50": statistics.median(ordered) * scale / 60 if ordered else float("nan"),
        "p95": ordered[int(0.95 * (len(ordered) - 1))] * scale / 60 if ordered else float("nan"),
        "max": ordered[-1] * scale / 60 if ordered else float("nan"),
        "mem": max(memory),
        "cpu": max(cpu),
        "caught_up": caught_up,
    }


def _wait_first_round(engine: object, timeout: float) -> bool:
    """Until every streams and events unit has run once (False: not within `timeout`; the
    measurement then goes ahead, and its lags show how far behind the workers are)."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM work_unit WHERE kind IN ('streams', 'events') AND done_at IS NULL"
    )
    while time.monotonic() < deadline:
        try:
            with engine.connect() as connection:  # type: ignore[attr-defined]
                total = connection.execute(text("SELECT count(*) FROM work_unit")).scalar()
                left = connection.execute(query).scalar()
            if total and not left:
                return True
        except Exception:  # noqa: BLE001 (tables not created yet)
            pass
        time.sleep(0.5)
    return False


def _make_changes(hub, logins, repos, poll, duration, changes):  # type: ignore[no-untyped-def]
    """Tracked users open issues at random; appends (github id, monotonic time)."""
    rng = random.Random(7)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        issue = hub.open_issue(rng.choice(repos), rng.choice(logins), "bench change")
        changes.append((issue.id, time.monotonic()))
        time.sleep(poll / 4)


def _watch(engine, changes, seen, done):  # type: ignore[no-untyped-def]
    """While the changes are made: note when each one's row first shows up (every 0.2 s)."""
    while not done.is_set():
        ids = [c[0] for c in list(changes) if c[0] not in seen]
        if ids:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT id FROM issue WHERE id = ANY(:ids)"), {"ids": ids}
                ).all()
            now = time.monotonic()
            for (found,) in rows:
                seen.setdefault(found, now)
        time.sleep(0.2)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _child(config_path: Path, poll: float) -> None:
    """One worker with the compressed poll interval (below the config's 1-minute floor)."""
    from contribbot.app import runtime
    from contribbot.app.budgets import DatabaseBoard
    from contribbot.app.worker import Worker, worker_engine
    from contribbot.config import load_config

    config = load_config(config_path)
    schedule = config.schedule.model_copy(update={"poll_every": timedelta(seconds=int(poll))})
    config = config.model_copy(update={"schedule": schedule})
    engine = worker_engine(config.database_url())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    client = runtime.github_client(config, sleep=stopping.wait, board=DatabaseBoard(engine))
    Worker(config=config, engine=engine, client=client, stopping=stopping).serve()


if __name__ == "__main__":
    main()
