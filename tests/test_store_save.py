"""Saving on the test engine: GitHub's ids past 32 bits, aware times, JSON lists, idempotence.

The stand-in numbers its objects from 1, so a GitHub id column declared as a 32-bit integer
would pass every sync test; PostgreSQL refuses such an id, SQLite would not notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from engines import db_url
from sqlmodel import select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account, Comment, Issue, PullRequest, Review
from contribbot.store.save import (
    mark_event_seen,
    save_comment,
    save_issue,
    save_review,
    seen_events,
)

BIG = 2**40 + 7  # GitHub's ids outgrew 32 bits (comments and reviews first)
BERLIN = timezone(timedelta(hours=2))
AT = datetime(2026, 10, 1, 14, 0, tzinfo=BERLIN)  # 12:00 UTC


def issue(**changes: object) -> IssueData:
    fields: dict[str, object] = {
        "id": BIG,
        "repo": "o/r",
        "number": 7,
        "is_pr": True,
        "title": "Fix ünïcode ✓",
        "body": "",
        "state": "closed",
        "state_reason": None,
        "author": "alice",
        "author_id": BIG + 1,
        "author_kind": "User",
        "author_association": "CONTRIBUTOR",
        "created_at": AT,
        "updated_at": AT,
        "closed_at": AT,
        "labels": ("merged", "módulo: ✓"),
        "assignees": ("bob",),
        "comments": 1,
        "html_url": "https://github.com/o/r/pull/7",
        "draft": False,
        "merged_at": None,
    }
    return IssueData(**{**fields, **changes})  # type: ignore[arg-type]


def comment() -> CommentData:
    return CommentData(
        id=BIG + 2,
        kind="review",
        repo="o/r",
        number=7,
        author="bob",
        author_id=BIG + 3,
        author_kind="User",
        author_association="MEMBER",
        created_at=AT,
        updated_at=AT,
        body="nit",
        html_url="https://github.com/o/r/pull/7#discussion_r1",
        review_id=BIG + 4,
    )


def review() -> ReviewData:
    return ReviewData(
        id=BIG + 4,
        reviewer="bob",
        reviewer_id=BIG + 3,
        reviewer_kind="User",
        state="APPROVED",
        submitted_at=AT,
        author_association="MEMBER",
    )


def save_all(engine) -> None:
    with session_scope(engine) as session:
        save_issue(session, data=issue(), merged_labels=["merged"])
        session.flush()
        save_comment(session, data=comment(), issue_id=BIG)
        save_review(session, data=review(), pr_id=BIG)
        mark_event_seen(session, login="alice", event_id=BIG + 5, created_at=AT)


def test_big_ids_aware_times_and_json_lists_round_trip(tmp_path):
    engine = open_database(db_url(tmp_path / "contrib.db"))
    save_all(engine)
    save_all(engine)  # a second sync of the same objects changes nothing
    with session_scope(engine) as session:
        stored = session.exec(select(Issue)).one()
        assert stored.id == BIG and stored.closed_at == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
        assert stored.labels == ["merged", "módulo: ✓"] and stored.title == "Fix ünïcode ✓"
        pr = session.get(PullRequest, BIG)
        assert pr is not None and pr.merged_at == AT and pr.merged_by_label
        assert session.exec(select(Comment.id, Comment.review_id)).all() == [(BIG + 2, BIG + 4)]
        assert session.exec(select(Review.id, Review.pr_id)).all() == [(BIG + 4, BIG)]
        github_ids = session.exec(select(Account.login, Account.github_id)).all()
        assert sorted(github_ids) == [("alice", BIG + 1), ("bob", BIG + 3)]
        seen = seen_events(session, login="alice", ids=[BIG + 5, 1])
        assert seen == frozenset({BIG + 5})


def test_a_row_just_inserted_holds_what_its_model_would_and_what_a_read_finds(tmp_path):
    """upsert builds an inserted row without the model's __init__ (store/upsert.py): it holds
    the values and the model's defaults, as Model(**values) would, and the same as the
    database gives back for it."""
    from contribbot.store.upsert import row_at

    engine = open_database(db_url(tmp_path / "contrib.db"))
    save_all(engine)
    values = {"draft": True, "merged_at": AT}  # merged_by_label, files, timeline_at: defaults
    with session_scope(engine) as session:  # the PR's row goes, and is saved anew
        session.delete(session.get(PullRequest, BIG))
    with session_scope(engine) as session:
        row, inserted = row_at(session, PullRequest, {"issue_id": BIG}, values)
        assert inserted
        built = PullRequest(issue_id=BIG, **values)
        assert row.model_dump() == built.model_dump()
        assert row.__pydantic_fields_set__ == built.__pydantic_fields_set__
        assert session.get(PullRequest, BIG) is row  # in the session, found without a read
    with session_scope(engine) as session:
        read = session.get(PullRequest, BIG)
        assert read is not None and read.model_dump() == built.model_dump()
