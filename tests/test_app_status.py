"""`contrib status` counts each tracked user's stored items with grouped queries: the numbers
are those of one user at a time, for every user at once (a cohort's status is four queries a repo).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from engines import db_url

from contribbot.app.status import user_counts
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account, Comment, Issue, Repository, Review

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _issue(n: int, repo: int, author: int, *, pr: bool) -> Issue:
    return Issue(
        id=n, repo_id=repo, number=n, is_pr=pr, title=f"#{n}", state="open",
        author_id=author, created_at=T0, updated_at=T0, html_url=f"https://github.com/o/n/pull/{n}",
    )  # fmt: skip


def _comment(n: int, issue: int, author: int, kind: str = "issue") -> Comment:
    return Comment(
        id=n, kind=kind, issue_id=issue, author_id=author, created_at=T0, updated_at=T0,
        html_url=f"https://github.com/o/n/issues/{issue}#issuecomment-{n}",
    )  # fmt: skip


def test_counts_of_every_user_in_one_repo(tmp_path):
    engine = open_database(db_url(tmp_path / "status.db"))
    with session_scope(engine) as session:
        session.add_all([Repository(id=1, full_name="o/n"), Repository(id=2, full_name="o/other")])
        session.add_all(
            [Account(id=i, login=login) for i, login in ((1, "Alice"), (2, "bob"), (3, "maint"))]
        )
        session.flush()  # no relationships: the unit of work does not order tables by their keys
        session.add_all(
            [
                _issue(10, 1, 1, pr=True), _issue(11, 1, 1, pr=True), _issue(12, 1, 1, pr=False),
                _issue(13, 1, 2, pr=True), _issue(14, 1, 3, pr=True),
                _issue(20, 2, 1, pr=True),  # another repo
            ]
        )  # fmt: skip
        session.flush()
        session.add_all(
            [
                Review(id=100, pr_id=13, reviewer_id=1, state="APPROVED"),
                Review(id=101, pr_id=14, reviewer_id=1, state="COMMENTED"),
                Review(id=102, pr_id=10, reviewer_id=1, state="COMMENTED"),  # her own PR
                Review(id=103, pr_id=20, reviewer_id=2, state="APPROVED"),  # another repo
                Review(id=104, pr_id=10, reviewer_id=2, state="CHANGES_REQUESTED"),
            ]
        )
        session.flush()
        session.add_all(
            [
                _comment(200, 10, 1), _comment(201, 14, 1), _comment(202, 13, 2),
                _comment(203, 14, 2, kind="review"),  # a review comment: not counted
                _comment(204, 20, 2),  # another repo
            ]
        )  # fmt: skip
    with session_scope(engine) as session:
        got = user_counts(session, repo_id=1, logins=["alice", "bob", "carol"])
    assert got == {
        "alice": {"prs": 2, "issues": 1, "reviews": 2, "comments": 2},
        "bob": {"prs": 1, "issues": 0, "reviews": 1, "comments": 1},
        "carol": {"prs": 0, "issues": 0, "reviews": 0, "comments": 0},  # never seen
    }


def test_the_status_document_reads_workers_units_and_rate_limits(tmp_path):
    """Booleans, times and NULLs as each database hands them back; a repo never synced is
    all zeros and is not created (status only reads)."""
    from contribbot.app.status import status
    from contribbot.config import Config
    from contribbot.store.models import SyncState, Worker, WorkUnit
    from contribbot.store.reader import connect

    url = db_url(tmp_path / "status.db")
    engine = open_database(url)
    lease = timedelta(minutes=5)
    with session_scope(engine) as session:
        session.add_all(
            [
                Worker(id="h:1:a", host="h", pid=1, started_at=T0, seen_at=T0, leader=True),
                Worker(id="h:2:b", host="h", pid=2, started_at=T0 + lease, seen_at=T0 - 4 * lease),
                Worker(
                    id="h:3:c", host="h", pid=3, started_at=T0 - lease, seen_at=T0, stopped_at=T0
                ),
                WorkUnit(
                    key="deliver", kind="deliver", due_at=T0, leased_by="h:1:a",
                    lease_until=T0 + lease,
                ),
                WorkUnit(key="streams:o/n", kind="streams", due_at=T0 - lease, error="boom"),
                WorkUnit(
                    key="events:bob", kind="events", due_at=T0, leased_by="h:2:b",
                    lease_until=T0 - lease,
                ),
                SyncState(key="ratelimit:core", value='{"remaining": 4999}', updated_at=T0),
            ]
        )  # fmt: skip
    config = Config.model_validate(
        {"track": {"users": ["alice"], "repos": ["o/never-synced"]}, "workers": {"lease": "5m"}}
    )
    reader = connect(url)
    assert reader is not None
    try:
        with mock.patch("contribbot.app.status.datetime") as clock:
            clock.now.return_value = T0
            doc = status(reader, config=config)
            with session_scope(engine) as session:
                assert status(session, config=config) == doc  # the same read, in a session
    finally:
        reader.close()
    assert doc["repos"][0]["items_stored"] == 0 and doc["repos"][0]["users"][0]["prs"] == 0
    assert doc["rate_limit"] == {"core": {"remaining": 4999, "as_of": "2026-11-02T09:00:00+00:00"}}
    workers = doc["workers"]
    assert [(w["id"], w["state"], w["leader"], w["unit"]) for w in workers["workers"]] == [
        ("h:2:b", "gone", False, None),
        ("h:1:a", "alive", True, "deliver"),
        ("h:3:c", "stopped", False, None),
    ]
    assert workers["workers"][1]["lease_until"] == "2026-11-02T09:05:00Z"
    assert workers["units"] == {
        "deliver": {"units": 1, "due": 0, "held": 1, "failing": 0},
        "events": {"units": 1, "due": 1, "held": 0, "failing": 0},
        "streams": {"units": 1, "due": 1, "held": 0, "failing": 1},
    }
    assert workers["expired_leases"] == [
        {"unit": "events:bob", "worker": "h:2:b", "lease_until": "2026-11-02T08:55:00Z"}
    ]
    with session_scope(engine) as session:
        assert session.get(Repository, 1) is None
    engine.dispose()
