"""Engine creation (SQLite with WAL and foreign keys, or PostgreSQL via psycopg 3) and upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import Session

from contribbot.errors import ContribError, UsageError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def migrations_dir() -> Path:
    """Where the Alembic scripts are: shipped inside the package as contribbot.migrations."""
    return Path(str(resources.files("contribbot.migrations")))


def driver_url(url: str) -> str:
    """`url` with PostgreSQL's driver spelled out: plain postgresql:// means psycopg 3 here."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
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
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a fresh one)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision shipped with this version of contribbot."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the database to the newest revision; returns (before, after)."""
    try:
        before = current_revision(engine)
        head = head_revision(engine)
        if before != head:
            command.upgrade(alembic_config(engine), "head")
    except DatabaseError as exc:  # locked, unreadable, unreachable, or not a database at all
        raise ContribError(f"database: cannot open or upgrade: {one_line(exc.orig)}") from None
    return before, head


def open_database(url: str) -> Engine:
    """An engine on `url`, upgraded to the newest schema (first use creates it)."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def one_line(error: BaseException | None) -> str:
    """A driver's error message on one line (PostgreSQL's add hints on further lines)."""
    return " ".join(str(error).split())


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
