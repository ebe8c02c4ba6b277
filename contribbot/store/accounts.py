"""Accounts: one row per GitHub account, found by its id, so a rename keeps its history.

GitHub lets an account change its login, and lets anyone take a login once it is free.
Matched by login alone, a renamed user's history stayed under the old name and whoever
took that name next was counted as them. So a payload's account is looked up by its
database id first; its login is the row's current name (a renamed account's row follows
it), and a row holding that login for another id steps aside under a name that says so.
Payloads without an id (GitHub gives none for a few actor kinds) match by login.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, inspect, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from contribbot.store.models import Account
from contribbot.store.upsert import core, insert_new

_CACHE = "contribbot.accounts"
_READ = "contribbot.account_rows"  # session.info: see _read


def account_id(session: Session, *, login: str, github_id: int | None, kind: str) -> int:
    """The row id of the account `github_id` (else `login`), created on first use; a new
    login for a known id renames its row."""
    cache: dict[tuple[str, int | None], int] = session.info.setdefault(_CACHE, {})
    key = (login, github_id)
    if key not in cache:
        cache[key] = _account_id(session, login, github_id, kind)
    return cache[key]


_ACCOUNT = Account.__table__  # type: ignore[attr-defined]
_COLUMNS = (_ACCOUNT.c.id, _ACCOUNT.c.login, _ACCOUNT.c.github_id)
_READ_ACCOUNTS = (  # one Core statement object (compiled once): plain rows, no ORM loading
    select(*_COLUMNS)
    .where(
        or_(
            _ACCOUNT.c.login.in_(bindparam("logins", expanding=True)),
            _ACCOUNT.c.github_id.in_(bindparam("ids", expanding=True)),
        )
    )
    .order_by(_ACCOUNT.c.id)
    .with_for_update()
)
_BY_LOGIN = select(*_COLUMNS).where(_ACCOUNT.c.login == bindparam("login")).with_for_update()
_BY_ID = select(*_COLUMNS).where(_ACCOUNT.c.github_id == bindparam("id")).with_for_update()


class Stored(NamedTuple):
    """An account row as read (locked): what account_id decides on."""

    id: int
    login: str
    github_id: int | None


def read_accounts(session: Session, *, accounts: Iterable[tuple[str, int | None]]) -> None:
    """Read a page's accounts, (login, GitHub id) pairs, in one statement (locked, as
    account_id reads them): account_id then finds them without a statement each."""
    cache: dict[tuple[str, int | None], int] = session.info.setdefault(_CACHE, {})
    wanted = {pair for pair in accounts if pair not in cache}
    by_login, by_id = _read(session)
    logins = {login for login, _ in wanted} - by_login.keys()
    ids = {github_id for _, github_id in wanted if github_id is not None} - by_id.keys()
    if logins or ids:
        params = {"logins": sorted(logins), "ids": sorted(ids)}
        rows = [Stored(*row) for row in core(session).execute(_READ_ACCOUNTS, params)]
        by_login.update(dict.fromkeys(logins))
        by_id.update(dict.fromkeys(ids))
        for row in rows:
            if row.login in logins:
                by_login[row.login] = row
            if row.github_id in ids and by_id[row.github_id] is None:
                by_id[row.github_id] = row  # the oldest row, should two have this id
    for login, github_id in wanted:
        mine = by_login.get(login)
        # the first case of _account_id: this login's row is this account's
        if mine is not None and github_id in (None, mine.github_id):
            cache[(login, github_id)] = mine.id


def github_id_of(session: Session, *, login: str) -> int | None:
    """The GitHub id of the account stored under `login` (any case), None if unknown."""
    query = select(col(Account.github_id)).where(func.lower(Account.login) == login.lower())
    return session.scalars(query.order_by(col(Account.id))).first()


def _read(session: Session) -> tuple[dict[str, Stored | None], dict[int, Stored | None]]:
    """The accounts read_accounts read (locked), by login and by GitHub id: None, none."""
    read: tuple[dict[str, Stored | None], dict[int, Stored | None]]
    read = session.info.setdefault(_READ, ({}, {}))
    return read


def _account_id(session: Session, login: str, github_id: int | None, kind: str) -> int:
    by_login = _locked(session, login=login)
    if by_login is not None:
        # this login's row is this account's (older databases may hold a second row of the
        # same id under an earlier login: the current login's row is the one to go on with)
        if github_id is None or by_login.github_id == github_id:
            return by_login.id
    if github_id is None:
        return _insert(session, login, None, kind)
    by_id = _locked(session, github_id=github_id)
    if by_login is not None or by_id is not None:
        # a row changes below: what was read is read again, and what was found by login
        # (a login renamed away, or taken by another id, is not the same account any more)
        session.info.pop(_READ, None)
        session.info.pop(_CACHE, None)
    if by_login is not None:
        if by_login.github_id is None and by_id is None:  # first seen without its id
            _update(session, by_login.id, github_id=github_id)
            return by_login.id
        _step_aside(session, by_login)  # the login is another account's now
    if by_id is None:
        return _insert(session, login, github_id, kind)
    _update(session, by_id.id, login=login)  # renamed
    return by_id.id


def _locked(
    session: Session, *, login: str | None = None, github_id: int | None = None
) -> Stored | None:
    """The account of `login` (else of `github_id`), as read_accounts read it, else read
    afresh and locked until commit (PostgreSQL)."""
    by_login, by_id = _read(session)
    if login is not None and login in by_login:
        return by_login[login]
    if login is None and github_id in by_id:
        return by_id[github_id]
    if login is not None:
        found = core(session).execute(_BY_LOGIN, {"login": login}).first()
    else:
        found = core(session).execute(_BY_ID, {"id": github_id}).first()
    return None if found is None else Stored(*found)


def _update(session: Session, row_id: int, **values: Any) -> None:
    """Change an account row (read locked) at once, and the session's copy of it, if any."""
    core(session).execute(update(_ACCOUNT).where(_ACCOUNT.c.id == row_id).values(values))
    key = inspect(Account).identity_key_from_primary_key((row_id,))
    held = session.identity_map.get(key)
    for name, value in values.items() if held is not None else ():
        set_committed_value(held, name, value)


def _step_aside(session: Session, row: Stored) -> None:
    """Free `row`'s login for the account that holds it on GitHub now; the old row keeps its
    history under a name saying what happened (its next payload, if any, renames it)."""
    _update(session, row.id, login=f"{row.login} (renamed, id {row.github_id or row.id})"[:100])
    session.info.get(_CACHE, {}).clear()


def _insert(session: Session, login: str, github_id: int | None, kind: str) -> int:
    by_login, by_id = _read(session)  # a row of this login and id is there now
    by_login.pop(login, None)
    by_id.pop(github_id, None)  # type: ignore[arg-type]
    values = {"login": login, "github_id": github_id, "kind": kind}
    inserted = insert_new(session, Account, values, ["login"])
    if inserted is not None:
        return int(inserted[0])
    query = select(_ACCOUNT.c.id).where(_ACCOUNT.c.login == login)
    return int(session.execute(query).scalar_one())  # another worker's, committed meanwhile
