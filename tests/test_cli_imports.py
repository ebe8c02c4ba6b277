"""Everyday commands import only what they use: no Alembic, PyGithub, Jinja2 (but for HTML),
httpx, APScheduler (and no rich for JSON); the read commands, on a database at the shipped head,
not even SQLAlchemy or SQLModel (they read through the DB-API); `contrib report` never the save
path (store.save, whose upserts load SQLAlchemy's PostgreSQL dialect) nor, on SQLite, that
dialect. A behaviour test: which modules got imported, never how long it took."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Standin, cli, copy_standin, load

NEVER = ("alembic", "github", "jinja2", "httpx", "apscheduler", "requests")
ORM = {"sqlalchemy", "sqlmodel", "alembic"}
# the read commands that read a database at the head revision through the DB-API alone
DIRECT = ("activity", "report", "status", "candidates")
RUN = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["contrib", *args]
from contribbot.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The top-level packages a `contrib ARGS` process imported; it must exit 0."""
    return {name.split(".")[0] for name in modules_of(tmp_path, *args)}


def modules_of(tmp_path: Path, *args: str) -> set[str]:
    """Every module a `contrib ARGS` process imported; it must exit 0."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["code"] in (0, None), done.stderr[-2000:]
    return set(result["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("status", "--format", "json"),
        ("activity", "--since", "2020-01-01"),
        ("activity", "--format", "json"),
        ("report", "--format", "json", "--week", "2026-W46"),
        ("report", "--format", "markdown", "--week", "2026-W46"),
        ("report", "--format", "terminal", "--week", "2026-W46"),
        ("report", "--format", "html", "--week", "2026-W46"),
        ("candidates", "--format", "json"),
    ],
    ids=" ".join,
)
def test_read_only_commands_import_no_network_or_migration_code(
    standin: Standin, tmp_path: Path, args: tuple[str, ...]
) -> None:
    config = copy_standin(standin, tmp_path)
    names = modules_of(tmp_path, *args, "--config", str(config))
    modules = {name.split(".")[0] for name in names}
    assert modules & {"sqlite3", "psycopg"}  # it did read the database
    if args[0] in DIRECT:
        assert modules.isdisjoint(ORM), sorted(modules & ORM)
    never = set(NEVER) - ({"jinja2"} if "html" in args else set())  # HTML is a Jinja2 template
    assert modules.isdisjoint(never), sorted(modules & never)
    if "json" in args or "markdown" in args:
        assert "rich" not in modules
    if args[0] == "report":  # it reads: no save path
        assert {"contribbot.report.queries", "contribbot.candidates.service"} <= names
        assert "contribbot.store.save" not in names and "contribbot.store.upsert" not in names
        if load(config).database_url().startswith("sqlite"):
            assert "sqlalchemy.dialects.postgresql" not in names


def test_help_and_version_import_no_database_code(tmp_path: Path) -> None:
    for args in (("--help",), ("--version",)):
        modules = imported(tmp_path, *args)
        assert modules.isdisjoint({"sqlalchemy", "sqlmodel", "pydantic", "rich", *NEVER})


@pytest.fixture(scope="module")
def old_standin(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Standin:
    """The session's synced database one revision behind the head (Alembic's downgrade),
    made once per module; each test upgrades its own copy."""
    from alembic import command

    from contribbot.store.db import alembic_config, make_engine

    config = copy_standin(standin, tmp_path_factory.mktemp("old-db"))
    engine = make_engine(load(config).database_url())
    command.downgrade(alembic_config(engine), "-1")
    engine.dispose()
    return replace(standin, url=load(config).database_url())


def test_an_old_database_is_upgraded_by_alembic(old_standin: Standin, tmp_path: Path) -> None:
    """The other side of the revision check: a database behind the head imports Alembic
    (the slow path: upgraded first, then read), and is read directly from then on."""
    config = copy_standin(old_standin, tmp_path)
    modules = imported(tmp_path, "activity", "--format", "json", "--config", str(config))
    assert "alembic" in modules
    again = imported(tmp_path, "activity", "--format", "json", "--config", str(config))
    assert "alembic" not in again  # upgraded to the head: read directly from now on


@pytest.mark.parametrize("verb", DIRECT)
def test_each_read_command_upgrades_an_old_database(
    old_standin: Standin, tmp_path: Path, verb: str
) -> None:
    """Every read command takes the slow path on a database behind the head (which
    modules that imports, the test above shows once): it answers, and leaves the
    database at the head, to be read directly by the next command."""
    from contribbot.app import runtime
    from contribbot.store.reader import stored_revision
    from contribbot.store.revisions import shipped_chain

    config = copy_standin(old_standin, tmp_path)
    assert runtime._at_head(load(config)) is None  # behind: the slow path
    code, out, err = cli(verb, "--format", "json", "--config", str(config))
    assert code == 0, err
    assert json.loads(out) is not None
    reader = runtime._at_head(load(config))
    assert reader is not None, "still behind the head after a read command"
    try:
        assert stored_revision(reader) == shipped_chain().head
    finally:
        reader.close()
