"""Row upserts keyed on a primary or unique key, race-safe between workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

# whether a stored row is newer than the payload at hand (which then changes none of it)
Newer = Callable[[Any], bool]


def insert_new(
    session: Session, model: type[SQLModel], values: dict[str, Any], key: list[str]
) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING the row's primary key, or None when a
    row with that key is there already (another worker's, committed while this one waited):
    two workers saving the same new row both succeed, where select-then-insert let one fail."""
    session.flush()  # rows this one refers to (foreign keys) go first
    table = model.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=key)
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first()


def row_at(
    session: Session,
    model: type[Any],
    ident: Any,
    values: dict[str, Any],
    *,
    newer: Newer | None = None,
) -> tuple[Any, bool]:
    """The row of `model` at primary key `ident` (a dict of its columns) holding `values`, and
    whether it is new. A stored row that `newer` says is newer than `values` is left as it
    is (and read locked: see stored_row)."""
    stored = stored_row(session, model, ident, locked=newer is not None)
    return upsert(session, model, ident, values, stored, newer=newer)


def upsert(
    session: Session,
    model: type[Any],
    ident: Any,
    values: dict[str, Any],
    stored: Any,
    *,
    newer: Newer | None = None,
) -> tuple[Any, bool]:
    """row_at, given the `stored` row read already: inserted if missing (race-safe, see
    insert_new), else updated unless `newer` says the stored row is newer."""
    row = stored
    if row is None:
        if insert_new(session, model, {**ident, **values}, list(ident)) is not None:
            row = model(**ident, **values)
            make_transient_to_detached(row)  # stored as it is: no second SELECT
            session.add(row)
            return row, True
        row = stored_row(session, model, ident, locked=newer is not None)  # another worker's
        assert row is not None
    if newer is None or not newer(row):
        row.sqlmodel_update(values)
        session.add(row)
    return row, False


def stored_row(session: Session, model: type[Any], ident: Any, *, locked: bool) -> Any:
    """The stored row at `ident`. `locked`: read afresh and held until commit, so that another
    worker's newer save cannot land between this one's comparison and its update (SELECT ...
    FOR UPDATE on PostgreSQL; workers sharing a SQLite file begin with its write lock)."""
    if not locked:
        return session.get(model, ident)
    return session.get(model, ident, with_for_update=True, populate_existing=True)
