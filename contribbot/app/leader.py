"""Who schedules: the one worker holding the leader lock.

On PostgreSQL the lock is a session advisory lock on a connection the leader keeps open:
the server drops it the moment that connection dies (a worker killed with -9 included),
and the next worker to ask takes over. On SQLite it is an flock on a file beside the
database, which the kernel drops with the process.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from contribbot.store.lock import lock_path

# pg_advisory_lock takes a bigint: "contribbot-leader" folded into 63 bits
LEADER_KEY = int.from_bytes(b"contribL", "big") & 0x7FFF_FFFF_FFFF_FFFF
log = logging.getLogger("contribbot.worker")


class LeaderLock:
    """Try to become (or stay) the leader; `held()` is cheap enough to call every tick."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    def held(self) -> bool:
        """True while this process holds the lock (acquiring it when it is free)."""
        if self.engine.dialect.name == "postgresql":
            return self._postgres()
        return self._file_lock()

    def _postgres(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self.engine.connect()
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_KEY}
            ).scalar()
            connection.commit()
        except DBAPIError as exc:  # the connection died: whatever we held is gone
            log.warning("leader lock: the database connection failed (%s)", type(exc).__name__)
            self.release()
            return False
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def _file_lock(self) -> bool:
        if self._file is not None:
            return True
        path = lock_path(self.url)
        if path is None:  # an in-memory database has one process anyway
            return True
        handle = Path(f"{path}.leader").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Give the lock up (also what a dying process does implicitly)."""
        if self._connection is not None:
            try:
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None
