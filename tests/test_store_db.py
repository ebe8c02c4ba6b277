"""The database: first use migrates, then is a no-op; SQLite runs with WAL and foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from engines import ON_POSTGRES, db_url
from sqlalchemy import text

from contribbot.errors import ContribError, UsageError
from contribbot.github.parse import IssueData
from contribbot.store.db import current_revision, head_revision, make_engine, open_database
from contribbot.store.save import owes_timeline


def test_first_use_creates_and_second_is_a_no_op(tmp_path):
    url = db_url(tmp_path / "m.db", empty=True)
    engine = open_database(url)
    assert current_revision(engine) == head_revision(engine) is not None
    open_database(url)
    assert current_revision(engine) == head_revision(engine)


def test_sqlite_pragmas(tmp_path):  # SQLite's own settings: a SQLite file on either test engine
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_plain_postgresql_urls_use_psycopg_3(tmp_path):
    url = db_url(tmp_path / "m.db") if ON_POSTGRES else "postgresql://u@127.0.0.1:9/db"
    engine = make_engine(url.replace("postgresql+psycopg://", "postgresql://"))
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    if ON_POSTGRES:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1


def test_an_unreachable_server_is_one_clear_line():
    with pytest.raises(ContribError) as caught:
        open_database("postgresql://nobody@127.0.0.1:9/nothing")  # nothing listens on port 9
    message = str(caught.value)
    where = "database postgresql+psycopg://nobody@127.0.0.1:9/nothing"  # named, no password
    assert message.startswith(f"{where}: cannot open or upgrade: ") and "\n" not in message


def test_a_missing_driver_says_which_extra_brings_it():
    with pytest.raises(UsageError) as caught:
        make_engine("postgresql+pg8000://u@127.0.0.1:9/db")  # a driver contribbot does not ship
    assert "the driver for postgresql+pg8000 is missing" in str(caught.value)
    assert "pip install 'contribbot[postgres]'" in str(caught.value)


def _pr_data(state: str, labels: tuple[str, ...], merged: bool = False) -> IssueData:
    at = datetime(2026, 11, 4, 12, tzinfo=UTC)
    return IssueData(
        id=1,
        repo="pytorch/pytorch",
        number=7,
        is_pr=True,
        title="t",
        body="",
        state=state,
        state_reason=None,
        author="alice",
        author_id=1,
        author_kind="User",
        author_association=None,
        created_at=at,
        updated_at=at,
        closed_at=at if state == "closed" else None,
        labels=labels,
        assignees=(),
        comments=0,
        html_url="https://github.com/pytorch/pytorch/pull/7",
        draft=False,
        merged_at=at if merged else None,
    )


def test_which_saved_prs_owe_a_timeline():
    merged = ["Merged"]
    assert owes_timeline(None, _pr_data("closed", ("merged",)), merged, seen=False)
    assert owes_timeline(None, _pr_data("open", ("Merged", "Reverted")), merged, seen=False)
    assert not owes_timeline(None, _pr_data("closed", ()), merged, seen=False)  # closed unmerged
    assert not owes_timeline(None, _pr_data("closed", (), merged=True), merged, seen=False)
    unchanged = ("closed", ["Merged"])
    assert not owes_timeline(unchanged, _pr_data("closed", ("Merged",)), merged, seen=True)
    reopened = _pr_data("open", ("Merged", "Reverted"))
    assert owes_timeline(unchanged, reopened, merged, seen=True)  # a revert
    assert owes_timeline(("open", []), _pr_data("closed", (), merged=True), merged, seen=True)
