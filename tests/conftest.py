"""Shared fixtures: the GitHub stand-in on loopback, configs pointing at it, a CLI runner.

Test databases come from engines.db_url: SQLite files, or PostgreSQL with CONTRIBBOT_TEST_DB set.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import pickle
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
import typer.testing
from engines import ON_POSTGRES, TEST_DB, db_url, drop_databases, finish_session
from ordering import spread
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from contribbot.cli import app
from contribbot.config import Config, parse_config
from contribbot.fakehub import Dataset, FakeHub, build_dataset

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the data set's anchor: a Friday in 2026-W47
TOKEN = "test-token"
USERS = ("alice", "bob", "carol")
REPOS = ("pytorch/pytorch", "pytorch/tutorials")
# httpx's default TLS context, made once: tests pass it as `verify=TLS` to the httpx clients
# they open on the stand-in, since each new client would otherwise read and parse the whole
# CA bundle again (~40 ms of CPU; 6 s of the suite's, for loopback HTTP that uses no TLS)
TLS = httpx.create_ssl_context()


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode is cached during the run even where PYTHONDONTWRITEBYTECODE is set (this
    VM sets it): otherwise each xdist worker compiles every module again, and so does each
    `python -m contribbot` a test starts (~0.5 s of CPU each). Workers and subprocesses
    inherit the environment, so removing it here (the controller, before the workers
    start) is enough; __pycache__ is in .gitignore."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        sys.dont_write_bytecode = False
    # The cyclic collector's default first threshold (700 allocations) makes it walk the
    # young objects thousands of times per sync (SQLAlchemy and the stand-in allocate
    # freely) and every long-lived object at each full pass: 10-20% of the suite's CPU.
    # Nothing the tests check depends on when garbage is collected.
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_finish() -> None:
    """What collection imported (modules, test functions, the data set's classes) lives
    to the end: frozen, the collector never walks it again."""
    gc.collect()
    gc.freeze()


_COMMANDS: dict[typer.Typer, Any] = {}


def _command_once(typer_app: typer.Typer) -> Any:
    """Typer's click command tree for `typer_app`, built on first use (not on every invoke)."""
    if typer_app not in _COMMANDS:
        _COMMANDS[typer_app] = typer.main.get_command(typer_app)
    return _COMMANDS[typer_app]


# Typer's CliRunner builds the app's click command tree on every invoke (~25 ms of CPU; the
# suite invokes the CLI in-process some hundreds of times): each test process builds it once.
typer.testing._get_command = _command_once


def pytest_report_header() -> str:
    where = make_url(TEST_DB).render_as_string(hide_password=True) if ON_POSTGRES else "SQLite"
    return f"contribbot test databases: {where} (CONTRIBBOT_TEST_DB)"


def pytest_sessionfinish() -> None:
    """Drop the run's databases; then freeze what is left, so pytest's last full collection
    (unraisableexception's, at unconfigure) has nothing to walk: with the raised threshold,
    a worker ends holding some 10^5-10^6 objects of garbage cycles, and collecting them took
    each worker a second or more of CPU, at the very end of the run, for nothing (the
    process exits next)."""
    finish_session()
    gc.freeze()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than usable cores. Some tests spend seconds waiting on a
    subprocess, a sink or a lease (not on a core); the extra worker runs tests meanwhile."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist, each worker's share starts with its costliest tests (ordering.py)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        items[:] = spread(items, [item.nodeid for item in items], workers)


@pytest.fixture(autouse=True, scope="module")
def _drop_module_databases() -> Iterator[None]:
    yield
    drop_databases()


@pytest.fixture(autouse=True)
def _drop_test_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test's databases live as long as its tmp_path; a module fixture's, until its end."""
    tmp = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if tmp is not None:
        drop_databases(tmp)


_WORLDS: dict[str, bytes] = {}


def world_copy(size: str = "default") -> Dataset:
    """A fresh copy of the stand-in's data set at NOW (build_dataset(NOW, size=size)).

    Built once per process and kept pickled, and each caller gets its own copy to change (a
    hub's mutations, add_reverts). The cyclic collector is off while unpickling: the copy is
    ~100,000 new objects, and collecting as they come (each pass walking the ones made so
    far) took 70% of the time (the default world: 0.25 s with it, 0.07 s without)."""
    if size not in _WORLDS:
        _WORLDS[size] = pickle.dumps(build_dataset(NOW, size=size), pickle.HIGHEST_PROTOCOL)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(_WORLDS[size])  # noqa: S301 (our own bytes)
    finally:
        if enabled:
            gc.enable()


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The default world (2,970 issues) on loopback."""
    with FakeHub(world_copy(), tokens={TOKEN: "alice"}) as running:
        yield running


@pytest.fixture
def small_hub() -> Iterator[FakeHub]:
    """The small world (340 issues, the same stories): for tests whose checks do not grow
    with the repository; a test's first sync of the tracked users costs the same in both."""
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


def config_text(
    base_url: str,
    db: Path | str,
    *,
    users: Sequence[str] = USERS,
    repos: Sequence[str] = REPOS,
    token: str = TOKEN,
    extra: str = "",
    graphql: str = "false",
) -> str:
    # REST unless a test asks for GraphQL (the `sync_mode` fixture runs a test both ways)
    return (
        f'[github]\napi_url = "{base_url}"\ntoken = "{token}"\nbackoff_factor = 0.01\n'
        f"graphql = {graphql}\n"
        f'[database]\nurl = "{db if isinstance(db, str) else db_url(db)}"\n'
        f"[track]\nusers = {json.dumps(list(users))}\nrepos = {json.dumps(list(repos))}\n" + extra
    )


@pytest.fixture(params=["false", "true"], ids=["rest", "graphql"])
def sync_mode(request: pytest.FixtureRequest) -> str:
    """`[github] graphql` for a test that runs its sync both ways: REST, then GraphQL."""
    return str(request.param)


def write_config(tmp_path: Path, base_url: str, **kwargs: object) -> Path:
    path = tmp_path / "contrib.toml"
    path.write_text(config_text(base_url, tmp_path / "contrib.db", **kwargs))  # type: ignore[arg-type]
    return path


def load(path: Path) -> Config:
    text = path.read_text()
    return parse_config(tomllib.loads(text), path=path, text=text)


def wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    """Poll `predicate` every 0.1 s until it is truthy (True) or `timeout` seconds pass (False):
    a guard against hangs for tests that watch other processes, never a speed check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_activity_is_the_truth(
    hub: FakeHub, config: Path, user: str, *, repos: Sequence[str] | None = None
) -> None:
    """`contrib activity --format json` of `user` over all time is the stand-in's ground
    truth (in `repos`, when given): recall = precision = 1, and nothing listed twice."""
    from contribbot.fakehub.truth import Fact, expected_contributions, recall_precision

    until = (hub.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = cli(
        "activity", "--config", str(config), "--format", "json", "--user", user,
        "--since", "2000-01-01T00:00:00Z", "--until", until,
    )  # fmt: skip
    assert code == 0, err
    found = [
        Fact(r["kind"], r["user"], r["repo"], r["number"], datetime.fromisoformat(r["at"]))
        for r in json.loads(out)
    ]
    truth = expected_contributions(hub.dataset, [user])
    if repos is not None:
        truth = {fact for fact in truth if fact.repo in repos}
    assert truth and recall_precision(found, truth) == (1.0, 1.0), sorted(set(found) ^ truth)[:5]
    assert len(found) == len(set(found))


@dataclass(frozen=True)
class Standin:
    """The stand-in's data set, synced once per session into a database."""

    url: str
    dataset: Dataset
    refreshed: dict[str, int]  # the fields of the candidates refresh's RefreshResult


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standin]:
    """Every tracked user and repo of the stand-in synced (clock fixed at NOW), candidates too.

    Syncing takes seconds; tests that only read the result copy it (`copy_standin`). Under
    pytest-xdist the SQLite file is synced once per run, by whichever worker asks first, and the
    others copy it; on PostgreSQL each worker syncs its own (its databases are its own).
    """
    import engines

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None and not ON_POSTGRES
    if not shared:
        directory = tmp_path_factory.mktemp("standin-master")
        dataset, refreshed = _sync_standin(directory)
        url = load(directory / "contrib.toml").database_url()
        kept = engines._created.pop(directory / "contrib.db", None)  # outlives module drops
        yield Standin(url, dataset, refreshed)
        if kept is not None:
            engines._drop([kept])
        return
    directory = tmp_path_factory.getbasetemp().parent / "standin-master"  # the run's, not ours
    directory.mkdir(exist_ok=True)
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the first one's sync
        if (directory / "synced").exists():
            dataset = world_copy()  # deterministic: the same data set the hub served
            refreshed = json.loads((directory / "synced").read_text())
        else:
            dataset, refreshed = _sync_standin(directory)
            (directory / "synced").write_text(json.dumps(refreshed))
    yield Standin(load(directory / "contrib.toml").database_url(), dataset, refreshed)


def _sync_standin(directory: Path) -> tuple[Dataset, dict[str, int]]:
    """Sync the stand-in into `directory`/contrib.db, candidates too: the data set it served,
    and what the candidates refresh did."""
    from dataclasses import asdict

    from contribbot.candidates.refresh import refresh_candidates
    from contribbot.github.client import GitHubClient
    from contribbot.store.db import open_database
    from contribbot.sync import Sync

    with FakeHub(world_copy(), tokens={TOKEN: "alice"}) as hub:
        config = load(write_config(directory, hub.base_url))
        engine = open_database(config.database_url())
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
        sync = Sync(engine=engine, client=client, config=config, clock=lambda: NOW)
        assert sync.run().exit_code == 0
        refreshed = refresh_candidates(
            engine=engine, client=client, config=config, clock=lambda: NOW
        )
        engine.dispose()
        return hub.dataset, asdict(refreshed)


def copy_standin(
    standin: Standin, directory: Path, base_url: str = "http://127.0.0.1:9", **kwargs: object
) -> Path:
    """A private copy of the session's synced database, and a config pointing at it."""
    from engines import copy_database

    url = copy_database(standin.url, directory / "contrib.db")
    path = directory / "contrib.toml"
    path.write_text(config_text(base_url, url, **kwargs))  # type: ignore[arg-type]
    return path
