"""A database error in the middle of a run (disk full, read-only, locked): one line naming the
database, the documented exit code, and nothing half-written: the next run finishes the job."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import engines
import pytest
from conftest import NOW, cli, load, write_config
from engines import ON_POSTGRES
from test_sync import EPOCH, expected, stored

from contribbot.store.db import open_database

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ON_POSTGRES, reason="SQLite files on a tiny disk"),
]


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("issue", "review", "comment", "account")
        }


def integrity(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def tiny_fs(tmp_path):
    """A 600 KiB tmpfs, less than a full sync of the stand-in needs: a disk that fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where = tmp_path / "fs"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(where)], check=False
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def test_disk_full_mid_sync_is_one_line_and_the_next_run_finishes(tiny_fs, small_hub):
    hub = small_hub  # the tracked users' items (what fills the disk) are the same in both worlds
    (tiny_fs / "conf").mkdir()
    path = write_config(tiny_fs / "conf", hub.base_url)
    db = tiny_fs / "conf" / "contrib.db"
    code, out, err = cli("sync", "--quiet", "--config", str(path))
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: database {db}: the disk is full (")
    assert "free); the last page was rolled back" in lines[0]
    assert integrity(db) == "ok"
    partial = counts(db)
    assert 0 < partial["issue"] < sum(len(r.issues) for r in hub.dataset.repos.values())

    remount(tiny_fs, "size=64m")
    code, _, err = cli("sync", "--quiet", "--config", str(path))
    assert code == 0, err
    engine = open_database(load(path).database_url())
    users = {"alice", "bob", "carol"}
    until = NOW + timedelta(days=1)
    assert stored(engine, users) == expected(hub.dataset, users, EPOCH, until)  # nothing lost
    assert integrity(db) == "ok"  # and the schema's unique keys let nothing be doubled


def test_a_read_only_database_is_one_line(tmp_path, tiny_fs, hub):
    remount(tiny_fs, "size=64m")
    path = write_config(tiny_fs, hub.base_url, users=["alice"], repos=["pytorch/tutorials"])
    assert cli("sync", "--quiet", "--config", str(path))[0] == 0
    for engine in list(engines._engines):  # no file left open here: the remount needs none
        engine.dispose()
    remount(tiny_fs, "ro")
    code, _, err = cli("sync", "--quiet", "--config", str(path))
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: database {tiny_fs / 'contrib.db'}: cannot open")
    assert lines[0].endswith("(its directory is read-only)")


def test_a_database_locked_by_another_program_is_exit_3(tmp_path, hub, monkeypatch):
    import contribbot.store.db as db_module

    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=["pytorch/tutorials"])
    assert cli("status", "--config", str(path))[0] == 0
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(tmp_path / "contrib.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = cli("sync", "--quiet", "--config", str(path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    lines = err.strip().splitlines()
    assert code == 3 and len(lines) == 1, err
    assert lines[0].startswith(f"error: database {tmp_path / 'contrib.db'} is locked")
