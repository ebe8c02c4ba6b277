"""Everyday commands import only what they use: no Alembic, PyGithub, Jinja2, httpx, APScheduler
(and no rich for JSON); the read commands, on a database at the shipped head, not even SQLAlchemy
or SQLModel (they read through the DB-API). A behaviour test: which modules got imported, never
how long it took."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Standin, copy_standin

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
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}, f)
"""


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The top-level packages a `contrib ARGS` process imported; it must exit 0."""
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
        ("candidates", "--format", "json"),
    ],
    ids=" ".join,
)
def test_read_only_commands_import_no_network_or_migration_code(
    standin: Standin, tmp_path: Path, args: tuple[str, ...]
) -> None:
    config = copy_standin(standin, tmp_path)
    modules = imported(tmp_path, *args, "--config", str(config))
    assert modules & {"sqlite3", "psycopg"}  # it did read the database
    if args[0] in DIRECT:
        assert modules.isdisjoint(ORM), sorted(modules & ORM)
    assert modules.isdisjoint(NEVER), sorted(modules & set(NEVER))
    if "json" in args or "markdown" in args:
        assert "rich" not in modules


def test_help_and_version_import_no_database_code(tmp_path: Path) -> None:
    for args in (("--help",), ("--version",)):
        modules = imported(tmp_path, *args)
        assert modules.isdisjoint({"sqlalchemy", "sqlmodel", "pydantic", "rich", *NEVER})


@pytest.mark.parametrize("verb", DIRECT)
def test_an_old_database_is_upgraded_by_alembic(
    standin: Standin, tmp_path: Path, verb: str
) -> None:
    """The other side of the revision check: a database behind the head imports Alembic
    (the slow path: upgraded first, then read)."""
    from alembic import command

    from contribbot.store.db import alembic_config, make_engine

    config = copy_standin(standin, tmp_path)
    url = next(
        line.split("=", 1)[1].strip().strip("\"'")
        for line in config.read_text().splitlines()
        if line.startswith("url")
    )
    engine = make_engine(url)
    command.downgrade(alembic_config(engine), "-1")
    engine.dispose()
    modules = imported(tmp_path, verb, "--format", "json", "--config", str(config))
    assert "alembic" in modules
    again = imported(tmp_path, verb, "--format", "json", "--config", str(config))
    assert "alembic" not in again  # upgraded to the head: read directly from now on
