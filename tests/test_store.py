"""The database: migrations agree with the models; SQLite runs with WAL and foreign keys."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from contribbot.store.db import current_revision, head_revision, make_engine, open_database


def test_migrations_match_the_models(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path}/m.db")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_first_use_creates_and_second_is_a_no_op(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    engine = open_database(url)
    assert current_revision(engine) == head_revision(engine) is not None
    open_database(url)
    assert current_revision(engine) == head_revision(engine)


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
