"""Follow-up fetches owed (sync_task rows): the next one to walk, and done with one.

A pick reads the task with its issue/PR, that issue's author's login and its repository's
name in one Core statement (no ORM loading: the issue's row is built from the plain
values, as store/upsert.py builds a row it just inserted).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from contribbot.store import identity
from contribbot.store.models import Account, Issue, Repository, SyncTask
from contribbot.store.upsert import core, loaded

LOGINS = "contribbot.logins"  # session.info: {account row id: login}, read along the way
_OWED = "contribbot.owed"  # session.info: {(kind, repo row id, number): owed at}, not sent

_TASKS = SyncTask.__table__  # type: ignore[attr-defined]
_ISSUES = Issue.__table__  # type: ignore[attr-defined]
_ACCOUNTS = Account.__table__  # type: ignore[attr-defined]
_REPOS = Repository.__table__  # type: ignore[attr-defined]
_DELETE = delete(_TASKS).where(_TASKS.c.id == bindparam("id"))  # Core: no session sync
_DELETE_OWED = _DELETE.where(_TASKS.c.created_at == bindparam("owed_at"))


def owe(session: Session, *, kind: str, repo_id: int, number: int, now: datetime) -> None:
    """Owe a follow-up fetch (idempotent: one owed already is owed again, at `now`). Sent
    with the others this transaction owes in one statement, in the order they were owed,
    before anything the session sends after them: its next ORM statement or flush, a
    task's pick or delete, its commit (a rollback drops them)."""
    session.flush()  # what is pending goes first, as it would have (after what was owed
    # before it: the flush sends that first, see _LISTENERS); a clean session sends nothing
    owed: dict[tuple[str, int, int], datetime] | None = session.info.get(_OWED)
    if owed is None:
        owed = session.info[_OWED] = {}
        if not session.info.get(_WATCHED):
            session.info[_WATCHED] = True
            for name, listener in _LISTENERS.items():
                event.listen(session, name, listener)
    owed[(kind, repo_id, number)] = now


_WATCHED = "contribbot.owed_watched"  # session.info: its listeners are in place


def send_owed(session: OrmSession) -> None:
    """Send what this transaction owes (see owe): INSERT ... ON CONFLICT DO UPDATE of their
    `created_at`, one statement (executemany). Nothing pending in the session is flushed
    first: it was made after them."""
    owed = session.info.pop(_OWED, None)
    if not owed:
        return
    rows = [
        {"kind": kind, "repo_id": rid, "number": number, "created_at": at}
        for (kind, rid, number), at in owed.items()
    ]
    statement = _owe_statement(session.get_bind().dialect.name)
    session.connection().execute(statement, rows)


@functools.cache
def _owe_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert  # ON CONFLICT
    statement = insert(_TASKS)
    return statement.on_conflict_do_update(
        index_elements=["kind", "repo_id", "number"],
        set_={"created_at": statement.excluded.created_at},
    )


def _send_first(session: OrmSession, *_args: Any) -> None:
    send_owed(session)


def _send_before_orm(state: ORMExecuteState) -> None:
    send_owed(state.session)


def _drop(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_OWED, None)


_LISTENERS: dict[str, Any] = {
    "before_flush": _send_first,
    "do_orm_execute": _send_before_orm,
    "before_commit": _send_first,
    "after_soft_rollback": _drop,
}


@dataclass(frozen=True)
class OwedTask:
    """A follow-up fetch owed (a sync_task row, as read): done with delete_task."""

    id: int
    kind: str
    number: int
    created_at: datetime
    repo: str  # its repository's name as stored (GitHub's spelling)


def pick(
    session: Session, *, repo_id: int, skip: Iterable[str] = (), later: Iterable[str] = ()
) -> OwedTask | None:
    """The oldest follow-up fetch owed in repository row `repo_id` of a kind not in `skip`;
    one of a kind in `later` only when no other kind is owed. Its issue/PR and its author's
    login come in the same statement, for find_issue and account_login to answer without
    one (the issue as the session's row, the rest as plain values)."""
    send_owed(session)
    query = _pick_query(tuple(skip), tuple(later))
    found = core(session).execute(query, {"repo_id": repo_id}).first()
    if found is None:
        return None
    task_id, kind, number, owed_at, repo, login, *columns = found
    issue = None
    if columns[0] is not None:  # the issue's id: it is stored
        issue = loaded(session, Issue, dict(zip(_ISSUES.c.keys(), columns, strict=True)))
    identity.found(session, repo_id=repo_id, number=number, row=issue)
    if issue is not None and issue.author_id is not None and login is not None:
        session.info.setdefault(LOGINS, {})[issue.author_id] = login
    return OwedTask(task_id, kind, number, owed_at, repo)


@functools.cache
def _pick_query(skip: tuple[str, ...], later: tuple[str, ...]) -> Any:
    """One statement object per (skip, later): SQLAlchemy caches its compiled form. The task
    is picked first (a subquery over the repo's tasks alone), then joined with its issue and
    author: joined first, every owed task was looked up in issue and account to keep one."""
    tasks, issues = _TASKS.c, _ISSUES.c
    first = select(tasks.id).where(tasks.repo_id == bindparam("repo_id"))
    if skip:
        first = first.where(tasks.kind.not_in(skip))
    if later:
        first = first.order_by(case((tasks.kind.in_(later), 1), else_=0))
    first = first.order_by(tasks.id).limit(1)
    parent = (issues.repo_id == tasks.repo_id) & (issues.number == tasks.number)
    return (
        select(tasks.id, tasks.kind, tasks.number, tasks.created_at, _REPOS.c.full_name)
        .add_columns(_ACCOUNTS.c.login, *_ISSUES.c)
        .select_from(_TASKS)
        .join(_REPOS, _REPOS.c.id == tasks.repo_id)
        .outerjoin(_ISSUES, parent)
        .outerjoin(_ACCOUNTS, _ACCOUNTS.c.id == issues.author_id)
        .where(tasks.id == first.scalar_subquery())
    )


_OWED_IDS = select(_TASKS.c.id).where(
    _TASKS.c.kind == bindparam("kind"),
    _TASKS.c.repo_id == bindparam("repo_id"),
    _TASKS.c.number == bindparam("number"),
)


def owed_ids(session: Session, *, kind: str, repo_id: int, number: int) -> list[int]:
    """The ids of the `kind` fetches owed for issue `number` of repository row `repo_id`
    (what this transaction owes included)."""
    send_owed(session)
    params = {"kind": kind, "repo_id": repo_id, "number": number}
    return list(core(session).execute(_OWED_IDS, params).scalars())


def delete_task(session: Session, *, task_id: int, owed_at: datetime | None = None) -> None:
    """A follow-up fetch is done: the one owed at `owed_at` (when the walk began), if given;
    owed again since (another worker's enqueue), it stays for another walk."""
    send_owed(session)
    if owed_at is None:
        core(session).execute(_DELETE, {"id": task_id})
    else:
        core(session).execute(_DELETE_OWED, {"id": task_id, "owed_at": owed_at})
