"""Row upserts keyed on a primary or unique key, race-safe between workers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from contribbot.store import held

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
    statement = _insert_statement(dialect_of(session), table, tuple(key))
    return session.connection().execute(statement, values).first()


def insert_all(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], key: list[str]
) -> None:
    """INSERT ... ON CONFLICT (key) DO NOTHING for many rows in one statement (executemany):
    a row with its key there already (this worker's or another's) stays as it is."""
    session.flush()  # rows these refer to (foreign keys) go first
    table = model.__table__  # type: ignore[attr-defined]
    statement = _insert_statement(dialect_of(session), table, tuple(key), returning=False)
    session.connection().execute(statement, rows)


def set_all(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    key: list[str],
    changed: list[str],
) -> None:
    """insert_or_set for many rows in one statement (executemany), no key twice among them;
    no copy of them in the session is updated (for rows only Core statements read)."""
    session.flush()  # rows these refer to (foreign keys) go first
    table = model.__table__  # type: ignore[attr-defined]
    dialect = dialect_of(session)
    statement = _upsert_statement(dialect, table, tuple(key), tuple(changed), returning=False)
    session.connection().execute(statement, rows)


def insert_or_set(
    session: Session,
    model: type[SQLModel],
    values: dict[str, Any],
    key: list[str],
    changed: list[str],
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET `changed` to `values`: one statement, no
    read, atomic between workers. A copy of the row in the session gets the new values."""
    session.flush()  # rows this one refers to (foreign keys) go first
    table = model.__table__  # type: ignore[attr-defined]
    statement = _upsert_statement(dialect_of(session), table, tuple(key), tuple(changed))
    found = session.connection().execute(statement, values).one()
    mapper = inspect(model)
    held = session.identity_map.get(mapper.identity_key_from_primary_key(list(found)))
    for name in changed if held is not None else ():
        set_committed_value(held, name, values[name])


def core(session: Session) -> Connection:
    """The session's connection, for a Core statement (no ORM execution around it: half
    the cost of session.execute), once the session's pending changes are flushed, as
    session.execute would flush them."""
    session.flush()
    return session.connection()


def loaded(
    session: Session, model: type[Any], values: dict[str, Any], *, refresh: bool = False
) -> Any:
    """The session's row of `model` holding `values` (every column, as a Core statement
    read them): the one it holds already (as an ORM read would find it; `refresh`: given
    these values, as populate_existing would), else one built as SQLAlchemy builds a row it
    reads and added (no ORM loading)."""
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key(tuple(values[c.key] for c in mapper.primary_key))
    row = session.identity_map.get(key)
    if row is None:
        row = _as_stored(model, values)
        session.add(row)
    elif refresh:
        for name, value in values.items():
            set_committed_value(row, name, value)
    return row


def read_rows(
    session: Session, model: type[Any], statement: Any, params: dict[str, Any], *, refresh: bool
) -> list[Any]:
    """The rows of `model` a Core `statement` (every column of its table) reads, as the
    session's rows (see loaded): what session.scalars would hand back, without ORM loading."""
    result = core(session).execute(statement, params)
    names = list(result.keys())
    return [
        loaded(session, model, dict(zip(names, row, strict=True)), refresh=refresh)
        for row in result
    ]


def dialect_of(session: Session) -> str:
    """ "postgresql" or "sqlite": the engine's dialect, whose INSERT knows ON CONFLICT."""
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


@functools.cache
def _upsert_statement(
    dialect: str,
    table: Table,
    key: tuple[str, ...],
    changed: tuple[str, ...],
    returning: bool = True,
) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in changed}
    )
    return statement.returning(*table.primary_key.columns) if returning else statement


@functools.cache
def _insert_statement(
    dialect: str, table: Table, key: tuple[str, ...], returning: bool = True
) -> Any:
    """One statement object per table and key: its compiled form is cached by SQLAlchemy
    (the values are parameters), where a new statement a row cost a new cache key."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(key))
    return statement.returning(*table.primary_key.columns) if returning else statement


def row_at(
    session: Session,
    model: type[Any],
    ident: Any,
    values: dict[str, Any],
    *,
    newer: Newer | None = None,
    built: bool = True,
) -> tuple[Any, bool]:
    """The row of `model` at primary key `ident` (a dict of its columns) holding `values`, and
    whether it is new. A stored row that `newer` says is newer than `values` is left as it
    is (and read locked: see stored_row). `built`: see upsert."""
    stored = stored_row(session, model, ident, locked=newer is not None)
    return upsert(session, model, ident, values, stored, newer=newer, built=built)


def upsert(
    session: Session,
    model: type[Any],
    ident: Any,
    values: dict[str, Any],
    stored: Any,
    *,
    newer: Newer | None = None,
    built: bool = True,
) -> tuple[Any, bool]:
    """row_at, given the `stored` row read already: inserted if missing (race-safe, see
    insert_new), else updated unless `newer` says the stored row is newer. `built` False: a
    row inserted is not built as the session's row (None is handed back) until a lookup in
    this transaction asks for it (store/held.py)."""
    row = stored
    if row is None:
        inserted = {**ident, **values}
        if insert_new(session, model, inserted, list(ident)) is not None:
            row = _as_stored(model, inserted) if built else held.Later(inserted)  # no SELECT
            if built:
                session.add(row)
            held.note(session, model, ident, row, locked=True)
            return (row if built else None), True
        held.forget(session, model, ident)  # another worker's row: read it
        row = stored_row(session, model, ident, locked=newer is not None)
        assert row is not None
    if newer is None or not newer(row):
        assign(row, values)
        session.add(row)
    return row, False


def assign(row: Any, values: dict[str, Any]) -> None:
    """Set the fields of `row` whose value differs (what sqlmodel_update would set: equal
    values change nothing, and the flush sends only what changed either way)."""
    current = row.__dict__
    for name, value in values.items():
        if name not in current or current[name] != value:
            setattr(row, name, value)


def _as_stored(model: type[Any], values: dict[str, Any]) -> Any:
    """`model(**values)` as just inserted, built as SQLAlchemy builds a row it reads (no
    __init__: no validation, no attribute events; SQLModel's __new__ still runs), the
    model's defaults for the fields `values` leaves out (a required one left out stays
    unloaded, as __init__ leaves it); persistent once added."""
    row = inspect(model).class_manager.new_instance()
    defaults = _fields(model)
    row.__dict__.update({name: make() for name, make in defaults.items() if name not in values})
    row.__dict__.update(values)
    row.__pydantic_fields_set__ = set(values)
    make_transient_to_detached(row)
    return row


_FIELDS: dict[type[Any], dict[str, Callable[[], Any]]] = {}


def _fields(model: type[Any]) -> dict[str, Callable[[], Any]]:
    """Each field of `model` with a default, and how to make it (as __init__ makes it)."""
    if model not in _FIELDS:
        _FIELDS[model] = {
            name: functools.partial(field.get_default, call_default_factory=True)
            for name, field in model.model_fields.items()
            if not field.is_required()
        }
    return _FIELDS[model]


def stored_row(session: Session, model: type[Any], ident: Any, *, locked: bool) -> Any:
    """The stored row at `ident`. `locked`: read afresh and held until commit, so that another
    worker's newer save cannot land between this one's comparison and its update (SELECT ...
    FOR UPDATE on PostgreSQL; workers sharing a SQLite file begin with its write lock). A row
    read so in this transaction already (store/held.py) is not read again."""
    row = held.lookup(session, model, ident, locked=locked)
    if row is not held.MISSING:
        return row
    if not locked:
        row = session.get(model, ident)
    else:
        row = session.get(model, ident, with_for_update=True, populate_existing=True)
    held.note(session, model, ident, row, locked=locked)
    return row
