"""The per-database lock: one writing command at a time (the daemon, a sync by hand, a send).

SQLite: an flock on a file beside the database, which names its holder. PostgreSQL: a
session-level advisory lock on a connection of its own, whose application_name names the holder.
Either way the lock dies with its process (the kernel closes the file, or the server the session),
so a process killed with -9 never leaves the database locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from contribbot.errors import BusyError, ContribError
from contribbot.store.reader import driver_url, one_line

LOCK_POLL_S = 0.5
# pg_try_advisory_lock's key for this lock: "contrib\0" in ASCII; advisory keys are per database
EXCLUSIVE_KEY = int.from_bytes(b"contrib\0", "big")
_HOLDER = text(
    "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid = :hi AND l.objid = :lo AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())"
)


def lock_path(url: str) -> Path | None:
    """The lock file beside a SQLite database (None for server databases)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix(prefix) + ".lock")


@contextmanager
def database_lock(url: str, *, wait_s: float, what: str) -> Iterator[None]:
    """Hold the lock of the database at `url`; wait up to `wait_s`, then raise BusyError."""
    path = lock_path(url)
    if path is not None:
        with _file_lock(path, wait_s=wait_s, what=what):
            yield
    elif driver_url(url).startswith("postgresql"):
        with _advisory_lock(url, wait_s=wait_s, what=what):
            yield
    else:  # an in-memory database belongs to one process anyway
        yield


def _busy(holder: str, where: str, what: str) -> BusyError:
    return BusyError(
        f"the database is busy: {holder} holds {where}; "
        f"{what} did not start (try again, or stop the daemon)"
    )


@contextmanager
def _file_lock(path: Path, *, wait_s: float, what: str) -> Iterator[None]:
    handle: IO[str] = path.open("a+")
    try:
        deadline = time.monotonic() + wait_s
        while not _try_flock(handle):
            if time.monotonic() >= deadline:
                holder = path.read_text().strip() or "another contribbot process"
                raise _busy(holder, path.name, what)
            time.sleep(LOCK_POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {what}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _advisory_lock(url: str, *, wait_s: float, what: str) -> Iterator[None]:
    # the server shows application_name in pg_stat_activity (it keeps 63 bytes of it)
    name = f"{os.getpid()} {what}"[:63]
    engine = create_engine(
        driver_url(url), poolclass=NullPool, connect_args={"application_name": name}
    )
    try:
        connection = _take_advisory(engine, wait_s=wait_s, what=what)
        with connection:  # closing it ends the session, and with it the lock
            yield
    finally:
        engine.dispose()


def _take_advisory(engine: Engine, *, wait_s: float, what: str) -> Connection:
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise ContribError(f"database: cannot take the lock: {one_line(exc.orig)}") from None
    try:
        deadline = time.monotonic() + wait_s
        while not _try_advisory(connection):
            if time.monotonic() >= deadline:
                raise _busy(_advisory_holder(connection), "its advisory lock", what)
            time.sleep(LOCK_POLL_S)
        connection.commit()  # the lock is the session's: it outlives this transaction
        return connection
    except BaseException as exc:
        connection.close()
        if isinstance(exc, DBAPIError):
            raise ContribError(f"database: cannot take the lock: {one_line(exc.orig)}") from None
        raise


def _try_advisory(connection: Connection) -> bool:
    query = text("SELECT pg_try_advisory_lock(:key)")
    return bool(connection.execute(query, {"key": EXCLUSIVE_KEY}).scalar_one())


def _advisory_holder(connection: Connection) -> str:
    hi, lo = divmod(EXCLUSIVE_KEY, 1 << 32)
    row = connection.execute(_HOLDER, {"hi": hi, "lo": lo}).first()
    if row is None:
        return "another contribbot process"
    return str(row.application_name or f"server process {row.pid}")
