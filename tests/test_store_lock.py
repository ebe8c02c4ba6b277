"""The per-database lock on the test engine: SQLite's file lock, or PostgreSQL's advisory lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from engines import ON_POSTGRES, db_url
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from contribbot.errors import BusyError
from contribbot.store.lock import database_lock

HOLD = """
import sys, time
from contribbot.store.lock import database_lock
with database_lock(sys.argv[1], wait_s=0, what="contrib daemon"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def holder(tmp_path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Another process holding the lock of a fresh test database."""
    url = db_url(tmp_path / "contrib.db")
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "held\n"
            yield url, proc
        finally:
            proc.kill()


def test_a_held_lock_is_busy_naming_its_holder(holder):
    url, proc = holder
    with pytest.raises(BusyError) as caught, database_lock(url, wait_s=0, what="contrib sync"):
        pass
    message = str(caught.value)
    assert message.startswith("the database is busy: ")
    assert f"{proc.pid} contrib daemon holds" in message and "contrib sync did not start" in message
    assert caught.value.exit_code == 3
    lock = "its advisory lock" if ON_POSTGRES else "contrib.db.lock"
    assert f"holds {lock};" in message


def test_a_holder_killed_with_9_leaves_the_database_free(holder):
    url, proc = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with database_lock(url, wait_s=10, what="contrib sync"):  # the server may need a moment
        pass


def test_a_waiter_gets_the_lock_when_it_is_released(tmp_path):
    url = db_url(tmp_path / "contrib.db")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with database_lock(url, wait_s=0, what="contrib daemon"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    with pytest.raises(BusyError), database_lock(url, wait_s=0, what="contrib sync"):
        pass
    threading.Timer(0.3, release.set).start()
    with database_lock(url, wait_s=10, what="contrib sync"):
        assert release.is_set()
    thread.join()


def test_the_lock_is_per_database(tmp_path):
    one, two = db_url(tmp_path / "one.db"), db_url(tmp_path / "two.db")
    with database_lock(one, wait_s=0, what="a"), database_lock(two, wait_s=0, what="b"):
        pass


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's advisory lock only")
def test_the_advisory_lock_holds_no_transaction_open(tmp_path):
    url = db_url(tmp_path / "contrib.db")
    with database_lock(url, wait_s=0, what="contrib daemon"):
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            states = connection.execute(
                text("SELECT state FROM pg_stat_activity WHERE application_name = :name"),
                {"name": f"{os.getpid()} contrib daemon"},
            ).all()
        engine.dispose()
    assert [row.state for row in states] == ["idle"]  # not "idle in transaction" for hours
