"""A SQLite library too old for the saves' INSERT ... RETURNING (3.35) is refused in one line,
before anything is written. The found version is monkeypatched: no old SQLite is needed."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import cli, config_text
from engines import ON_POSTGRES, db_url

from contribbot.errors import UsageError
from contribbot.store.db import check_sqlite_version, make_engine


@pytest.mark.parametrize("found", ["3.34.1", "3.7.17", "2.8.0"])
def test_too_old_is_refused_naming_both_versions(found: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_sqlite_version(found)
    assert str(caught.value) == (
        f"database: SQLite {found} is too old; contribbot needs SQLite 3.35.0 or newer"
        " (Python's sqlite3 module is linked against it), or use PostgreSQL"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("found", ["3.35.0", "3.35.5", "3.40.1", "3.100.0", "4.0.0"])
def test_new_enough_passes(found: str) -> None:
    check_sqlite_version(found)


def test_the_engine_checks_the_linked_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(UsageError, match="SQLite 3.34.1 is too old"):
        make_engine("sqlite:///:memory:")
    make_engine("postgresql://u@127.0.0.1:9/db")  # PostgreSQL does not care (nothing opened)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own library: only a SQLite database reads it")
def test_the_cli_says_it_in_one_line_and_writes_nothing(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contrib.toml"  # on a database file that does not exist yet
    path.write_text(config_text("http://127.0.0.1:9", db_url(tmp_path / "contrib.db", empty=True)))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    code, out, err = cli("status", "--config", str(path))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: database: SQLite 3.34.1 is too old; contribbot needs SQLite 3.35.0 or newer"
        " (Python's sqlite3 module is linked against it), or use PostgreSQL"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contrib.toml"]  # no database file
