"""One identity for an issue or PR: its (repo, number). Its row id is REST's issues API id.

GitHub numbers a PR twice, in the issues API (`id` of /issues, /search/issues, the event
feeds' issues) and in the pulls API (`id` of /pulls, GraphQL's PullRequest.fullDatabaseId),
and the two always differ; GraphQL cannot give the issues id. So a PR first seen through
GraphQL is stored under a placeholder (github/parse.py's pull_placeholder: never a REST id)
and the first REST payload of its (repo, number) re-keys the row to REST's id, with every
row that points at it (any foreign key to issue.id, read from the models' metadata).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, bindparam, delete, insert, select, update
from sqlmodel import Session, SQLModel

from contribbot.github.parse import IssueData, is_placeholder, pull_placeholder
from contribbot.store import held, upsert
from contribbot.store.models import Issue

_ISSUE = Issue.__table__  # type: ignore[attr-defined]
_NUMBERS = "contribbot.numbers"  # session.info: {(repo row id, number): row id or None}, read


def stored_id(session: Session, *, repo_id: int, number: int) -> int | None:
    """The row id of the stored issue/PR `number` of repository row `repo_id`, if any."""
    known = known_id(session, repo_id=repo_id, number=number)
    if known is not held.MISSING:
        return known
    query = select(_ISSUE.c.id).where(_ISSUE.c.repo_id == repo_id, _ISSUE.c.number == number)
    found = session.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


_NUMBERS_READ = (  # one Core statement object each (compiled once), its rows built by read_rows
    select(_ISSUE)
    .where(_ISSUE.c.repo_id == bindparam("repo_id"))
    .where(_ISSUE.c.number.in_(bindparam("numbers", expanding=True)))
    .order_by(_ISSUE.c.id)
)
_NUMBERS_LOCKED = _NUMBERS_READ.with_for_update()  # and the session's copies refreshed


def read_numbers(session: Session, *, repo_id: int, numbers: Iterable[int], locked: bool) -> None:
    """Read the issues/PRs `numbers` of repository row `repo_id` in one statement (locked
    or not, as store/held.py reads), for stored_id, find_issue and stored_row to answer
    without a statement each."""
    known: dict[tuple[int, int], int | None] = session.info.setdefault(_NUMBERS, {})
    wanted = sorted({n for n in numbers if (repo_id, n) not in known})
    if not wanted:
        return
    query = _NUMBERS_LOCKED if locked else _NUMBERS_READ
    params = {"repo_id": repo_id, "numbers": wanted}
    found = upsert.read_rows(session, Issue, query, params, refresh=locked)
    rows = {row.number: row for row in found}
    for number in wanted:
        row = rows.get(number)
        known[(repo_id, number)] = None if row is None else row.id
        if row is not None:
            held.note(session, Issue, row.id, row, locked=locked)


def found(session: Session, *, repo_id: int, number: int, row: Issue | None) -> None:
    """The issue/PR `number` of repository row `repo_id` was read (unlocked): `row`, or
    none; stored_id and find_issue answer from it for the rest of the transaction."""
    known: dict[tuple[int, int], int | None] = session.info.setdefault(_NUMBERS, {})
    known[(repo_id, number)] = None if row is None else row.id
    if row is not None:
        held.note(session, Issue, row.id, row, locked=False)


def known_id(session: Session, *, repo_id: int, number: int) -> int | None:
    """stored_id as read by read_numbers in this transaction, or held.MISSING (not read)."""
    known: dict[tuple[int, int], int | None] = session.info.get(_NUMBERS, {})
    return known.get((repo_id, number), held.MISSING)


def saved_as(session: Session, *, repo_id: int, number: int, ident: int) -> None:
    """The issue/PR `number` of repository row `repo_id` is stored under `ident` now."""
    known: dict[tuple[int, int], int | None] = session.info.get(_NUMBERS, {})
    if (repo_id, number) in known:
        known[(repo_id, number)] = ident


def key_for(session: Session, *, repo_id: int, data: IssueData) -> int:
    """The row id issue_key will save `data` under (without re-keying anything)."""
    stored = stored_id(session, repo_id=repo_id, number=data.number)
    return data.id if stored is None or not is_placeholder(data.id) else stored


def issue_key(session: Session, *, repo_id: int, data: IssueData) -> int:
    """The row id to save `data` under. A GraphQL payload (a placeholder id) updates the row
    of its (repo, number) under whatever id it has; a REST payload is saved under its own id,
    the row of its (repo, number) re-keyed to it first when that row is under another."""
    stored = stored_id(session, repo_id=repo_id, number=data.number)
    if is_placeholder(data.id):
        return data.id if stored is None else stored
    if stored != data.id:
        _make_room(session, ident=data.id)
        if stored is not None:
            rekey(session, old=stored, new=data.id)
    return data.id


def _make_room(session: Session, *, ident: int) -> None:
    """Move a PR stored elsewhere under `ident` as a pulls id (databases written before
    placeholders kept GraphQL's id as is) to its placeholder, so REST's issue id `ident` is
    free. An issue there is left to be updated: a transferred issue keeps its id."""
    known = held.lookup(session, Issue, ident, locked=False)
    if known is held.MISSING:
        row = session.execute(select(_ISSUE.c.is_pr).where(_ISSUE.c.id == ident)).first()
        is_pr = row is not None and row.is_pr
    else:
        is_pr = known is not None and known.is_pr
    if is_pr:
        rekey(session, old=ident, new=pull_placeholder(ident))


def referencing_columns() -> list[Column[Any]]:
    """Every column with a foreign key to issue.id, in any table of the models."""
    return [
        fk.parent
        for table in SQLModel.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column is _ISSUE.c.id
    ]


def rekey(session: Session, *, old: int, new: int) -> None:
    """Give the issue row `old` the id `new` (no row may have it), with every row pointing at
    it. Each statement keeps every foreign key and UNIQUE(repo_id, number) true, as PostgreSQL
    checks them at once: the old row steps aside (a negative number), the new row is added,
    the children are pointed at it, the old row goes."""
    session.flush()  # pending changes first: what follows bypasses the session
    # locked (PostgreSQL): another worker's child rows for `old` wait, then fail and retry
    locked = select(_ISSUE).where(_ISSUE.c.id == old).with_for_update()
    row = dict(session.execute(locked).mappings().one())
    session.execute(update(_ISSUE).where(_ISSUE.c.id == old).values(number=-row["number"]))
    session.execute(insert(_ISSUE).values({**row, "id": new}))
    columns = referencing_columns()
    for column in columns:
        session.execute(update(column.table).where(column == old).values({column.name: new}))
    session.execute(delete(_ISSUE).where(_ISSUE.c.id == old))
    _forget(session, old, columns)
    held.forget(session)  # what was read for the page: rows moved, a new id taken
    session.info.pop(_NUMBERS, None)


def _forget(session: Session, old: int, columns: list[Column[Any]]) -> None:
    """Drop the session's copies of the rows just moved (they would be read back stale)."""
    moved = {(_ISSUE, "id")} | {(c.table, c.name) for c in columns}
    for obj in list(session.identity_map.values()):
        table = getattr(type(obj), "__table__", None)
        if any(t is table and obj.__dict__.get(name) == old for t, name in moved):
            session.expunge(obj)
