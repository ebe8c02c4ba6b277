"""Rows read for a whole page at once, kept for the rest of its transaction.

A page saves up to 100 items, and each save compares the payload with the stored row,
read locked (store/upsert.py's stored_row). Read one at a time, that is a statement per
item and table. `read` reads the rows of many keys in one SELECT (... FOR UPDATE on
PostgreSQL, in key order, when `locked`), and remembers for the transaction which keys
it found and which it did not; stored_row then answers from that without a statement.
What was read locked stays locked until commit, as one read at a time would hold it.

A key is forgotten when its row may have changed behind the session's back (an insert
another worker won, a re-keyed issue: see forget).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlmodel import Session

from contribbot.store import upsert  # (which imports this module: attributes read at call time)

_HELD = "contribbot.held"  # session.info: {(model, key): (locked?, the row)}
_ABSENT = "contribbot.absent"  # session.info: {(model, key): locked?}: no such row
MISSING: Any = object()  # lookup: not known here, read it


def _maps(session: Session) -> tuple[dict[Any, tuple[bool, Any]], dict[Any, bool]]:
    return session.info.setdefault(_HELD, {}), session.info.setdefault(_ABSENT, {})


def key_of(ident: Any) -> Any:
    """The one value of a single-column primary key given as {column: value} (or as is)."""
    if isinstance(ident, dict):
        (value,) = ident.values()
        return value
    return ident


def read(session: Session, model: type[Any], keys: Iterable[Any], *, locked: bool) -> None:
    """Read the rows of `model` (a single-column primary key) at `keys` in one statement,
    and remember which exist. Keys known already (locked enough) are not read again."""
    held, absent = _maps(session)
    wanted = sorted(
        {k for k in keys if lookup(session, model, k, locked=locked) is MISSING},
    )
    if not wanted:
        return
    query, params = _read_query(model, locked), {"keys": wanted}
    rows = upsert.read_rows(session, model, query, params, refresh=locked)
    found = {inspect(row).identity[0]: row for row in rows}
    for key in wanted:
        note(session, model, key, found.get(key), locked=locked)


_QUERIES: dict[tuple[Any, bool], Any] = {}


def _read_query(model: type[Any], locked: bool) -> Any:
    """One statement object per model (SQLAlchemy compiles it once): the rows at :keys."""
    if (model, locked) not in _QUERIES:
        (column,) = inspect(model).primary_key  # a Core statement: its rows built by read_rows
        query = select(model.__table__).where(column.in_(bindparam("keys", expanding=True)))
        query = query.order_by(column)
        if locked:
            query = query.with_for_update()  # and the session's copies refreshed
        _QUERIES[(model, locked)] = query
    return _QUERIES[(model, locked)]


def lookup(session: Session, model: type[Any], key: Any, *, locked: bool) -> Any:
    """The row of `model` at `key` as read (None: there is none), or MISSING when it was
    not read in this transaction (or not locked when `locked` is asked for)."""
    held, absent = _maps(session)
    entry = (model, key_of(key))
    if entry in absent:
        return None if absent[entry] or not locked else MISSING
    was_locked, row = held.get(entry, (False, None))
    if row is None or (locked and not was_locked):
        return MISSING  # not read (locked): read it
    if isinstance(row, Later):  # inserted by this transaction, not built until now
        row = upsert.loaded(session, model, row.values)
        held[entry] = (was_locked, row)
    state = inspect(row)
    if state.session is not session or state.deleted or state.was_deleted:
        return MISSING  # expunged or deleted since: read it again
    return row


class Later:
    """A row this transaction inserted, noted by its values: built as the session's row only
    when a lookup asks for it (most are never looked up again)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values


def note(session: Session, model: type[Any], key: Any, row: Any, *, locked: bool) -> None:
    """Remember what a read of the row at `key` found: `row` (or one this transaction
    inserted: `locked`, as its insert holds it), or none (None). Kept here, the row stays
    in the session's identity map (which holds unchanged rows weakly)."""
    held, absent = _maps(session)
    entry = (model, key_of(key))
    if row is None:
        absent[entry] = locked
        held.pop(entry, None)
    else:
        held[entry] = (locked, row)
        absent.pop(entry, None)


def forget(session: Session, model: type[Any] | None = None, key: Any = None) -> None:
    """Forget what was read of one key, of every key of `model` (`key` None), or of every
    key (`model` None too): the next lookup reads the database again."""
    for entries in _maps(session):
        if key is not None:
            entries.pop((model, key_of(key)), None)
            continue
        for entry in [e for e in entries if model is None or e[0] is model]:
            del entries[entry]
