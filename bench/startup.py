"""How long does `contrib` take to answer? Start-up time of the everyday commands.

Runs each command as a fresh process (`python -m contribbot ...`), several times, and
prints the median wall time and CPU time (the child's user + system: on a shared machine
wall time is mostly waiting for a core). The read-only commands run on a demo database, made once
per source tree with `contrib demo --db` (the stand-in is gone afterwards: these
commands make no request).

    .venv/bin/python bench/startup.py                      # the installed contribbot
    .venv/bin/python bench/startup.py --runs 15
    .venv/bin/python bench/startup.py --tree before=/tmp/base --tree after=.

Then the commands that fetch (`sync`, `daemon --once` from cron, `worker`): what each
imports before its first request, in a fresh `python -c` per tree (they need GitHub, so
the command itself is not run here). Last, the floor: the same timing of
`python -c "import ..."` for what the read commands need (typer, pydantic and the config,
the CLI's modules, the DB-API reader), so a target can be read against what the stack
itself costs; and, for comparison, SQLAlchemy and SQLModel with the tables, which only
commands that write (or upgrade) import.

`--tree LABEL=PATH` runs a source tree instead of the installed package (PYTHONPATH=PATH;
the tree needs `contribbot/migrations` to point at its `migrations/`, e.g. a symlink), so
an old commit and the current one are measured in one run, alternating, on the same
machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TARGETS = {"--help": 0.3, "--version": 0.3, "status": 0.6, "activity": 0.6, "report json": 0.6}
COMMANDS: dict[str, tuple[str, ...]] = {
    "--help": ("--help",),
    "--version": ("--version",),
    "status": ("status", "--config", "{config}"),
    "activity": ("activity", "--config", "{config}"),
    "report json": ("report", "--format", "json", "--config", "{config}"),
}


@dataclass(frozen=True)
class Tree:
    """Where contribbot is imported from: the installed package (path None) or a source tree."""

    label: str
    path: Path | None

    def env(self) -> dict[str, str]:
        """The environment of one run (no colours, no user config)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRIBBOT_")}
        env.update(NO_COLOR="1", TERM="dumb", COLUMNS="100")
        if self.path is not None:
            env["PYTHONPATH"] = str(self.path)
        return env


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(tree: Tree, args: Sequence[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `python -m contribbot ARGS`; exits if the command failed."""
    started, cpu = time.perf_counter(), _child_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "contribbot", *args],
        cwd=cwd,
        env=tree.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds, cpu = time.perf_counter() - started, _child_cpu() - cpu
    if done.returncode != 0:
        sys.exit(
            f"{tree.label}: contrib {' '.join(args)} exited {done.returncode}: "
            f"{done.stderr.strip()[-400:]}"
        )
    return seconds, cpu


FLOOR: dict[str, str] = {
    "python -c pass": "pass",
    "import pydantic": "import pydantic",
    "import typer": "import typer",
    "typer + config": "import typer, contribbot.config",
    "+ cli + reader": "import contribbot.cli, contribbot.app.runtime, contribbot.store.reader",
    "import sqlalchemy": "import sqlalchemy",
    "sqlmodel + tables": "import typer, contribbot.store.models",
}


def run_python(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `python -c CODE`."""
    started, cpu = time.perf_counter(), _child_cpu()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - started, _child_cpu() - cpu


def print_floor(runs: int, tree: Tree) -> None:
    """Median wall and CPU seconds of importing the stack alone, in fresh processes."""
    print(f"\nthe floor: imports alone, median of {runs} runs (s, {tree.label})")
    for label, code in FLOOR.items():
        timed = [run_python(code, tree.env()) for _ in range(runs + 1)][1:]
        wall = statistics.median(w for w, _ in timed)
        cpu = statistics.median(c for _, c in timed)
        print(f"{label:<22}{wall:>8.3f}{cpu:>7.3f}")


# what `contrib sync|daemon|worker` import before their first request (cli/running.py)
FETCHING: dict[str, str] = {
    "sync": "import contribbot.cli, contribbot.cli.console, contribbot.app.jobs",
    "daemon --once": "import contribbot.cli, contribbot.cli.console, contribbot.app.daemon",
    "worker": "import contribbot.cli, contribbot.cli.console, contribbot.app.budgets,"
    " contribbot.app.worker",
}


def print_fetching(runs: int, trees: Sequence[Tree]) -> None:
    """Median wall and CPU seconds of what each fetching command imports, per tree."""
    timed: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(runs + 1):  # the first round untimed
        for label, code in FETCHING.items():
            for tree in trees:
                timed.setdefault((tree.label, label), []).append(run_python(code, tree.env()))
    print(f"\nthe commands that fetch: their imports, median of {runs} runs (s)")
    print(f"{'command':<14}" + "".join(f"{t.label + ' wall':>16}{'cpu':>7}" for t in trees))
    for label in FETCHING:
        cells = ""
        for tree in trees:
            rest = timed[(tree.label, label)][1:]
            cells += f"{statistics.median(w for w, _ in rest):>16.3f}"
            cells += f"{statistics.median(c for _, c in rest):>7.3f}"
        print(f"{label:<14}{cells}")


def make_demo(tree: Tree, where: Path) -> Path:
    """A demo database for `tree`; returns the config `contrib demo` wrote beside it."""
    where.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run(tree, ("demo", "--db", str(where / "contrib.db"), "--quiet"), where)
    print(f"{tree.label}: demo database made in {time.perf_counter() - started:.1f} s")
    return where / "contrib-demo.toml"


def parse_tree(text: str) -> Tree:
    """LABEL=PATH -> Tree."""
    label, sep, path = text.partition("=")
    if not sep or not label:
        raise argparse.ArgumentTypeError(f"{text!r}: use LABEL=PATH")
    return Tree(label, Path(path).resolve())


def main(argv: Sequence[str] | None = None) -> int:
    """Time every command for every tree and print the medians against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command and tree")
    parser.add_argument("--tree", type=parse_tree, action="append", help="LABEL=PATH")
    args = parser.parse_args(argv)
    trees: list[Tree] = args.tree or [Tree("installed", None)]
    with tempfile.TemporaryDirectory(prefix="contrib-startup-") as tmp:
        configs = {t.label: make_demo(t, Path(tmp) / t.label) for t in trees}
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs + 1):  # the first round warms the page cache, untimed
            for name, template in COMMANDS.items():
                for tree in trees:  # alternate trees so load changes hit them alike
                    cmd = [a.format(config=configs[tree.label]) for a in template]
                    timing = run(tree, cmd, configs[tree.label].parent)
                    times.setdefault((tree.label, name), []).append(timing)
    print(
        f"\nmedian of {args.runs} runs (s), python -m contribbot, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    header = f"{'command':<14}" + "".join(f"{t.label + ' wall':>16}{'cpu':>7}" for t in trees)
    print(header + f"{'target':>9}")
    for name in COMMANDS:
        cells = ""
        for tree in trees:
            timed = times[(tree.label, name)][1:]
            wall = statistics.median(w for w, _ in timed)
            cpu = statistics.median(c for _, c in timed)
            cells += f"{wall:>16.3f}{cpu:>7.3f}"
        print(f"{name:<14}{cells}{TARGETS[name]:>9.1f}")
    print_fetching(args.runs, trees)
    print_floor(args.runs, trees[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
