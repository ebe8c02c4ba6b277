"""Row upserts keyed on a primary or unique key, race-safe between workers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel


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
    session: Session, model: type[Any], ident: Any, values: dict[str, Any]
) -> tuple[Any, bool]:
    """The row of `model` at primary key `ident` (a dict of its columns) holding `values`, and
    whether it is new: inserted if missing (race-safe, see insert_new), else updated."""
    row = session.get(model, ident)
    if row is None:
        if insert_new(session, model, {**ident, **values}, list(ident)) is not None:
            row = model(**ident, **values)
            make_transient_to_detached(row)  # stored as it is: no second SELECT
            session.add(row)
            return row, True
        row = session.get(model, ident)  # another worker inserted it first
        assert row is not None
    row.sqlmodel_update(values)
    session.add(row)
    return row, False
