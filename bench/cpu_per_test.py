"""A pytest plugin for bench/suite.py --per-test: the CPU time of every test, phase by phase.

Loaded with `-p cpu_per_test` (bench/ on PYTHONPATH). Each process running tests (xdist
worker or pytest itself) appends one JSON line per test phase to
$CONTRIBBOT_CPU_PER_TEST/<worker>.jsonl: the node id, the phase (setup, call, teardown),
the process's own CPU seconds (user + system, its threads included: an in-process stand-in
serving the test counts) and its waited-for children's (the `python -m contribbot`
subprocesses a test started and waited for), and the wall seconds. Nothing is asserted.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

_out: IO[str] | None = None


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _write(record: dict[str, object]) -> None:
    global _out
    if _out is None:
        directory = Path(os.environ.get("CONTRIBBOT_CPU_PER_TEST", "."))
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _out = open(directory / f"{worker}.jsonl", "a")  # noqa: SIM115 (open for the session)
    _out.write(json.dumps(record) + "\n")


def _measured(item: pytest.Item, phase: str) -> Iterator[None]:
    own, children = _cpu()
    started = time.monotonic()
    yield
    own_after, children_after = _cpu()
    _write(
        {
            "id": item.nodeid,
            "phase": phase,
            "self": own_after - own,
            "children": children_after - children,
            "wall": time.monotonic() - started,
        }
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Measure a test's setup (its fixtures)."""
    yield from _measured(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Measure a test's body."""
    yield from _measured(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Measure a test's teardown."""
    yield from _measured(item, "teardown")


def pytest_unconfigure() -> None:
    """Close this process's file."""
    global _out
    if _out is not None:
        _out.close()
        _out = None
