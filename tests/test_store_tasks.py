"""Follow-ups owed in a transaction are sent together (store/tasks.py): as if sent one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engines import db_url
from sqlalchemy import Engine
from sqlmodel import Session, select

from contribbot.store import save, tasks
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import SyncTask

T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=5)


def _engine(tmp_path: Path) -> Engine:
    return open_database(db_url(tmp_path / "tasks.db"))


def _owed(engine: Engine) -> list[tuple[str, int, datetime]]:
    with session_scope(engine) as session:
        rows = session.exec(select(SyncTask).order_by(SyncTask.id)).all()  # type: ignore[arg-type]
        return [(row.kind, row.number, row.created_at) for row in rows]


def test_tasks_owed_together_are_stored_in_the_order_owed_the_last_time_winning(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    with session_scope(engine) as session:
        save.enqueue(session, kind="reviews", repo="o/r", number=2, now=T1)
        save.enqueue(session, kind="comments", repo="o/r", number=1, now=T1)
        save.enqueue(session, kind="reviews", repo="o/r", number=2, now=T2)  # owed again
    assert _owed(engine) == [("reviews", 2, T2), ("comments", 1, T1)]
    with session_scope(engine) as session:  # owed again in a later transaction
        save.enqueue(session, kind="comments", repo="o/r", number=1, now=T2)
    assert _owed(engine) == [("reviews", 2, T2), ("comments", 1, T2)]


def test_the_transaction_sees_what_it_owes_and_a_rollback_drops_it(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with session_scope(engine) as session:
        save.enqueue(session, kind="reviews", repo="o/r", number=2, now=T1)
        assert len(session.exec(select(SyncTask)).all()) == 1  # an ORM read: sent first
        save.enqueue(session, kind="comments", repo="o/r", number=3, now=T1)
        picked = save.next_task(session, repo="o/r")  # a pick: sent first
        assert picked is not None and (picked.kind, picked.number) == ("reviews", 2)
        save.enqueue(session, kind="timeline", repo="o/r", number=4, now=T1)
        tasks.delete_task(session, task_id=picked.id)  # a delete: sent first
        assert save.pending_tasks(session, repo="o/r") == 2
    assert [(kind, number) for kind, number, _ in _owed(engine)] == [
        ("comments", 3),
        ("timeline", 4),
    ]
    with Session(engine) as session:  # one session, a transaction rolled back, then another
        save.enqueue(session, kind="reviews", repo="o/r", number=9, now=T2)
        session.rollback()
        save.enqueue(session, kind="reviews", repo="o/r", number=8, now=T2)
        session.commit()
    assert [number for _, number, _ in _owed(engine)] == [3, 4, 8]  # 9 went with its rollback


def test_a_change_made_between_two_tasks_owed_goes_between_them(tmp_path: Path) -> None:
    """As if each task owed were sent at once: owe one, delete a task row with the ORM, owe
    that task again: the delete goes first, so the task is owed (not deleted after)."""
    engine = _engine(tmp_path)
    with session_scope(engine) as session:
        save.enqueue(session, kind="timeline", repo="o/r", number=7, now=T1)
    with session_scope(engine) as session:
        (row,) = session.exec(select(SyncTask).where(SyncTask.number == 7)).all()
        save.enqueue(session, kind="reviews", repo="o/r", number=1, now=T2)
        session.delete(row)  # pending until the next flush
        save.enqueue(session, kind="timeline", repo="o/r", number=7, now=T2)
    assert [(kind, number) for kind, number, _ in _owed(engine)] == [
        ("reviews", 1),
        ("timeline", 7),
    ]
