"""Reading the database through the plain DB-API (sqlite3, psycopg): no SQLAlchemy import.

The read commands (`activity`, `status`, `report`) run their queries as SQL text over a
`Reader`. A `Reader` opens its own connection from the database URL, or wraps the
connection of a SQLAlchemy session (the daemon, workers, demo and tests), reading inside
the session's transaction. Queries name parameters `:name` once; a list parameter expands
for IN. Times are bound and read exactly as `store.models.UTCDateTime` stores them: on
SQLite, text in SQLAlchemy's format (compared as text, so the bound text matches byte for
byte); on PostgreSQL, naive UTC timestamps. They come back as aware UTC datetimes.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import sys
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from contribbot.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_NEEDED = (3, 35, 0)  # INSERT ... RETURNING (store/upsert.py)
# SQLAlchemy's DATETIME on SQLite (sqlalchemy.dialects.sqlite.DATETIME._storage_format)
_SQLITE_TIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_LISTS = (list, tuple, set, frozenset)
# a boolean as each database spells it: SQLite stores 0/1 and compares them as such
# ("is_pr IS 1" is an equality it can look up in an index; "IS true" tests for non-zero)
TRUE = {"sqlite": "1", "postgresql": "true"}
FALSE = {"sqlite": "0", "postgresql": "false"}


def driver_url(url: str) -> str:
    """`url` with PostgreSQL's driver spelled out: plain postgresql:// means psycopg 3 here."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def check_sqlite_version(found: str) -> None:
    """Refuse, before anything is opened, a linked SQLite library too old for the saves."""
    try:
        version = tuple(int(part) for part in found.split(".")[:3])
    except ValueError:
        return  # an odd build string: let SQLite itself say what it lacks
    if version < SQLITE_NEEDED:
        needed = ".".join(map(str, SQLITE_NEEDED))
        raise UsageError(
            f"database: SQLite {found} is too old; contribbot needs SQLite {needed} or newer"
            " (Python's sqlite3 module is linked against it), or use PostgreSQL"
        )


def one_line(error: BaseException | None) -> str:
    """A driver's error message on one line (PostgreSQL's add hints on further lines)."""
    return " ".join(str(error).split())


def sqlite_stored(moment: datetime) -> str:
    """A time as SQLAlchemy's UTCDateTime stores it on SQLite: naive UTC text."""
    m = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return _SQLITE_TIME % (m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond)


def _sqlite_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(f"{value}+00:00")  # in one step: a report reads 100,000s
    except ValueError:  # not the text SQLAlchemy writes (a zone, a "T")
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _pg_stored(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _pg_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Reader:
    """Read-only SQL over one DB-API connection: rows, with `:name` parameters."""

    def __init__(
        self, connection: Any, dialect: str, where: str, *, closer: Callable[[], Any] | None = None
    ) -> None:
        self.connection = connection
        self.dialect = dialect  # "sqlite" or "postgresql", as SQLAlchemy names them
        self.where = where  # the database as a user knows it (no password)
        self.closer = closer  # how to let go of a connection opened for this reader
        sqlite = dialect == "sqlite"
        self.stored: Callable[[datetime], Any] = sqlite_stored if sqlite else _pg_stored
        self.time: Callable[[Any], datetime | None] = _sqlite_time if sqlite else _pg_time
        # the same, typed for a NOT NULL column (or one a WHERE keeps from being NULL)
        self.at = cast(Callable[[Any], datetime], self.time)
        self.true, self.false = TRUE[dialect], FALSE[dialect]

    def json(self, value: Any) -> Any:
        """A JSON column's value: SQLite hands back its text, psycopg the parsed value."""
        if self.dialect == "sqlite" and value is not None:
            return json.loads(value)
        return value

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of `sql`; `:name` parameters from `params` (lists expand for IN)."""
        text, values = self._prepare(sql, params or {})
        if self.dialect == "sqlite":
            return self.connection.execute(text, values).fetchall()  # type: ignore[no-any-return]
        with self.connection.cursor() as cursor:
            cursor.execute(text, values)
            return cursor.fetchall()  # type: ignore[no-any-return]

    def column(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.rows(sql, params)]

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        """Let go of the connection if it was opened for this reader (not a session's)."""
        if self.closer is not None:
            self.closer()

    def _prepare(self, sql: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {}
        sizes: list[tuple[str, int]] = []
        for name, value in params.items():
            if isinstance(value, _LISTS):
                items = list(value)
                sizes.append((name, len(items)))
                for index, item in enumerate(items):
                    values[f"{name}__{index}"] = self._bind(item)
            else:
                values[name] = self._bind(value)
        return _translate(sql, self.dialect, tuple(sizes)), values

    def _bind(self, value: Any) -> Any:
        return self.stored(value) if isinstance(value, datetime) else value


@functools.lru_cache(maxsize=512)
def _translate(sql: str, dialect: str, sizes: tuple[tuple[str, int], ...]) -> str:
    """`:name` -> the driver's style; a list parameter of n items -> n parameters (NULL
    for none, so `x IN (:ids)` matches nothing)."""
    lists = dict(sizes)
    style = ":{}" if dialect == "sqlite" else "%({})s"

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lists:
            return style.format(name)
        if lists[name] == 0:
            return "NULL"
        return ", ".join(style.format(f"{name}__{i}") for i in range(lists[name]))

    if dialect != "sqlite":
        sql = sql.replace("%", "%%")  # psycopg's pyformat: a literal % is doubled
    return _PARAM.sub(place, sql)


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` URL (None for other URLs, memory or query options)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == "sqlite:///:memory:":
        return None
    return url.removeprefix(prefix)


def connect(url: str) -> Reader | None:
    """A reader on `url`, opened here; None for a URL only SQLAlchemy knows how to open.

    Its reads are one snapshot (a sync committing meanwhile changes none of its answers),
    and it writes nothing: closing it rolls back."""
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_version(sqlite3.sqlite_version)
        if not Path(path).is_file():
            return None  # created by the first use: the slow path makes it
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.execute("BEGIN")  # deferred: the snapshot is taken by the first read
        return Reader(connection, "sqlite", path, closer=connection.close)
    full = driver_url(url)
    if not full.startswith("postgresql+psycopg://"):
        return None
    import psycopg

    conninfo = "postgresql://" + full.removeprefix("postgresql+psycopg://")
    server = psycopg.connect(conninfo)
    server.read_only = True
    server.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    # named as SQLAlchemy names it (store.db.describe), whichever way it was opened
    return Reader(server, "postgresql", hide_password(full), closer=server.close)


def hide_password(url: str) -> str:
    """`url` with its password shown as ***, as SQLAlchemy renders a URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def of_session(session: Session) -> Reader:
    """A reader inside `session`'s transaction (on its connection, never closed here)."""
    from contribbot.store.db import describe

    engine = session.get_bind()
    raw = session.connection().connection.driver_connection
    return Reader(raw, engine.dialect.name, describe(engine))  # type: ignore[arg-type]


def of_engine(engine: Engine) -> Reader:
    """A reader on a connection of its own from `engine` (its pragmas set), disposed after."""
    from contribbot.store.db import describe

    raw = engine.raw_connection()

    def close() -> None:
        raw.close()
        engine.dispose()

    return Reader(raw.driver_connection, engine.dialect.name, describe(engine), closer=close)


def as_reader(db: Reader | Session) -> Reader:
    """`db` itself, or a reader inside a session's transaction."""
    return db if isinstance(db, Reader) else of_session(db)


def stored_revision(reader: Reader) -> str | None:
    """The alembic revision the database is at (None without contribbot's bookkeeping)."""
    if reader.dialect == "sqlite":
        table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        table = "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'alembic_version'"
        table += " AND schemaname = ANY(current_schemas(false))"
    if not reader.rows(table):
        return None
    return reader.scalar("SELECT version_num FROM alembic_version")  # type: ignore[no-any-return]


def states(db: Reader | Session, keys: Sequence[str]) -> dict[str, str]:
    """The sync facts (`sync_state`) named `keys` that are stored: key -> value."""
    if not keys:
        return {}
    query = "SELECT key, value FROM sync_state WHERE key IN (:keys)"
    return dict(as_reader(db).rows(query, {"keys": list(keys)}))


def state(db: Reader | Session, key: str) -> str | None:
    """A sync fact by name (None if it is not stored)."""
    return states(db, [key]).get(key)


def driver_error(exc: BaseException) -> bool:
    """Whether `exc` is an error of sqlite3 or psycopg (imported only if it was used)."""
    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)
