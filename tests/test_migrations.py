"""Migrations on the test engine (SQLite, or PostgreSQL with CONTRIBBOT_TEST_DB): from an empty
database and from every earlier revision, with a row in every table, up to head = the models;
a newer database, or someone else's, is refused untouched.

The revisions are read from migrations/versions, so a new migration is covered when it lands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from engines import db_url
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Text,
    func,
    select,
    text,
)
from sqlmodel import SQLModel

from contribbot.errors import UsageError
from contribbot.store.db import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrations_dir,
    open_database,
)

REVISIONS = [script.revision for script in ScriptDirectory(str(migrations_dir())).walk_revisions()]
EARLIER = REVISIONS[1:]  # walk_revisions goes from head down to the first


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would still write: nothing when the schema equals the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def filler(column: Column[Any]) -> Any:
    """A value any column of this schema accepts (ids are all 1, so foreign keys hold)."""
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 1, 12, 0)
    if isinstance(kind, JSON):
        return []
    if isinstance(kind, String | Text):
        return "x"
    raise AssertionError(f"no filler for {column.table.name}.{column.name}: {kind!r}")


def fill_every_table(engine: Engine) -> dict[str, int]:
    """One row in each table of the database as it is now; returns the row counts."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for table in tables.sorted_tables:
            if table.name != "alembic_version":
                connection.execute(table.insert().values({c.name: filler(c) for c in table.c}))
    return row_counts(engine)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in tables.sorted_tables
        }


def test_revisions_are_found():
    assert len(REVISIONS) >= 4 and REVISIONS[-1] == "0001"


def test_upgrade_from_empty_matches_the_models(tmp_path):
    engine = make_engine(db_url(tmp_path / "m.db", empty=True))
    assert current_revision(engine) is None
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision(engine) == REVISIONS[0]
    assert differences(engine) == []


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_an_earlier_revision_keeps_the_rows(tmp_path, revision):
    engine = make_engine(db_url(tmp_path / "m.db", empty=True))
    command.upgrade(alembic_config(engine), revision)
    assert current_revision(engine) == revision
    before = fill_every_table(engine)
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == REVISIONS[0]
    after = row_counts(engine)
    assert {name: after[name] for name in before} == before  # no row lost on the way
    assert differences(engine) == []


def test_a_database_from_a_newer_contribbot_is_refused_untouched(tmp_path):
    engine = make_engine(db_url(tmp_path / "m.db", empty=True))
    command.upgrade(alembic_config(engine), "head")
    before = fill_every_table(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999_future'"))
    with pytest.raises(UsageError, match="written by a newer contribbot"):
        open_database(engine.url.render_as_string(hide_password=False))
    assert current_revision(engine) == "0999_future" and row_counts(engine) == before


def test_other_tables_are_refused_untouched(tmp_path):
    engine = make_engine(db_url(tmp_path / "m.db", empty=True))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(UsageError, match="holds other tables than contribbot's"):
        open_database(engine.url.render_as_string(hide_password=False))
    assert row_counts(engine) == {"invoices": 0}  # nothing of ours was created
