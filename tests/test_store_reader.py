"""store/reader.py: plain DB-API reads (parameters, times as UTCDateTime stores them), and
app/runtime.reading: direct at the head revision, the slow path (upgrade, refusals) otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from conftest import cli, write_config
from engines import db_url

from contribbot.app import runtime
from contribbot.config import load_config
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import SyncState
from contribbot.store.reader import (
    _translate,
    as_reader,
    connect,
    hide_password,
    sqlite_stored,
    stored_revision,
)
from contribbot.store.revisions import shipped_chain

# microseconds, a zone that is not UTC, and a time with none after the seconds
TIMES = [
    datetime(2026, 11, 30, 9, 5, 7, 123456, tzinfo=UTC),
    datetime(2026, 11, 30, 10, 5, 7, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year SQLAlchemy pads to four digits
]


def test_parameters_are_named_once_and_lists_expand_for_in():
    sql = "SELECT a FROM t WHERE a IN (:ids) AND b >= :since AND c LIKE 'x%' AND d::text = :ids0"
    sizes = (("ids", 3),)
    assert _translate(sql, "sqlite", sizes) == (
        "SELECT a FROM t WHERE a IN (:ids__0, :ids__1, :ids__2) AND b >= :since"
        " AND c LIKE 'x%' AND d::text = :ids0"
    )
    assert _translate(sql, "postgresql", sizes) == (
        "SELECT a FROM t WHERE a IN (%(ids__0)s, %(ids__1)s, %(ids__2)s) AND b >= %(since)s"
        " AND c LIKE 'x%%' AND d::text = %(ids0)s"
    )
    assert _translate("SELECT 1 WHERE a IN (:ids)", "sqlite", (("ids", 0),)).endswith("IN (NULL)")


def test_a_list_parameter_binds_each_item_and_an_empty_one_matches_nothing(tmp_path):
    url = _database(tmp_path)
    engine = open_database(url)
    with session_scope(engine) as session:
        for key in ("a", "b", "c"):
            session.add(SyncState(key=key, value=f"{key}!", updated_at=TIMES[0]))
    engine.dispose()
    reader = connect(url)
    assert reader is not None
    try:
        found = reader.rows(
            "SELECT key, value FROM sync_state WHERE key IN (:keys) ORDER BY key",
            {"keys": ["c", "a", "zzz"]},
        )
        assert found == [("a", "a!"), ("c", "c!")]
        assert reader.rows("SELECT key FROM sync_state WHERE key IN (:keys)", {"keys": []}) == []
        like = "SELECT key FROM sync_state WHERE value LIKE :p"
        assert reader.column(like, {"p": "b%"}) == ["b"]
    finally:
        reader.close()


def test_times_round_trip_as_utcdatetime_stores_them(tmp_path):
    url = _database(tmp_path)
    engine = open_database(url)
    with session_scope(engine) as session:
        for index, moment in enumerate(TIMES):
            session.add(SyncState(key=f"t{index}", value="", updated_at=moment))
    reader = connect(url)
    assert reader is not None
    try:
        for index, moment in enumerate(TIMES):
            params = {"key": f"t{index}"}
            stored = reader.scalar("SELECT updated_at FROM sync_state WHERE key = :key", params)
            back = reader.time(stored)
            assert back == moment and back is not None and back.tzinfo == UTC
            # bound the way SQLAlchemy binds it: equal as the database compares (on SQLite,
            # the text byte for byte), so a window's edges cut where SQLAlchemy's did
            equal = {"key": f"t{index}", "at": moment}
            query = "SELECT count(*) FROM sync_state WHERE key = :key AND updated_at = :at"
            assert reader.scalar(query, equal) == 1
            if reader.dialect == "sqlite":
                assert stored == sqlite_stored(moment)
    finally:
        reader.close()
    with session_scope(engine) as session:  # read inside a session's transaction
        via_session = as_reader(session)
        assert (
            via_session.time(
                via_session.scalar("SELECT updated_at FROM sync_state WHERE key = 't0'")
            )
            == (TIMES[0])
        )
        session.add(SyncState(key="unsaved", value="", updated_at=TIMES[0]))
        session.flush()  # not committed: only a reader inside the transaction sees it
        assert as_reader(session).column("SELECT key FROM sync_state WHERE key = 'unsaved'")
    engine.dispose()


def test_a_password_is_not_shown():
    assert hide_password("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert hide_password("postgresql://u@h/db") == "postgresql://u@h/db"


def test_a_database_at_the_head_is_read_directly_and_one_behind_is_upgraded_first(tmp_path):
    from alembic import command

    from contribbot.store.db import alembic_config

    path = write_config(tmp_path, "http://127.0.0.1:9")
    config = load_config(path)
    assert runtime._at_head(config) is None  # no database yet: the slow path creates it
    with runtime.reading(config) as reader:
        assert stored_revision(reader) == shipped_chain().head
    direct = runtime._at_head(config)
    assert direct is not None  # now at the head: nothing to do before reading
    direct.close()
    engine = open_database(config.database_url())
    command.downgrade(alembic_config(engine), "-1")
    engine.dispose()
    assert runtime._at_head(config) is None
    with runtime.reading(config) as reader:
        assert stored_revision(reader) == shipped_chain().head


def test_a_database_error_while_reading_is_one_line_naming_the_database(tmp_path):
    from contribbot.store.db import describe

    path = write_config(tmp_path, "http://127.0.0.1:9", users=["alice"])
    assert cli("activity", "--config", str(path))[0] == 0
    engine = open_database(load_config(path).database_url())
    where = describe(engine)
    with engine.begin() as connection:  # at the head revision, but a table is gone
        connection.exec_driver_sql("INSERT INTO account (id, login, kind) VALUES (1, 'alice', 'U')")
        connection.exec_driver_sql("DROP TABLE comment")
    engine.dispose()
    code, out, err = cli("activity", "--config", str(path))
    assert (code, out) == (1, "")
    line = err.strip()
    assert "\n" not in line and "Traceback" not in err
    assert line.startswith(f"error: database {where}: ") and "comment" in line, line


def _database(tmp_path) -> str:
    url = db_url(tmp_path / "reader.db")
    open_database(url).dispose()  # at the head revision, as after first use
    return url


def test_a_readers_answers_are_one_snapshot(tmp_path):
    """A sync committing between two of a report's queries changes neither answer."""
    url = _database(tmp_path)
    engine = open_database(url)
    reader = connect(url)
    assert reader is not None
    try:
        count = "SELECT count(*) FROM sync_state"
        before = reader.scalar(count)
        with session_scope(engine) as session:
            session.add(SyncState(key="meanwhile", value="", updated_at=TIMES[0]))
        assert reader.scalar(count) == before
    finally:
        reader.close()
    again = connect(url)
    assert again is not None
    assert again.scalar("SELECT count(*) FROM sync_state") == before + 1
    again.close()
    engine.dispose()
