"""Accounts: one row per GitHub account, found by its id, so a rename keeps its history.

GitHub lets an account change its login, and lets anyone take a login once it is free.
Matched by login alone, a renamed user's history stayed under the old name and whoever
took that name next was counted as them. So a payload's account is looked up by its
database id first; its login is the row's current name (a renamed account's row follows
it), and a row holding that login for another id steps aside under a name that says so.
Payloads without an id (GitHub gives none for a few actor kinds) match by login.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from contribbot.store.models import Account
from contribbot.store.upsert import insert_new

_CACHE = "contribbot.accounts"


def account_id(session: Session, *, login: str, github_id: int | None, kind: str) -> int:
    """The row id of the account `github_id` (else `login`), created on first use; a new
    login for a known id renames its row."""
    cache: dict[tuple[str, int | None], int] = session.info.setdefault(_CACHE, {})
    key = (login, github_id)
    if key not in cache:
        cache[key] = _account_id(session, login, github_id, kind)
    return cache[key]


def _account_id(session: Session, login: str, github_id: int | None, kind: str) -> int:
    by_login = _locked(session, col(Account.login) == login)
    if by_login is not None and by_login.id is not None:
        # this login's row is this account's (older databases may hold a second row of the
        # same id under an earlier login: the current login's row is the one to go on with)
        if github_id is None or by_login.github_id == github_id:
            return by_login.id
    if github_id is None:
        return _insert(session, login, None, kind)
    by_id = _locked(session, col(Account.github_id) == github_id)
    if by_login is not None:
        if by_login.github_id is None and by_id is None:  # first seen without its id
            by_login.github_id = github_id
            session.add(by_login)
            assert by_login.id is not None
            return by_login.id
        _step_aside(session, by_login)  # the login is another account's now
    if by_id is None:
        return _insert(session, login, github_id, kind)
    by_id.login = login  # renamed
    session.add(by_id)
    session.flush()
    assert by_id.id is not None
    return by_id.id


def _locked(session: Session, where: ColumnElement[bool]) -> Account | None:
    """The account matching `where`, read afresh and locked until commit (PostgreSQL)."""
    query = select(Account).where(where).with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def _step_aside(session: Session, row: Account) -> None:
    """Free `row`'s login for the account that holds it on GitHub now; the old row keeps its
    history under a name saying what happened (its next payload, if any, renames it)."""
    row.login = f"{row.login} (renamed, id {row.github_id or row.id})"[:100]
    session.add(row)
    session.flush()
    session.info.get(_CACHE, {}).clear()


def _insert(session: Session, login: str, github_id: int | None, kind: str) -> int:
    values = {"login": login, "github_id": github_id, "kind": kind}
    inserted = insert_new(session, Account, values, ["login"])
    if inserted is not None:
        return int(inserted[0])
    found = session.exec(select(Account.id).where(col(Account.login) == login)).one()
    assert found is not None
    return int(found)
