"""How long the test suite takes: wall and CPU time, test counts, the costliest setups.

    .venv/bin/python bench/suite.py                      # the working tree's `pytest`
    .venv/bin/python bench/suite.py --baseline 706afaa   # that revision first, then this one
    .venv/bin/python bench/suite.py -- -n 0              # extra pytest arguments after --
    .venv/bin/python bench/suite.py --per-test 30        # and the 30 costliest tests' CPU
    .venv/bin/python bench/suite.py --workers 2 3 3 2    # xdist worker counts, in this order

With --baseline REV, the revision is exported with `git archive` into a temporary directory,
its code put first on PYTHONPATH (its own tests against its own contribbot, with this
virtualenv's packages), and its suite is run as it was configured then; the working tree's
suite runs after it, in the same invocation, so the two figures share the machine's state.

Every figure is wall time and CPU time. CPU time is user + system of pytest and every process
it waited for (xdist workers, `python -m contribbot` subprocesses, Chromium). On the shared
2-core VM, wall time is mostly waiting for a core: the load average is printed before and
after each run. With --per-test N, bench/cpu_per_test.py (a pytest plugin) records each test's
CPU time, its setup apart, and the N costliest are printed, with what the processes spent
outside any test (start-up, collection). With --workers, the working tree's suite runs once
per count given (`-n N`; list a count twice, as in 2 3 3 2, to even out a machine whose load
drifts), and the mean of each count is printed last. Nothing here is asserted; this script
only prints.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed).*?) in ([\d.]+)s")
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)")


@dataclass
class Run:
    """One run of the suite: what it took and what it printed."""

    label: str
    wall_s: float
    cpu_s: float
    exit_code: int
    summary: str
    load_before: float
    load_after: float
    durations: list[tuple[float, str, str]] = field(default_factory=list)
    per_test: dict[str, dict[str, float]] = field(default_factory=dict)

    def setup_total(self) -> float:
        """Seconds spent in fixture setups among the durations pytest printed."""
        return sum(s for s, phase, _ in self.durations if phase == "setup")


def run_suite(
    label: str, cwd: Path, env: dict[str, str], extra: Sequence[str], *, per_test: bool = False
) -> Run:
    """Run `pytest` in `cwd` (its own configuration) and measure it."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--durations=0", "--durations-min=0.5", *extra]
    records = tempfile.TemporaryDirectory(prefix="suite-per-test-")
    if per_test:
        command += ["-p", "cpu_per_test"]
        path = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(BENCH)) if p)
        env = {**env, "PYTHONPATH": path, "CONTRIBBOT_CPU_PER_TEST": records.name}
    print(f"=== {label}: {' '.join(command[2:])} (in {cwd})", flush=True)
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.splitlines()
    summary = next((m.group(1) for line in lines if (m := SUMMARY.search(line))), "no summary")
    durations = [
        (float(m.group(1)), m.group(2), m.group(3)) for line in lines if (m := DURATION.match(line))
    ]
    if done.returncode != 0:
        tail = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print("\n".join(tail[-20:] or lines[-20:]), flush=True)
    run = Run(
        label, wall, cpu, done.returncode, summary, load_before, os.getloadavg()[0], durations
    )
    with records:
        run.per_test = read_per_test(Path(records.name))
    return run


def read_per_test(directory: Path) -> dict[str, dict[str, float]]:
    """node id -> CPU seconds by phase ("setup", "call", "teardown") and "wall"."""
    tests: dict[str, dict[str, float]] = {}
    for file in sorted(directory.glob("*.jsonl")):
        for line in file.read_text().splitlines():
            record = json.loads(line)
            seen = tests.setdefault(record["id"], {})
            cpu = record["self"] + record["children"]
            seen[record["phase"]] = seen.get(record["phase"], 0.0) + cpu
            seen["wall"] = seen.get("wall", 0.0) + record["wall"]
    return tests


def export(rev: str, into: Path) -> str:
    """Write the tree of `rev` into `into`; returns its short hash."""
    short = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", short],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return short


def report(run: Run, top: int, top_tests: int = 0) -> None:
    """Print one run's figures and its costliest setups."""
    print(
        f"{run.label}: {run.summary}; wall {run.wall_s:.1f} s, CPU {run.cpu_s:.1f} s, "
        f"exit {run.exit_code}; load average {run.load_before:.2f} before, "
        f"{run.load_after:.2f} after"
    )
    setups = sorted((d for d in run.durations if d[1] == "setup"), reverse=True)[:top]
    print(f"  setups over 0.5 s: {run.setup_total():.1f} s in all; the costliest:")
    for seconds, _, test in setups:
        print(f"    {seconds:6.2f} s  {test}")
    if run.per_test:
        report_per_test(run, top_tests)


def report_per_test(run: Run, top: int) -> None:
    """The costliest tests by CPU (their setups apart), and the CPU spent outside tests."""
    totals = {
        test: sum(v for k, v in phases.items() if k != "wall")
        for test, phases in run.per_test.items()
    }
    in_tests = sum(totals.values())
    print(
        f"  CPU in tests: {in_tests:.1f} s over {len(totals)} tests; outside them (start-ups, "
        f"collection, xdist): {run.cpu_s - in_tests:.1f} s. The costliest (CPU, setup, wall):"
    )
    for test in sorted(totals, key=lambda t: -totals[t])[:top]:
        phases = run.per_test[test]
        print(
            f"    {totals[test]:6.2f} s  {phases.get('setup', 0.0):5.2f} s  "
            f"{phases['wall']:6.1f} s  {test}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Time the suite (and a baseline revision's first, with --baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="time this git revision first")
    parser.add_argument("--top", type=int, default=8, help="how many setups to list")
    parser.add_argument(
        "--per-test", type=int, default=0, metavar="N", help="print the N costliest tests' CPU"
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", metavar="N", help="run the suite with -n N for each N"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    timed = bool(args.per_test)
    if args.workers:
        return compare_workers(args.workers, args.pytest_args, args.top, args.per_test)
    runs: list[Run] = []
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="suite-baseline-") as tmp:
            rev = export(args.baseline, Path(tmp))
            env = {**os.environ, "PYTHONPATH": tmp}  # its contribbot, not the installed one
            runs.append(
                run_suite(f"before ({rev})", Path(tmp), env, args.pytest_args, per_test=timed)
            )
            report(runs[-1], args.top, args.per_test)
    runs.append(
        run_suite(
            "after (working tree)", REPO_ROOT, dict(os.environ), args.pytest_args, per_test=timed
        )
    )
    report(runs[-1], args.top, args.per_test)
    if len(runs) == 2:
        before, after = runs
        ratio = after.wall_s / before.wall_s
        change = f"{1 - ratio:.0%} less" if ratio <= 1 else f"{ratio - 1:.0%} more"
        print(
            f"after/before: wall {ratio:.2f}x ({change}), "
            f"CPU {after.cpu_s / before.cpu_s:.2f}x; {os.cpu_count()} cores"
        )
    return max(r.exit_code for r in runs)


def compare_workers(counts: Sequence[int], extra: Sequence[str], top: int, per_test: int) -> int:
    """The working tree's suite once per worker count, in the order given; the means last."""
    runs: dict[int, list[Run]] = {}
    for n in counts:
        run = run_suite(
            f"-n {n}", REPO_ROOT, dict(os.environ), [*extra, "-n", str(n)], per_test=bool(per_test)
        )
        report(run, top, per_test)
        runs.setdefault(n, []).append(run)
    for n, done in runs.items():
        wall = sum(r.wall_s for r in done) / len(done)
        cpu = sum(r.cpu_s for r in done) / len(done)
        print(f"-n {n}: mean of {len(done)} run(s): wall {wall:.1f} s, CPU {cpu:.1f} s")
    return max(r.exit_code for done in runs.values() for r in done)


if __name__ == "__main__":
    raise SystemExit(main())
