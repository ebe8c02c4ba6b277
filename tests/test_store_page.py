"""A page's rows read up front (store/page.py, store/held.py), on the test engine: the saves
that follow decide exactly as without it (the newest updated_at wins, a dismissal stays, a
GraphQL placeholder is re-keyed by REST's id) and read nothing more, item by item."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from engines import ON_POSTGRES, db_url
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import held
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account, Comment, Issue, PullRequest, Review, SeenEvent
from contribbot.store.page import read_page
from contribbot.store.save import (
    find_issue,
    mark_events_seen,
    save_comment,
    save_issue,
    save_review,
    seen_events,
)

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)
BIG = 2**40  # GitHub's ids are past 32 bits


def issue(number: int, *, updated: datetime = AT, ident: int | None = None, **changes: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "id": BIG + number if ident is None else ident,
        "repo": "o/r",
        "number": number,
        "is_pr": number % 2 == 0,
        "title": f"t{number}",
        "body": "",
        "state": "open",
        "state_reason": None,
        "author": f"user{number % 3}",
        "author_id": 100 + number % 3,
        "author_kind": "User",
        "author_association": "NONE",
        "created_at": AT,
        "updated_at": updated,
        "closed_at": None,
        "labels": (),
        "assignees": (),
        "comments": 0,
        "html_url": f"https://github.com/o/r/issues/{number}",
        "draft": False,
        "merged_at": None,
    }
    return IssueData(**{**fields, **changes})  # type: ignore[arg-type]


def comment(ident: int, *, updated: datetime = AT, body: str = "hi") -> CommentData:
    return CommentData(
        BIG + 1000 + ident, "issue", "o/r", 2, f"user{ident % 3}", 100 + ident % 3, "User",
        "NONE", AT, updated, body, "u", None,
    )  # fmt: skip


def review(ident: int, state: str) -> ReviewData:
    return ReviewData(BIG + 2000 + ident, "user1", 101, "User", state, AT, "MEMBER")


@contextmanager
def selects(engine: Engine) -> Iterator[list[str]]:
    """The SELECT statements the engine runs meanwhile."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_of_new_existing_and_stale_rows_saves_as_item_by_item_without_a_select_each(
    tmp_path: Path,
) -> None:
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:  # what is stored before the page
        save_issue(session, data=issue(1, updated=LATER), merged_labels=[])  # newer than the page
        pr = save_issue(session, data=issue(2), merged_labels=[])  # older than the page
        save_comment(session, data=comment(1, updated=LATER, body="kept"), issue_id=pr.id)
        save_comment(session, data=comment(2, body="old"), issue_id=pr.id)
        save_review(session, data=review(1, "DISMISSED"), pr_id=pr.id)
    issues = [issue(1, title="stale"), issue(2, updated=LATER, title="newer"), issue(3), issue(4)]
    comments = [comment(1, body="stale"), comment(2, updated=LATER, body="new"), comment(3)]
    reviews = [review(1, "APPROVED"), review(2, "COMMENTED")]
    with session_scope(engine) as session, selects(engine) as seen:
        read_page(session, issues=issues, comments=comments, reviews=reviews)
        reads = len(seen)
        saved = {data.number: save_issue(session, data=data, merged_labels=[]) for data in issues}
        for data in comments:
            save_comment(session, data=data, issue_id=saved[2].id)
        for data in reviews:
            save_review(session, data=data, pr_id=saved[2].id)
        assert find_issue(session, repo="o/r", number=3) is saved[3]
    # one statement a table: the repository's id, accounts, issues by number, new ids, PRs,
    # comments, reviews
    assert reads == 7, seen
    assert [" ".join(s.split())[-80:] for s in seen[reads:]] == []  # the saves read nothing more
    with Session(engine) as session:
        titles = dict(session.exec(select(Issue.number, Issue.title)).all())  # type: ignore[call-overload]
        assert titles == {1: "t1", 2: "newer", 3: "t3", 4: "t4"}  # the newest updated_at won
        bodies = {c.id - BIG - 1000: c.body for c in session.exec(select(Comment))}
        assert bodies == {1: "kept", 2: "new", 3: "hi"}
        states = {r.id - BIG - 2000: r.state for r in session.exec(select(Review))}
        assert states == {1: "DISMISSED", 2: "COMMENTED"}  # a dismissal stays
        assert sorted(session.exec(select(PullRequest.issue_id)).all()) == [BIG + 2, BIG + 4]
        assert session.exec(select(func.count()).select_from(Account)).one() == 3
    engine.dispose()


def test_a_page_that_rekeys_a_graphql_pr_reads_its_rows_again(tmp_path: Path) -> None:
    engine = open_database(db_url(tmp_path / "t.db"))
    placeholder = issue(2, ident=-(BIG + 99))  # a PR first seen through GraphQL
    with session_scope(engine) as session:
        save_issue(session, data=placeholder, merged_labels=[])
        save_comment(session, data=comment(1), issue_id=placeholder.id)
    rest = issue(2, updated=LATER, title="from REST")
    with session_scope(engine) as session:
        read_page(session, issues=[rest], comments=[comment(1, updated=LATER, body="moved")])
        row = save_issue(session, data=rest, merged_labels=[])  # re-keys the row to REST's id
        assert row.id == rest.id
        assert held.lookup(session, Issue, placeholder.id, locked=True) is held.MISSING
        assert find_issue(session, repo="o/r", number=2) is not None
        save_comment(session, data=comment(1, updated=LATER, body="moved"), issue_id=row.id)
    with Session(engine) as session:
        assert session.exec(select(Issue.id, Issue.title)).all() == [(rest.id, "from REST")]
        assert session.exec(select(Comment.issue_id, Comment.body)).all() == [(rest.id, "moved")]
    engine.dispose()


def test_a_row_read_unlocked_is_read_again_when_a_save_needs_it_locked(tmp_path: Path) -> None:
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:
        save_issue(session, data=issue(1), merged_labels=[])
    with session_scope(engine) as session, selects(engine) as seen:
        held.read(session, Issue, [BIG + 1, BIG + 5], locked=False)
        assert held.lookup(session, Issue, BIG + 1, locked=False).number == 1
        assert held.lookup(session, Issue, BIG + 5, locked=False) is None
        assert held.lookup(session, Issue, BIG + 1, locked=True) is held.MISSING
        held.read(session, Issue, [BIG + 1], locked=True)
        assert len(seen) == 2  # the locked read was a second statement
        assert held.lookup(session, Issue, BIG + 1, locked=True).number == 1
        held.forget(session, Issue, BIG + 1)
        assert held.lookup(session, Issue, BIG + 1, locked=False) is held.MISSING
    engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="a second writer mid-transaction: PostgreSQL")
def test_a_row_another_worker_inserted_after_the_page_was_read_is_updated(tmp_path: Path) -> None:
    engine = open_database(db_url(tmp_path / "t.db"))
    _save(engine, issue(1))  # the repository's row exists: the other worker never waits on us
    theirs, ours = issue(3, title="theirs"), issue(3, updated=LATER, title="ours")
    with session_scope(engine) as session:
        read_page(session, issues=[ours])  # not there yet
        other = threading.Thread(target=lambda: _save(engine, theirs))
        other.start()
        other.join(timeout=60)
        assert not other.is_alive()
        save_issue(session, data=ours, merged_labels=[])  # conflicts, reads theirs, updates it
    with Session(engine) as session:
        rows = session.exec(select(Issue.number, Issue.title).order_by(Issue.number)).all()  # type: ignore[call-overload]
        assert rows == [(1, "t1"), (3, "ours")]
    engine.dispose()


def _save(engine: Engine, data: IssueData) -> None:
    with session_scope(engine) as session:
        save_issue(session, data=data, merged_labels=[])


def test_a_page_of_events_is_remembered_in_one_statement_seen_ones_as_they_were(
    tmp_path: Path,
) -> None:
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:
        mark_events_seen(session, login="Alice", events=[(1, AT), (2, AT)])
    with session_scope(engine) as session, selects(engine) as seen:
        mark_events_seen(session, login="alice", events=[(2, LATER), (3, LATER)])
        assert seen == []  # nothing read first: the insert skips what is there
    with Session(engine) as session:
        rows = session.exec(select(SeenEvent.event_id, SeenEvent.created_at)).all()  # type: ignore[call-overload]
        assert sorted(rows) == [(1, AT), (2, AT), (3, LATER)]
        assert seen_events(session, login="alice", ids=[1, 2, 3, 4]) == {1, 2, 3}
    engine.dispose()


def test_a_pr_another_worker_stored_after_the_page_was_read_keeps_its_newer_merge(
    tmp_path: Path,
) -> None:
    # the page read found neither the issue nor its PR row; another worker then stores the
    # PR, merged, from a newer payload: the stale payload's save must read that PR row again
    engine = open_database(db_url(tmp_path / "t.db"))
    _save(engine, issue(1))
    who = {"author": "newcomer", "author_id": 999}  # not stored: the page read locks no row
    theirs = issue(4, updated=LATER, state="closed", closed_at=LATER, merged_at=LATER, **who)
    ours = issue(4, updated=AT, title="stale", **who)
    with session_scope(engine) as session:
        read_page(session, issues=[ours])
        other = threading.Thread(target=lambda: _save(engine, theirs))
        other.start()
        other.join(timeout=60)
        assert not other.is_alive()
        save_issue(session, data=ours, merged_labels=[])
    with Session(engine) as session:
        stored = session.get(Issue, BIG + 4)
        pr = session.get(PullRequest, BIG + 4)
        assert stored is not None and pr is not None
        assert (stored.state, stored.title, pr.merged_at) == ("closed", "t4", LATER)
    engine.dispose()


def test_an_account_renamed_within_a_page_ends_with_its_last_login_as_item_by_item(
    tmp_path: Path,
) -> None:
    # stored as "x"; the page holds an item by "y" (the same GitHub id: renamed), then one by
    # "x" again (an older payload): item by item the row ends as "x", and so must a page
    items = [issue(3, author="y", author_id=7), issue(5, author="x", author_id=7)]
    logins = []
    for page in (False, True):
        engine = open_database(db_url(tmp_path / f"accounts-{page}.db"))
        _save(engine, issue(1, author="x", author_id=7))
        with session_scope(engine) as session:
            if page:
                read_page(session, issues=items)
            for data in items:
                save_issue(session, data=data, merged_labels=[])
        with Session(engine) as session:
            logins.append(session.exec(select(Account.login, Account.github_id)).all())
        engine.dispose()
    assert logins[0] == logins[1] == [("x", 7)]


def test_a_timeline_page_with_an_event_twice_is_saved_once(tmp_path: Path) -> None:
    from contribbot.activity.history import save_timeline_page
    from contribbot.github.parse import LifecycleEvent
    from contribbot.store.models import LifecycleEventRecord

    engine = open_database(db_url(tmp_path / "t.db"))
    _save(engine, issue(2))
    labeled = LifecycleEvent(
        id=5, event="labeled", at=AT, actor="a", label="Merged", commit_id=None
    )
    with session_scope(engine) as session:
        save_timeline_page(
            session, pr_id=BIG + 2, events=[labeled, labeled], merged_labels=["Merged"],
            reverted_labels=[], now=LATER,
        )  # fmt: skip
    with Session(engine) as session:
        assert session.exec(select(LifecycleEventRecord.id)).all() == [5]
    engine.dispose()
