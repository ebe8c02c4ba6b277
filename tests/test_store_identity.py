"""One identity per issue/PR, (repo, number), on the test engine (SQLite or PostgreSQL, whose
foreign keys and UNIQUE(repo_id, number) are checked at each statement): a PR first saved from
GraphQL (a placeholder id: GraphQL gives the pulls id, not the issues id) is re-keyed to REST's
id by its first REST payload, with every row that points at it; nothing lost or doubled."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from engines import db_url
from sqlalchemy import func, select
from sqlmodel import Session

from contribbot.activity.history import save_timeline_page
from contribbot.github.parse import CommentData, IssueData, LifecycleEvent, ReviewData
from contribbot.store.db import open_database, session_scope
from contribbot.store.identity import referencing_columns
from contribbot.store.models import CandidateRecord, Issue, PullRequest
from contribbot.store.save import save_comment, save_issue, save_review

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ISSUE_ID = 2**31 + 5  # REST's issues id of the PR (past 32 bits, as GitHub's are now)
PULL_ID = 2**31 + 99  # its pulls id, what GraphQL's fullDatabaseId gives
LABELS = ["Merged"]


def pr(ident: int, *, number: int = 7, updated: datetime = AT, **changes: object) -> IssueData:
    fields: dict[str, object] = {
        "id": ident,
        "repo": "o/r",
        "number": number,
        "is_pr": True,
        "title": "Fix",
        "body": "",
        "state": "open",
        "state_reason": None,
        "author": "alice",
        "author_id": 1,
        "author_kind": "User",
        "author_association": "CONTRIBUTOR",
        "created_at": AT,
        "updated_at": updated,
        "closed_at": None,
        "labels": (),
        "assignees": (),
        "comments": 1,
        "html_url": f"https://github.com/o/r/pull/{number}",
        "draft": False,
        "merged_at": None,
    }
    return IssueData(**{**fields, **changes})  # type: ignore[arg-type]


def _children(session: Session, issue_id: int) -> None:
    """One row in every table that points at an issue."""
    save_review(
        session,
        data=ReviewData(2**40 + 1, "bob", 2, "User", "APPROVED", AT, "MEMBER"),
        pr_id=issue_id,
    )
    comment = CommentData(
        2**40 + 2, "issue", "o/r", 7, "bob", 2, "User", "MEMBER", AT, AT, "hi", "u", None
    )
    save_comment(session, data=comment, issue_id=issue_id)
    closed = LifecycleEvent(2**40 + 3, "closed", AT + timedelta(hours=1), "bob")
    save_timeline_page(
        session,
        pr_id=issue_id,
        events=[LifecycleEvent(2**40 + 4, "labeled", AT, "bob", "Merged"), closed],
        merged_labels=LABELS,
        reverted_labels=["Reverted"],
        now=AT,
    )
    issue = session.get(Issue, issue_id)
    assert issue is not None
    session.add(CandidateRecord(issue_id=issue_id, repo_id=issue.repo_id, number=7, first_seen=AT))


def _pointing(engine, ident: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How many rows of each referencing column point at `ident`."""
    with engine.connect() as conn:
        return {
            f"{c.table.name}.{c.name}": conn.execute(
                select(func.count()).select_from(c.table).where(c == ident)
            ).scalar_one()
            for c in referencing_columns()
        }


def _rows(engine) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return [(i.id, i.number) for i in session.exec(select(Issue)).scalars()]  # type: ignore[call-overload]


def test_the_first_rest_payload_rekeys_a_graphql_pr_with_every_row_pointing_at_it(tmp_path):
    engine = open_database(db_url(tmp_path / "t.db"))
    graphql = pr(-PULL_ID)  # what graphql_parse gives: the pulls id's placeholder
    with session_scope(engine) as session:
        stored = save_issue(session, data=graphql, merged_labels=LABELS)
        assert stored.id == -PULL_ID
        _children(session, stored.id)
    before = _pointing(engine, -PULL_ID)
    # every table with a foreign key to issue.id has a row here (a new one must be added)
    assert all(before.values()) and len(before) >= 6, before

    with session_scope(engine) as session:  # REST's /issues?since=: the issues id
        rest = save_issue(
            session, data=pr(ISSUE_ID, updated=AT + timedelta(hours=2)), merged_labels=LABELS
        )
        assert rest.id == ISSUE_ID and rest.updated_at == AT + timedelta(hours=2)
        assert session.get(PullRequest, ISSUE_ID) is not None
    assert _rows(engine) == [(ISSUE_ID, 7)]
    assert _pointing(engine, ISSUE_ID) == before  # every child moved, none doubled
    assert not any(_pointing(engine, -PULL_ID).values())

    with session_scope(engine) as session:  # GraphQL again (a history chunk): same row
        again = save_issue(
            session,
            data=pr(-PULL_ID, title="Fix v2", updated=AT + timedelta(hours=3)),
            merged_labels=LABELS,
        )
        assert (again.id, again.title) == (ISSUE_ID, "Fix v2")
    assert _rows(engine) == [(ISSUE_ID, 7)]
    assert _pointing(engine, ISSUE_ID) == before


def test_an_older_rest_payload_still_rekeys_but_changes_nothing_else(tmp_path):
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:
        save_issue(
            session,
            data=pr(-PULL_ID, title="new", updated=AT + timedelta(days=1)),
            merged_labels=LABELS,
        )
    with session_scope(engine) as session:
        row = save_issue(session, data=pr(ISSUE_ID, title="old"), merged_labels=LABELS)
        assert (row.id, row.title) == (ISSUE_ID, "new")
    assert _rows(engine) == [(ISSUE_ID, 7)]


def test_a_pr_stored_under_its_pulls_id_before_placeholders_is_rekeyed_too(tmp_path):
    """Databases written before the fix hold GraphQL's pulls id as is (positive); one of them
    may even be another item's REST id: that PR steps aside to its placeholder."""
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:
        save_issue(session, data=pr(PULL_ID), merged_labels=LABELS)  # the old code's row
        _children(session, PULL_ID)
        save_issue(session, data=pr(ISSUE_ID, number=8), merged_labels=LABELS)
    before = _pointing(engine, PULL_ID)
    with session_scope(engine) as session:  # issue #9's REST id happens to be #7's pulls id
        save_issue(session, data=pr(PULL_ID, number=9, is_pr=False), merged_labels=LABELS)
    assert sorted(_rows(engine)) == [(-PULL_ID, 7), (ISSUE_ID, 8), (PULL_ID, 9)]
    assert _pointing(engine, -PULL_ID) == before and not any(_pointing(engine, PULL_ID).values())
    with session_scope(engine) as session:  # then #7's own REST payload
        save_issue(
            session, data=pr(ISSUE_ID + 1, updated=AT + timedelta(hours=1)), merged_labels=LABELS
        )
    assert sorted(_rows(engine)) == [(ISSUE_ID, 8), (ISSUE_ID + 1, 7), (PULL_ID, 9)]
    assert _pointing(engine, ISSUE_ID + 1) == before


def test_a_rekey_inside_a_session_that_holds_the_old_rows(tmp_path):
    """The session's copies of the moved rows are dropped, so later saves read the new ones."""
    engine = open_database(db_url(tmp_path / "t.db"))
    with session_scope(engine) as session:
        save_issue(session, data=pr(-PULL_ID), merged_labels=LABELS)
        _children(session, -PULL_ID)
        moved = save_issue(session, data=pr(ISSUE_ID), merged_labels=LABELS)
        save_review(
            session,
            data=ReviewData(2**40 + 1, "bob", 2, "User", "DISMISSED", AT, "MEMBER"),
            pr_id=moved.id,
        )
        save_issue(
            session, data=dataclasses.replace(pr(-PULL_ID), state="closed"), merged_labels=LABELS
        )
    assert _rows(engine) == [(ISSUE_ID, 7)]
    assert _pointing(engine, ISSUE_ID)["review.pr_id"] == 1
