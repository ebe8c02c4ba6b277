"""Engine creation (SQLite with WAL and foreign keys, or PostgreSQL via psycopg 3) and upgrades."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import Session

from contribbot.errors import ContribError, UsageError
from contribbot.store.reader import (
    SQLITE_BUSY_TIMEOUT_MS,
    check_sqlite_version,
    driver_url,
    one_line,
)
from contribbot.store.revisions import migrations_dir, shipped_chain

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        check_sqlite_version(sqlite3.sqlite_version)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        parent = Path(url.removeprefix("sqlite:///")).parent
        if not parent.is_dir():
            raise UsageError(f"database directory {parent} does not exist")
    url = driver_url(url)
    try:
        # a server may restart under a long-running daemon: test a pooled connection before use
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except ArgumentError:
        raise UsageError(
            "database.url: not a database URL (sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    except ModuleNotFoundError as exc:
        hint = " (pip install 'contribbot[postgres]')" if url.startswith("postgresql") else ""
        raise UsageError(
            f"database.url: the driver for {url.split(':')[0]} is missing ({exc.name}){hint}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic config that runs the packaged migrations on `engine`."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def describe(engine: Engine) -> str:
    """The database as a user knows it: the SQLite file, or the URL without its password."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return engine.url.database
    return engine.url.render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a fresh one)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision shipped with this version of contribbot."""
    return shipped_chain().head


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the database to the newest revision; returns (before, after).

    Alembic is imported only when there is something to upgrade. A database from a newer
    contribbot, or one holding someone else's tables, is refused before anything is written.
    """
    try:
        tables, before = _peek(engine)
        chain = shipped_chain()
        if before != chain.head:
            _refuse_strangers(engine, tables, before, chain.known)
            from alembic import command

            command.upgrade(alembic_config(engine), "head")
    except (DatabaseError, sqlite3.Error) as exc:  # locked, unreadable, unreachable, not a db
        reason = one_line(exc.orig if isinstance(exc, DatabaseError) else exc)
        raise ContribError(
            f"database {describe(engine)}: cannot open or upgrade: {reason}{_read_only(engine)}"
        ) from None
    return before, chain.head


def _peek(engine: Engine) -> tuple[set[str], str | None]:
    """The tables and the stored revision, read without writing (not even WAL mode)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:":
        if not Path(path).exists():
            return set(), None
        uri = f"file:{urllib.parse.quote(path)}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "alembic_version" not in tables:
                return tables, None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return tables, row[0] if row else None
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    return tables, current_revision(engine) if "alembic_version" in tables else None


def _refuse_strangers(
    engine: Engine, tables: set[str], revision: str | None, known: frozenset[str]
) -> None:
    if revision in known:
        return
    theirs = tables - {"alembic_version"}
    if theirs and not theirs & _our_tables():
        raise UsageError(
            f"database {describe(engine)} holds other tables than contribbot's "
            f"({', '.join(sorted(theirs)[:3])}{', ...' if len(theirs) > 3 else ''}); "
            "point [database] url at a new file"
        )
    if revision is not None:
        raise UsageError(
            f"database {describe(engine)}: this database was written by a newer contribbot "
            f"(revision {revision}); upgrade contribbot"
        )


def _our_tables() -> set[str]:
    from sqlmodel import SQLModel

    import contribbot.store.models  # noqa: F401  (registers the tables)

    return set(SQLModel.metadata.tables)


def _read_only(engine: Engine) -> str:
    """A hint when a SQLite file cannot be written: WAL mode needs its directory writable."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:" and not os.access(Path(path).parent, os.W_OK):
        return " (its directory is read-only)"
    return ""


def open_database(url: str) -> Engine:
    """An engine on `url`, upgraded to the newest schema (first use creates it)."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
