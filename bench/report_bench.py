"""How long does one week's report take to build on a big database?

Two scenarios, each on a synthetic SQLite database generated here (cached, keyed by its
parameters, so reruns start at once):

  solo    one user with 5 years of history (200,000 stored items in 20 repos)
  cohort  a 500-user cohort over 1,000,000 stored items (5 years, 50 repos)

"Items" are issues, PRs, reviews and comments. Prints the median time of `build_report`
(database -> WeeklyReport, no rendering) over several runs and its ratio to the target,
then the time of each renderer on the same report.

    .venv/bin/python bench/report_bench.py                # both scenarios
    .venv/bin/python bench/report_bench.py cohort --runs 9
    .venv/bin/python bench/report_bench.py --rebuild      # regenerate the databases
    .venv/bin/python bench/report_bench.py --baseline adea8c5^   # before and after, one run

With --baseline REV, the same scenarios are first timed with the code of REV (exported
with `git archive`, put first on PYTHONPATH, on its own cached databases),
then with the working tree; a before/after table closes the run. With --e2e, each
scenario also times `contrib report --week ... --format F` end to end, as a subprocess
(start-up, config, database, candidates, rendering; the terminal format as a colour
terminal 100 columns wide would get it).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine, Table, func, insert, select
from sqlmodel import SQLModel

import contribbot.store.models  # noqa: F401  (registers the tables)
from contribbot.config import Config
from contribbot.report.model import WeeklyReport
from contribbot.report.render_terminal import print_terminal
from contribbot.report.service import render
from contribbot.store.db import open_database, session_scope

try:  # the report split in two (queries + a pure assemble), glued in app/reports.py
    from contribbot.app.reports import build_report, settings_of
    from contribbot.report.assemble import assemble
    from contribbot.report.queries import load_facts
    from contribbot.report.window import resolve_window

    BUILD_OPTIONS: dict[str, Any] = {"with_candidates": False}
except ImportError:  # --baseline runs this script on older code: report/build.py
    from contribbot.report.build import (  # type: ignore[import-not-found, no-redef]
        build_report,
        resolve_window,
    )

    BUILD_OPTIONS = {}
    assemble = None  # type: ignore[assignment]  # no pure assemble to time alone

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the same anchor as the tests
GENERATOR_VERSION = 2  # bump when the generated data changes shape
DEFAULT_CACHE = Path("/tmp/contribbot-bench")
REPO_ROOT = Path(__file__).resolve().parent.parent
E2E_WEEK = "2026-W46"  # the last complete week before NOW, as the timed builds use
CHUNK = 20_000
FORMATS = ("terminal", "markdown", "html", "json")
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
REVIEW_WEIGHTS = (50, 20, 28, 2)


@dataclass(frozen=True)
class Scenario:
    """One database shape and the report it is timed on."""

    name: str
    users: int  # tracked users, all in the report
    items: int  # issues + PRs + reviews + comments
    repos: int
    other_accounts: int
    share: float  # share of all items made by the tracked users
    years: int
    target_seconds: float
    seed: int = 7

    def cache_name(self) -> str:
        """A file name that changes whenever the data would."""
        key = json.dumps([GENERATOR_VERSION, asdict(self)], sort_keys=True)
        return f"report-{self.name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.db"


SCENARIOS = {
    "solo": Scenario(
        name="solo",
        users=1,
        items=200_000,
        repos=20,
        other_accounts=2_000,
        share=0.1,
        years=5,
        target_seconds=1.0,
    ),
    "cohort": Scenario(
        name="cohort",
        users=500,
        items=1_000_000,
        repos=50,
        other_accounts=5_000,
        share=0.5,
        years=5,
        target_seconds=2.0,
    ),
}


# -- generating the database ------------------------------------------------------------


@dataclass(frozen=True)
class _PR:
    id: int
    author: int
    created: datetime
    closed: datetime | None


class _Generator:
    """Deterministic synthetic GitHub history, written in chunks with executemany."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.rng = random.Random(scenario.seed)
        self.start = NOW - timedelta(days=365 * scenario.years)
        self.tracked = list(range(1, scenario.users + 1))
        self.others = list(range(scenario.users + 1, scenario.users + scenario.other_accounts + 1))
        self.items: list[_PR] = []  # every issue and PR: targets for reviews and comments
        self.prs: list[_PR] = []
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _actor(self) -> int:
        pool = self.tracked if self.rng.random() < self.s.share else self.others
        return self.rng.choice(pool)

    def _after(self, at: datetime, mean_hours: float) -> datetime:
        return at + timedelta(hours=self.rng.expovariate(1 / mean_hours))

    def accounts(self) -> Iterator[dict[str, Any]]:
        """Tracked users are user0001...; everyone else other00001..."""
        for account_id in self.tracked:
            yield {"id": account_id, "login": f"user{account_id:04d}", "kind": "User"}
        for account_id in self.others:
            yield {"id": account_id, "login": f"other{account_id:05d}", "kind": "User"}

    def repositories(self) -> Iterator[dict[str, Any]]:
        """org/repo00 ... with web URLs."""
        for repo_id in range(1, self.s.repos + 1):
            name = f"org/repo{repo_id:02d}"
            yield {"id": repo_id, "full_name": name, "html_url": f"https://github.com/{name}"}

    def issues(self) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Issues and PRs (70%), each with its pull_request row when it is a PR."""
        span = (NOW - self.start).total_seconds()
        numbers = dict.fromkeys(range(1, self.s.repos + 1), 0)
        for _ in range(self.s.items // 4):
            created = self.start + timedelta(seconds=self.rng.random() * span)
            repo = self.rng.randint(1, self.s.repos)
            numbers[repo] += 1
            is_pr = self.rng.random() < 0.7
            author = self._actor()
            state, closed, merged, draft = self._fate(created, is_pr)
            item_id = self._id()
            row: dict[str, Any] = {
                "id": item_id,
                "repo_id": repo,
                "number": numbers[repo],
                "is_pr": is_pr,
                "title": f"{'Fix' if is_pr else 'Bug in'} module {numbers[repo] % 97}",
                "body": "",
                "state": state,
                "author_id": author,
                "created_at": created,
                "updated_at": closed or created,
                "closed_at": closed,
                "labels": [],
                "assignees": [],
                "comments": 0,
                "html_url": f"https://github.com/org/repo{repo:02d}/"
                f"{'pull' if is_pr else 'issues'}/{numbers[repo]}",
            }
            item = _PR(item_id, author, created, closed)
            self.items.append(item)
            pr = None
            if is_pr:
                self.prs.append(item)
                pr = {
                    "issue_id": item_id,
                    "draft": draft,
                    "merged_at": merged,
                    "merged_by_label": merged is not None and repo % 2 == 0,
                }
            yield row, pr

    def _fate(
        self, created: datetime, is_pr: bool
    ) -> tuple[str, datetime | None, datetime | None, bool]:
        """(state, closed_at, merged_at, draft): recent items are more often still open."""
        recent = NOW - created < timedelta(days=30)
        if self.rng.random() < (0.4 if recent else 0.03):
            return "open", None, None, is_pr and self.rng.random() < 0.1
        closed = self._after(created, 72 if is_pr else 480)
        if closed >= NOW:
            return "open", None, None, False
        merged = closed if is_pr and self.rng.random() < 0.85 else None
        return "closed", closed, merged, False

    def reviews(self) -> Iterator[dict[str, Any]]:
        """Reviews on random PRs, before the PR closed."""
        for _ in range(self.s.items // 4):
            pr = self.rng.choice(self.prs)
            at = self._after(pr.created, 36)
            if at >= (pr.closed or NOW):
                at = pr.created + ((pr.closed or NOW) - pr.created) / 2
            yield {
                "id": self._id(),
                "pr_id": pr.id,
                "reviewer_id": self._actor(),
                "state": self.rng.choices(REVIEW_STATES, REVIEW_WEIGHTS)[0],
                "submitted_at": at,
            }

    def comments(self) -> Iterator[dict[str, Any]]:
        """Conversation (80%) and inline review comments on random items."""
        for _ in range(self.s.items // 2):
            item = self.rng.choice(self.items)
            at = min(self._after(item.created, 48), NOW - timedelta(minutes=1))
            comment_id = self._id()
            yield {
                "id": comment_id,
                "kind": "issue" if self.rng.random() < 0.8 else "review",
                "issue_id": item.id,
                "author_id": self._actor(),
                "created_at": at,
                "updated_at": at,
                "body": "",
                "html_url": f"https://github.com/org/x#issuecomment-{comment_id}",
            }


def _chunks(rows: Iterator[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def generate(scenario: Scenario, path: Path) -> None:
    """Write the scenario's database to `path` (replacing it)."""
    tmp = path.with_suffix(".tmp")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{tmp}")
    gen = _Generator(scenario)
    with engine.begin() as conn:
        conn.execute(insert(_table("account")), list(gen.accounts()))
        conn.execute(insert(_table("repository")), list(gen.repositories()))
        for chunk in _chunks(gen.issues()):
            conn.execute(insert(_table("issue")), [row for row, _ in chunk])
            prs = [pr for _, pr in chunk if pr is not None]
            conn.execute(insert(_table("pullrequest")), prs)
        for chunk in _chunks(gen.reviews()):
            conn.execute(insert(_table("review")), chunk)
        for chunk in _chunks(gen.comments()):
            conn.execute(insert(_table("comment")), chunk)
    with engine.connect() as conn:
        # no ANALYZE: contribbot never runs it, so the query planner works without statistics
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    tmp.replace(path)


def database(scenario: Scenario, cache: Path, *, rebuild: bool) -> Engine:
    """The scenario's database, generated on first use; upgraded to the newest schema."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / scenario.cache_name()
    if rebuild or not path.exists():
        started = time.perf_counter()
        generate(scenario, path)
        print(f"  generated {path} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"  using cached {path}")
    return open_database(f"sqlite:///{path}")  # applies new migrations (e.g. indexes)


# -- timing ----------------------------------------------------------------------------


def _timed(action: Callable[[], object], runs: int) -> tuple[list[float], object]:
    """Wall times of `runs` calls (and the last result); CPU times go to _CPU."""
    times, result = [], None
    _CPU.clear()
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - started)
        _CPU.append(time.process_time() - cpu)
    return times, result


_CPU: list[float] = []  # CPU seconds of the last _timed calls: on a busy machine, wall time
# is mostly waiting for a core, and CPU time is what a quiet machine would take


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(_table(name))).scalar_one())
            for name in ("account", "issue", "pullrequest", "review", "comment")
        }


def run(scenario: Scenario, *, runs: int, cache: Path, rebuild: bool, e2e: int = 0) -> None:
    """Time build_report (and each renderer) for the last complete week before NOW."""
    print(f"\n[{scenario.name}] {scenario.users} user(s), {scenario.items:,} items")
    engine = database(scenario, cache, rebuild=rebuild)
    counts = _row_counts(engine)
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    users = [f"user{n:04d}" for n in range(1, scenario.users + 1)]
    config = Config.model_validate(
        {"track": {"users": users}, "goals": {"prs_merged": 1, "reviews_given": 2}}
    )
    window = _last_week()

    def build() -> WeeklyReport:
        with session_scope(engine) as session:
            return build_report(
                session, config=config, users=users, window=window, now=NOW, **BUILD_OPTIONS
            )

    first, _ = _timed(build, 1)  # also warms SQLite's page cache
    times, report = _timed(build, runs)
    assert isinstance(report, WeeklyReport)
    median = statistics.median(times)
    contributions = sum(u.totals.total() for u in report.users)
    print(
        f"  build_report {window.week}: median {median:.3f} s, cpu "
        f"{statistics.median(_CPU):.3f} s over {runs} runs "
        f"(first {first[0]:.3f} s, min {min(times):.3f} s, max {max(times):.3f} s); "
        f"target {scenario.target_seconds:.1f} s -> {median / scenario.target_seconds:.0%} "
        f"of target; {contributions:,} contributions in the week"
    )
    if assemble is not None:
        _time_assemble(engine, config, users, window, runs)
    for fmt in FORMATS:
        # the first call in a process also imports (Jinja2, rich) and compiles the template
        first, _ = _timed(functools.partial(_render, report, fmt), 1)
        render_times, text = _timed(functools.partial(_render, report, fmt), runs)
        print(
            f"  render {fmt:<8} median {statistics.median(render_times):.3f} s, "
            f"cpu {statistics.median(_CPU):.3f} s over {runs} runs (first {first[0]:.3f} s; "
            f"{len(str(text)):,} characters)"
        )
    engine.dispose()
    if e2e:
        end_to_end(scenario, cache / scenario.cache_name(), users, runs=e2e)


def _time_assemble(
    engine: Engine, config: Config, users: Sequence[str], window: Any, runs: int
) -> None:
    """The pure part of build_report alone: facts loaded once, assembled `runs` times."""
    with session_scope(engine) as session:
        facts = load_facts(
            session,
            users=users,
            repos=config.track.repos,
            window=window,
            now=NOW,
            settings=settings_of(config, users),
        )
    _timed(lambda: assemble(facts, window, NOW), 1)
    times, _ = _timed(lambda: assemble(facts, window, NOW), runs)
    print(
        f"  assemble     median {statistics.median(times):.3f} s, "
        f"cpu {statistics.median(_CPU):.3f} s over {runs} runs (facts loaded once)"
    )


def _last_week() -> Any:
    """The last complete week before NOW, in UTC (older code took the zone's name)."""
    try:
        return resolve_window(week=None, since=None, until=None, tz=UTC, now=NOW)
    except TypeError:  # --baseline on code before the typed config
        return resolve_window(week=None, since=None, until=None, tz_name="UTC", now=NOW)


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def end_to_end(scenario: Scenario, path: Path, users: Sequence[str], *, runs: int) -> None:
    """Time `contrib report` as a user runs it: a new process per run, each format."""
    repos = [f"org/repo{n:02d}" for n in range(1, scenario.repos + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "contrib.toml"
        config.write_text(
            f"[database]\nurl = {json.dumps(f'sqlite:///{path}')}\n"
            f"[track]\nusers = {json.dumps(list(users))}\nrepos = {json.dumps(repos)}\n"
            "[goals]\nprs_merged = 1\nreviews_given = 2\n",
            encoding="utf-8",
        )
        env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "100", "TERM": "xterm-256color"}
        for fmt in FORMATS:
            command = [sys.executable, "-m", "contribbot", "report", "--config", str(config)]
            command += ["--week", E2E_WEEK, "--format", fmt]
            times, cpus, size = [], [], 0
            for _ in range(runs):
                started, before = time.perf_counter(), _child_cpu()
                # not from the checkout: `python -m` puts the working directory first on
                # sys.path, and --baseline's PYTHONPATH would lose to the tree here
                done = subprocess.run(command, capture_output=True, env=env, cwd=tmp, check=False)
                times.append(time.perf_counter() - started)
                cpus.append(_child_cpu() - before)
                if done.returncode != 0:
                    print(f"  e2e {fmt}: exit {done.returncode}: {done.stderr.decode()[-300:]}")
                    return
                size = len(done.stdout)
            print(
                f"  e2e contrib report --format {fmt:<8} median {statistics.median(times):.3f} s, "
                f"cpu {statistics.median(cpus):.3f} s over {runs} run(s) ({size:,} bytes)"
            )


def _render(report: WeeklyReport, fmt: str) -> str:
    if fmt == "terminal":  # as `contrib report` prints it, colours and all
        out = io.StringIO()
        print_terminal(report, Console(file=out, width=100, force_terminal=True))
        return out.getvalue()
    return render(report, fmt=fmt)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen scenarios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    names = ", ".join(SCENARIOS)
    parser.add_argument("scenarios", nargs="*", help=f"any of {names} (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="database cache dir")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the databases")
    parser.add_argument("--e2e", type=int, default=0, metavar="N", help="N end-to-end runs")
    parser.add_argument("--baseline", metavar="REV", help="time this git revision first")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    names = args.scenarios or list(SCENARIOS)
    before = _baseline(args, names) if args.baseline else None
    if before is not None:
        print(f"\n=== after: the working tree ({REPO_ROOT}) ===")
    out = _Tee(sys.stdout)
    with contextlib.redirect_stdout(out):
        for name in names:
            scenario = SCENARIOS[name]
            run(scenario, runs=args.runs, cache=args.cache, rebuild=args.rebuild, e2e=args.e2e)
    if before is not None:
        _compare(args.baseline, before, out.getvalue())
    return 0


# -- before and after in one run ----------------------------------------------------------


def _baseline(args: argparse.Namespace, names: Sequence[str]) -> str:
    """Run this benchmark with the code of `args.baseline`; returns what it printed."""
    from suite import export  # a sibling script: bench/ is sys.path[0]

    with tempfile.TemporaryDirectory() as tmp:
        rev = export(args.baseline, Path(tmp))
        print(f"=== before: {args.baseline} ({rev}) ===", flush=True)
        # its migrations ship inside the package, as the wheel does (not the installed ones)
        (Path(tmp) / "contribbot" / "migrations").symlink_to(Path(tmp) / "migrations")
        # this script, on the old code, with its own databases (a newer schema in the
        # shared cache would be refused by older code)
        command = [sys.executable, str(Path(__file__).resolve()), *names]
        command += ["--runs", str(args.runs), "--cache", str(args.cache / f"baseline-{rev}")]
        command += ["--e2e", str(args.e2e)]
        env = {**os.environ, "PYTHONPATH": tmp}  # its contribbot, not the installed one
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    print(done.stdout + done.stderr, flush=True)
    return done.stdout


_FIGURE = re.compile(
    r"^\[(?P<scenario>\w+)\]"
    r"|(?P<what>build_report|assemble|render \w+|e2e contrib report --format \w+)"
    r"[^\n]*?median (?P<seconds>[\d.]+) s, cpu (?P<cpu>[\d.]+) s"
)


def _figures(text: str) -> dict[tuple[str, str], tuple[float, float]]:
    out, scenario = {}, ""
    for line in text.splitlines():
        match = _FIGURE.search(line.strip())
        if match and match["scenario"]:
            scenario = match["scenario"]
        elif match:
            what = " ".join(match["what"].split()).replace("e2e contrib report --format", "e2e")
            out[(scenario, what)] = (float(match["seconds"]), float(match["cpu"]))
    return out


def _compare(rev: str, before: str, after: str) -> None:
    old, new = _figures(before), _figures(after)
    print(f"\n=== before ({rev}) -> after: median seconds, wall (cpu), one run ===")
    for key in new:
        if key in old:
            (wall_a, cpu_a), (wall_b, cpu_b) = old[key], new[key]
            ratio = cpu_a / cpu_b if cpu_b else float("inf")
            figures = f"{wall_a:7.3f} ({cpu_a:6.3f}) -> {wall_b:7.3f} ({cpu_b:6.3f})"
            print(f"  {key[0]:<7} {key[1]:<16} {figures}  cpu {ratio:.1f}x faster")


class _Tee(io.StringIO):
    """Keeps what is printed while still printing it."""

    def __init__(self, echo: Any) -> None:
        super().__init__()
        self.echo = echo

    def write(self, text: str) -> int:
        """Print and keep."""
        self.echo.write(text)
        self.echo.flush()
        return super().write(text)


if __name__ == "__main__":
    sys.exit(main())
