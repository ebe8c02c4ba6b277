"""Two workers saving the same new rows at once: both succeed, each row is stored once.

Session A inserts and holds its transaction open; session B (another thread, as another
worker would) saves the same rows and, on PostgreSQL, waits on A's uncommitted insert (the
test waits until the server shows B blocked on a lock). A commits; B must then find A's rows
and update them. The old select-then-insert made B fail with a unique violation here.
On SQLite the database lock serialises the two writers, so the test checks the same outcome.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from engines import ON_POSTGRES, db_url
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import (
    Account,
    Comment,
    Issue,
    PullRequest,
    Repository,
    Review,
    SeenEvent,
    SyncState,
    SyncTask,
)

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PR = IssueData(
    id=2**40 + 1, repo="o/r", number=5, is_pr=True, title="t", body="", state="open",
    state_reason=None, author="alice", author_id=11, author_kind="User",
    author_association="NONE", created_at=AT, updated_at=AT, closed_at=None,
    labels=("merged",), assignees=(), comments=1, html_url="https://x/o/r/pull/5", draft=False,
    merged_at=None,
)  # fmt: skip


def _save_all(session: Session, title: str) -> None:
    """What a streams unit and an events unit both save for one new PR."""
    pr = save.save_issue(
        session, data=dataclasses.replace(PR, title=title), merged_labels=["merged"]
    )
    save.save_comment(
        session,
        data=CommentData(
            id=2**40 + 2, kind="issue", repo="o/r", number=5, author="bob", author_id=12,
            author_kind="User", created_at=AT, updated_at=AT, author_association="NONE", body=title,
            html_url="https://x/c", review_id=None,
        ),
        issue_id=pr.id,
    )  # fmt: skip
    save.save_review(
        session,
        data=ReviewData(
            id=2**40 + 3, reviewer="carol", reviewer_id=13, reviewer_kind="User",
            state="APPROVED", submitted_at=AT, author_association="MEMBER",
        ),
        pr_id=pr.id,
    )  # fmt: skip
    save.set_state(session, key="poll:o/r", value=title, now=AT)
    save.set_etag(session, key="k" * 64, url="https://x/e", etag=f'"{title}"', now=AT)
    save.enqueue(session, kind="timeline", repo="o/r", number=7, now=AT)
    save.mark_event_seen(session, login="alice", event_id=99, created_at=AT)


def _wait_until_blocked(engine: Engine, done: threading.Event) -> None:
    """Until another session of this database waits on a lock (PostgreSQL), or B has finished."""
    deadline = time.monotonic() + 60
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    while not done.is_set() and time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("B never waited on A's insert: the race was not exercised")


def test_two_sessions_save_the_same_new_rows(tmp_path: Path) -> None:
    engine = open_database(db_url(tmp_path / "race.db"))
    failures: list[BaseException] = []
    finished = threading.Event()

    def other_worker() -> None:
        try:
            with session_scope(engine) as session:
                _save_all(session, "from B")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            finished.set()

    with session_scope(engine) as first:
        _save_all(first, "from A")
        first.flush()
        other = threading.Thread(target=other_worker)
        other.start()
        if ON_POSTGRES:
            _wait_until_blocked(engine, finished)
        else:
            time.sleep(0.3)  # B reaches SQLite's write lock (or not: same outcome either way)
    other.join(timeout=120)
    assert not other.is_alive()
    assert failures == []
    with Session(engine) as session:
        for model in (Repository, Account, Issue, PullRequest, Comment, Review):
            assert session.exec(select(func.count()).select_from(model)).one() >= 1
        assert session.exec(select(func.count()).select_from(Account)).one() == 3
        assert session.exec(select(func.count()).select_from(Repository)).one() == 1
        # the merged-labelled PR owes its timeline (#5), and #7 was enqueued by both
        assert session.exec(select(func.count()).select_from(SyncTask)).one() == 2
        assert session.exec(select(func.count()).select_from(SeenEvent)).one() == 1
        # B committed last: its values are the stored ones (updated, not lost)
        assert session.exec(select(Issue.title)).one() == "from B"
        assert session.exec(select(Comment.body)).one() == "from B"
        assert session.get(SyncState, "poll:o/r").value == "from B"  # type: ignore[union-attr]
    engine.dispose()
