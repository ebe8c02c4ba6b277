"""Which database engine the tests run on: SQLite files (the default) or a PostgreSQL server.

CONTRIBBOT_TEST_DB unset or "sqlite": a test database is a SQLite file at the path the test names,
a copy of a file migrated once per process (the path's directory must exist; otherwise, or with
`empty=True`, the file is left for the code under test to create).
CONTRIBBOT_TEST_DB=postgresql+psycopg://postgres@127.0.0.1:5433/postgres (a URL that may create
databases): a test database is a throwaway database on that server, one per path the test names,
copied from a template migrated once per session (CREATE DATABASE ... TEMPLATE), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from contribbot.store.db import open_database

TEST_DB = os.environ.get("CONTRIBBOT_TEST_DB", "").strip()
ON_POSTGRES = TEST_DB not in ("", "sqlite")
if ON_POSTGRES and not TEST_DB.startswith("postgresql"):
    raise SystemExit(f"CONTRIBBOT_TEST_DB must be 'sqlite' or a postgresql URL, not {TEST_DB!r}")

_PREFIX = f"ct_{os.getpid()}_"
_TEMPLATE = f"{_PREFIX}template"
_created: dict[Path, str] = {}  # the test's path -> its database
_admin: Engine | None = None
_template_ready = False
_sqlite_template: Path | None = None
# every engine that connected in-process, kept until its database is dropped: psycopg warns when
# a pooled connection is garbage-collected open (sqlite3 does not), so they are closed first
_engines: set[Engine] = set()


@event.listens_for(Engine, "engine_connect")
def _remember(connection: Any) -> None:
    _engines.add(connection.engine)


def db_url(path: Path, *, empty: bool = False) -> str:
    """The URL of the test database named `path`: the SQLite file, or its PostgreSQL database.

    The database is at the newest revision already, as it would be after first use (Alembic's
    migrations run once per process, not once per test); `empty=True` gives one with no tables
    (for tests of upgrades and first use).
    """
    if not ON_POSTGRES:
        if not empty and not path.exists() and path.parent.is_dir():
            shutil.copyfile(_migrated_sqlite(), path)
        return f"sqlite:///{path}"
    name = _created.get(path)
    if name is None:
        name = f"{_PREFIX}{uuid.uuid4().hex[:12]}"
        _create(name, template="template0" if empty else _migrated_template())
        _created[path] = name
    return url_of(name)


def url_of(name: str) -> str:
    """The URL of database `name` on the test server."""
    return make_url(TEST_DB).set(database=name).render_as_string(hide_password=False)


def admin() -> Engine:
    """An autocommit engine on the server's admin database (CREATE/DROP DATABASE)."""
    global _admin
    if _admin is None:
        _admin = create_engine(TEST_DB, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    return _admin


def _create(name: str, *, template: str) -> None:
    with admin().connect() as conn:
        conn.execute(
            text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'')
            if template == "template0"
            else text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        )


def _migrated_template() -> str:
    global _template_ready
    if not _template_ready:
        _drop([_TEMPLATE])
        _create(_TEMPLATE, template="template0")
        open_database(url_of(_TEMPLATE)).dispose()  # no session may stay on a template
        _template_ready = True
    return _TEMPLATE


def _migrated_sqlite() -> Path:
    """This process's SQLite file at the newest revision, checkpointed: one file, no WAL."""
    global _sqlite_template
    if _sqlite_template is None:
        path = Path(tempfile.mkdtemp(prefix="contribbot-template-")) / "template.db"
        open_database(f"sqlite:///{path}").dispose()
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        Path(f"{path}-wal").unlink(missing_ok=True)
        Path(f"{path}-shm").unlink(missing_ok=True)
        _sqlite_template = path
    return _sqlite_template


def _drop(names: list[str]) -> None:
    for engine in [e for e in _engines if e.url.database in names]:
        engine.dispose()
        _engines.discard(engine)
    if names:
        with admin().connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def drop_databases(under: Path | None = None) -> None:
    """Drop the test databases named by paths under `under` (every one when None)."""
    if not ON_POSTGRES:
        return
    paths = [p for p in _created if under is None or p.is_relative_to(under)]
    _drop([_created.pop(p) for p in paths])


def copy_database(url: str, path: Path) -> str:
    """A copy of the test database at `url`, named `path`; returns the copy's URL."""
    if not ON_POSTGRES:
        source, target = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(path)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return f"sqlite:///{path}"
    name = make_url(url).database
    assert name is not None
    for engine in [e for e in _engines if e.url.database == name]:
        engine.dispose()  # nobody may be connected to a template; the pool reconnects later
    copy = f"{_PREFIX}{uuid.uuid4().hex[:12]}"
    _create(copy, template=name)
    _created[path] = copy
    return url_of(copy)


def stored_text(url: str) -> str:
    """Everything the database at `url` stores, as text, to look for what must not be there.

    SQLite: the bytes of the file and its write-ahead log, free pages included.
    PostgreSQL: every row of every table.
    """
    if not ON_POSTGRES:
        files = [
            Path(url.removeprefix("sqlite:///")),
            Path(url.removeprefix("sqlite:///") + "-wal"),
        ]
        return "".join(f.read_bytes().decode("latin-1") for f in files if f.exists())
    engine = create_engine(url, poolclass=NullPool)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        rows = [str(r) for t in tables.sorted_tables for r in connection.execute(select(t))]
    engine.dispose()
    return "\n".join(rows)


def finish_session() -> None:
    """Drop every database this session made, the template included."""
    if _sqlite_template is not None:
        shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
    if ON_POSTGRES:
        drop_databases()
        _drop([_TEMPLATE] if _template_ready else [])
        admin().dispose()
