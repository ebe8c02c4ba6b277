"""What a sync costs contribbot itself: CPU, SQL statements and requests, on the stand-in.

A first sync of the tracked users (alice and bob by default) in the stand-in's two repos,
into a fresh SQLite database, then a few incremental polls, the stand-in's clock 5 minutes
further each time and its busy repo changed in between (bench/poll.py's `change`: comments,
reviews, an approval, a landing, reactions). Each history mode runs in a fresh world: REST
(`[github] graphql = false`) and GraphQL (`true`; its polls are REST's). Prints, per sync:
wall seconds, CPU seconds of the sync's own thread, CPU seconds of the in-process
stand-in's threads meanwhile (the process's CPU time less the sync's), requests and the
rate points they spent, SQL statements sent to the database (a SQLAlchemy
`before_cursor_execute` listener; an executemany counts once), items saved, and after a
first sync a digest of the rows it stored (issues, PRs, comments, reviews, accounts,
timelines: what GitHub's data made, not the sync's own clock or the ids the database
numbers), which must not change with the code.

    .venv/bin/python bench/sync_bench.py                     # both modes, 3 polls
    .venv/bin/python bench/sync_bench.py --modes rest --polls 5
    .venv/bin/python bench/sync_bench.py --users alice bob carol
    .venv/bin/python bench/sync_bench.py --profile /tmp/sync.prof   # cProfile of the syncs
    .venv/bin/python bench/sync_bench.py --baseline main     # that revision, then this tree

`--baseline REV` exports REV with `git archive`, runs this script on its code (first on
PYTHONPATH, its migrations beside it), then on the working tree, and prints the ratios
from the one run. Requests, items saved and the stored rows must be the same on both
sides: a save path that asked GitHub for more (or less), or stored something else, would
show there.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from poll import change  # a sibling script: bench/ is sys.path[0]
from sqlalchemy import Engine, event, text

from contribbot.config import parse_config
from contribbot.fakehub import FakeHub, build_dataset
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync, SyncResult

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the tests' anchor
TOKEN = "bench-token"
REPOS = ("pytorch/pytorch", "pytorch/tutorials")
MODES = {"rest": "false", "graphql": "true"}
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    """One sync: what it took and what it did."""

    mode: str
    label: str
    wall_s: float
    cpu_s: float
    requests: int
    statements: int
    items: int
    stored: str = ""  # after a first sync: a digest of the rows stored (see stored_digest)
    hub_cpu_s: float = 0.0  # the in-process stand-in's threads meanwhile (process - sync)
    points: int = 0  # rate points the requests spent (REST: 1 each but 304s; GraphQL: cost)


class Statements:
    """Counts the SQL statements an engine sends (executemany: once)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def timed(
    label: str, mode: str, sync: Callable[[], SyncResult], sql: Statements, prof: Any
) -> Figures:
    """Run one sync and measure it."""
    before = sql.count
    started, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
    if prof is not None:
        prof.enable()
    result = sync()
    if prof is not None:
        prof.disable()
    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
    hub = max(time.process_time() - process - cpu, 0.0)
    if result.exit_code:
        sys.exit(f"{mode} {label} failed: {result.outcomes}")
    spend = result.spend
    figures = Figures(mode, label, wall, cpu, spend.requests, sql.count - before, result.items)
    figures.hub_cpu_s, figures.points = hub, spend.points
    return figures


# the rows a sync stores from GitHub's data; not the times taken from the sync's clock (the
# stand-in's runs on with real time) nor ids the database numbers (accounts: by login)
TABLES = ("repository", "account", "issue", "pullrequest", "comment", "review")
TABLES += ("lifecycle_event", "pr_lifecycle")
LEFT_OUT = {"account": {"id"}, "pullrequest": {"timeline_at"}, "pr_lifecycle": {"id"}}
BY_LOGIN = ("author_id", "reviewer_id")


def stored_digest(engine: Engine) -> str:
    """A digest of what the sync stored (first syncs of the same world must agree)."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        logins = dict(connection.execute(text("SELECT id, login FROM account")).all())
        for table in TABLES:
            rows = connection.execute(text(f"SELECT * FROM {table}")).mappings().all()
            cooked = sorted(
                repr(
                    sorted(
                        (k, logins.get(v) if k in BY_LOGIN else v)
                        for k, v in row.items()
                        if k not in LEFT_OUT.get(table, ())
                    )
                )
                for row in rows
            )
            digest.update(f"{table}:{len(cooked)}:{cooked}".encode())
    return digest.hexdigest()[:12]


def run_mode(mode: str, users: list[str], polls: int, prof: Any) -> list[Figures]:
    """A first sync and `polls` polls in a fresh world and database."""
    with (
        tempfile.TemporaryDirectory(prefix="contrib-sync-bench-") as tmp,
        FakeHub(build_dataset(NOW), tokens={TOKEN: users[0]}) as hub,
    ):
        hub.set_rate_limit(10**9)
        hub.set_rate_limit(10**9, resource="search")  # no waits for the search window
        hub.graphql.set_limit(10**9)
        doc = {
            "github": {"api_url": hub.base_url, "token": TOKEN, "graphql": MODES[mode] == "true"},
            "database": {"url": f"sqlite:///{Path(tmp) / 'contrib.db'}"},
            "track": {"users": users, "repos": list(REPOS)},
        }
        config = parse_config(doc, path=Path(tmp) / "contrib.toml", text="")
        engine = open_database(config.database_url())  # the migrations are not counted
        sql = Statements(engine)
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)

        def sync() -> SyncResult:
            return Sync(engine=engine, client=client, config=config, clock=hub.now).run()

        out = [timed("first sync", mode, sync, sql, prof)]
        out[0].stored = stored_digest(engine)
        for turn in range(1, polls + 1):
            hub.advance(timedelta(minutes=5))
            change(hub, turn)
            out.append(timed(f"poll {turn}", mode, sync, sql, prof))
        client.close()
        engine.dispose()
        return out


def measure(args: argparse.Namespace) -> list[Figures]:
    """Every mode asked for; the profile written when asked."""
    prof = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not waits
    figures = [f for mode in args.modes for f in run_mode(mode, args.users, args.polls, prof)]
    if prof is not None:
        prof.dump_stats(args.profile)
    return figures


def table(figures: list[Figures]) -> str:
    """One line per sync, and per mode the polls' sum."""
    lines = [
        f"{'sync':<22}{'wall s':>8}{'CPU s':>8}{'hub CPU':>8}{'requests':>10}{'points':>8}"
        f"{'SQL':>8}{'items':>7}{'stored rows':>14}"
    ]
    for f in figures:
        lines.append(
            f"{f.mode + ' ' + f.label:<22}{f.wall_s:>8.2f}{f.cpu_s:>8.2f}{f.hub_cpu_s:>8.2f}"
            f"{f.requests:>10}{f.points:>8}{f.statements:>8}{f.items:>7}{f.stored:>14}"
        )
    return "\n".join(lines)


def compare(before: list[Figures], after: list[Figures]) -> str:
    """Before/after per sync: CPU and SQL statements with ratios; requests side by side."""
    lines = [
        f"{'sync':<22}{'CPU before':>11}{'after':>8}{'ratio':>7}{'hub before':>11}{'after':>8}"
        f"{'ratio':>7}{'SQL before':>12}{'after':>8}{'ratio':>7}{'requests':>12}{'points':>10}"
        f"{'items':>11}"
    ]
    for b, a in zip(before, after, strict=True):
        lines.append(
            f"{a.mode + ' ' + a.label:<22}{b.cpu_s:>11.2f}{a.cpu_s:>8.2f}"
            f"{b.cpu_s / max(a.cpu_s, 1e-9):>6.1f}x{b.hub_cpu_s:>11.2f}{a.hub_cpu_s:>8.2f}"
            f"{b.hub_cpu_s / max(a.hub_cpu_s, 1e-9):>6.1f}x{b.statements:>12}{a.statements:>8}"
            f"{b.statements / max(a.statements, 1):>6.1f}x{f'{b.requests}/{a.requests}':>12}"
            f"{f'{b.points}/{a.points}':>10}{f'{b.items}/{a.items}':>11}"
        )
    cpu_b, cpu_a = sum(f.cpu_s for f in before), sum(f.cpu_s for f in after)
    hub_b, hub_a = sum(f.hub_cpu_s for f in before), sum(f.hub_cpu_s for f in after)
    sql_b, sql_a = sum(f.statements for f in before), sum(f.statements for f in after)
    lines.append(
        f"{'all':<22}{cpu_b:>11.2f}{cpu_a:>8.2f}{cpu_b / max(cpu_a, 1e-9):>6.1f}x"
        f"{hub_b:>11.2f}{hub_a:>8.2f}{hub_b / max(hub_a, 1e-9):>6.1f}x"
        f"{sql_b:>12}{sql_a:>8}{sql_b / max(sql_a, 1):>6.1f}x"
    )
    same = [
        (b.requests, b.points, b.items, b.stored) == (a.requests, a.points, a.items, a.stored)
        for b, a in zip(before, after, strict=True)
    ]
    lines.append(
        "requests, rate points, items saved and the rows stored by each first sync: the same "
        "on both sides"
        if all(same)
        else "requests, points, items or stored rows DIFFER (see the columns: before/after; "
        f"stored: {[(b.stored, a.stored) for b, a in zip(before, after, strict=True)]})"
    )
    return "\n".join(lines)


def baseline(rev: str, args: argparse.Namespace) -> list[Figures]:
    """This script's figures on the code of `rev`."""
    from suite import export

    with tempfile.TemporaryDirectory(prefix="contrib-sync-base-") as tmp:
        short = export(rev, Path(tmp))
        print(f"=== before: {rev} ({short}) ===", flush=True)
        (Path(tmp) / "contribbot" / "migrations").symlink_to(Path(tmp) / "migrations")
        command = [sys.executable, __file__, "--json", "--polls", str(args.polls)]
        command += ["--modes", *args.modes, "--users", *args.users]
        env = {**os.environ, "PYTHONPATH": tmp}  # its contribbot, not the installed one
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"the baseline run failed:\n{done.stderr[-2000:]}")
    figures = [Figures(**f) for f in json.loads(done.stdout)]
    print(table(figures), flush=True)
    return figures


def main(argv: list[str]) -> int:
    """Measure (and compare) the syncs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--users", nargs="+", default=["alice", "bob"])
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the syncs")
    parser.add_argument("--baseline", metavar="REV", help="measure this git revision first")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    before = baseline(args.baseline, args) if args.baseline else None
    figures = measure(args)
    if args.json:
        print(json.dumps([asdict(f) for f in figures]))
        return 0
    if before is not None:
        print("\n=== after: the working tree ===")
    print(table(figures))
    if before is not None:
        print(f"\n=== before ({args.baseline}) / after: CPU s of the sync and of the hub ===")
        print(compare(before, figures))
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
