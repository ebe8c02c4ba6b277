"""The newest `updated_at` wins: a payload older than the stored row changes none of its fields.

GitHub hands out snapshots older than one already saved: the search index lags behind the
live issue, and another worker can commit a page it read before this one's. Each test
saves the newer state first, then the older payload, and reads back the newer state.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engines import ON_POSTGRES, db_url
from sqlalchemy import Engine
from sqlmodel import Session, select

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import save, tasks
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Comment, Issue, PullRequest, Review, SyncTask

T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=5)
MERGED = ["Merged"]
PR = IssueData(
    id=2**40 + 11, repo="pytorch/pytorch", number=42, is_pr=True, title="WIP: fix", body="",
    state="open", state_reason=None, author="alice", author_id=11, author_kind="User",
    author_association="CONTRIBUTOR", created_at=T1 - timedelta(days=1), updated_at=T1,
    closed_at=None, labels=(), assignees=(), comments=1,
    html_url="https://github.com/pytorch/pytorch/pull/42", draft=True, merged_at=None,
)  # fmt: skip
LANDED = dataclasses.replace(
    PR, title="Fix it", state="closed", closed_at=T2, updated_at=T2, labels=("Merged",),
    draft=False, merged_at=T2, comments=3,
)  # fmt: skip
NOTE = CommentData(
    id=2**40 + 12, kind="issue", repo="pytorch/pytorch", number=42, author="bob", author_id=12,
    author_kind="User", author_association="MEMBER", created_at=T1, updated_at=T1, body="first",
    html_url="https://github.com/pytorch/pytorch/pull/42#issuecomment-1", review_id=None,
)  # fmt: skip
APPROVAL = ReviewData(
    id=2**40 + 13, reviewer="carol", reviewer_id=13, reviewer_kind="User", state="APPROVED",
    submitted_at=T1, author_association="MEMBER",
)  # fmt: skip


def _engine(tmp_path: Path) -> Engine:
    return open_database(db_url(tmp_path / "stale.db"))


def _save(engine: Engine, *payloads: IssueData) -> list[bool]:
    """Save each payload in its own transaction; whether each was older than the stored row."""
    stale = []
    for data in payloads:
        with session_scope(engine) as session:
            issue = save.save_issue(session, data=data, merged_labels=MERGED)
            stale.append(save.is_stale(issue, data))
    return stale


def _stored(engine: Engine) -> tuple[Issue, PullRequest]:
    with session_scope(engine) as session:
        issue, pr = session.get(Issue, PR.id), session.get(PullRequest, PR.id)
        assert issue is not None and pr is not None
        return issue, pr


def _shown(issue: Issue, pr: PullRequest) -> dict[str, Any]:
    return {
        "title": issue.title,
        "state": issue.state,
        "labels": issue.labels,
        "updated_at": issue.updated_at,
        "closed_at": issue.closed_at,
        "comments": issue.comments,
        "draft": pr.draft,
        "merged_at": pr.merged_at,
    }


LANDED_SHOWN = {
    "title": "Fix it",
    "state": "closed",
    "labels": ["Merged"],
    "updated_at": T2,
    "closed_at": T2,
    "comments": 3,
    "draft": False,
    "merged_at": T2,
}


def test_an_older_payload_after_a_newer_one_leaves_the_newer_state(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert _save(engine, LANDED, PR) == [False, True]  # merged, then a lagging search hit
    assert _shown(*_stored(engine)) == LANDED_SHOWN  # not reopened, not a draft again


def test_a_newer_payload_after_an_older_one_updates(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert _save(engine, PR, LANDED) == [False, False]
    assert _shown(*_stored(engine)) == LANDED_SHOWN


def test_an_equal_updated_at_still_updates(tmp_path: Path) -> None:
    """What changes without touching `updated_at` (author_association, reactions) is kept."""
    engine = _engine(tmp_path)
    member = dataclasses.replace(LANDED, author_association="MEMBER")
    assert _save(engine, LANDED, member) == [False, False]
    assert _stored(engine)[0].author_association == "MEMBER"


def test_an_older_payload_still_owes_the_timeline_its_state_shows(tmp_path: Path) -> None:
    """A bot-landed PR whose timeline was read; a late payload shows it open in between (a
    revert and a reland the stored row never showed): the timeline is owed again, and the
    stored state stays the newest."""
    engine = _engine(tmp_path)
    landed = dataclasses.replace(LANDED, merged_at=None)  # landed by the bot's label
    reverted = dataclasses.replace(PR, labels=("Merged", "Reverted"), updated_at=T2 - timedelta(1))
    _save(engine, landed)
    with session_scope(engine) as session:  # its timeline was fetched: nothing owed
        for task in session.exec(select(SyncTask)).all():
            session.delete(task)
        pr = session.get(PullRequest, PR.id)
        assert pr is not None
        pr.timeline_at = T2
        session.add(pr)
    assert _save(engine, reverted) == [True]
    with session_scope(engine) as session:
        owed = session.exec(select(SyncTask.kind, SyncTask.number)).all()
    assert owed == [("timeline", 42)]
    issue, _ = _stored(engine)
    assert (issue.state, issue.labels, issue.updated_at) == ("closed", ["Merged"], T2)


def test_a_read_before_another_workers_commit_does_not_overwrite_it(tmp_path: Path) -> None:
    """Worker B has the row loaded (a stream handler looks it up before saving) when worker
    A commits a newer payload; B's older save must compare with A's row, not its own copy."""
    engine = _engine(tmp_path)
    _save(engine, dataclasses.replace(PR, updated_at=T1 - timedelta(hours=1)))
    with Session(engine, expire_on_commit=False) as b:
        assert save.find_issue(b, repo=PR.repo, number=PR.number) is not None  # B's copy
        _save(engine, LANDED)  # A commits meanwhile
        issue = save.save_issue(b, data=PR, merged_labels=MERGED)
        assert save.is_stale(issue, PR)
        b.commit()
    assert _shown(*_stored(engine)) == LANDED_SHOWN


def _saved_on_the_pr(engine: Engine, column: Any, *payloads: CommentData | ReviewData) -> str:
    """Each comment or review payload saved on PR in its own transaction; `column` read back."""
    with session_scope(engine) as session:
        save.save_issue(session, data=PR, merged_labels=MERGED)
    for data in payloads:
        with session_scope(engine) as session:
            if isinstance(data, CommentData):
                save.save_comment(session, data=data, issue_id=PR.id)
            else:
                save.save_review(session, data=data, pr_id=PR.id)
    with session_scope(engine) as session:
        return str(session.exec(select(column)).one())


def test_an_older_comment_payload_changes_nothing(tmp_path: Path) -> None:
    edited = dataclasses.replace(NOTE, body="edited", updated_at=T2)
    assert _saved_on_the_pr(_engine(tmp_path), Comment.body, edited, NOTE) == "edited"


def test_a_newer_comment_payload_updates(tmp_path: Path) -> None:
    edited = dataclasses.replace(NOTE, body="edited", updated_at=T2)
    assert _saved_on_the_pr(_engine(tmp_path), Comment.body, NOTE, edited) == "edited"


def test_a_review_list_read_before_a_dismissal_does_not_undo_it(tmp_path: Path) -> None:
    dismissed = dataclasses.replace(APPROVAL, state="DISMISSED")
    assert _saved_on_the_pr(_engine(tmp_path), Review.state, dismissed, APPROVAL) == "DISMISSED"


def test_a_dismissal_after_the_review_is_kept(tmp_path: Path) -> None:
    dismissed = dataclasses.replace(APPROVAL, state="DISMISSED")
    assert _saved_on_the_pr(_engine(tmp_path), Review.state, APPROVAL, dismissed) == "DISMISSED"


def test_two_workers_at_once_the_older_save_waits_and_keeps_the_newer(tmp_path: Path) -> None:
    """Worker A saves the newer payload and holds its transaction; worker B (a thread) saves
    the older one meanwhile. On PostgreSQL B must wait on A's row lock *before* it compares
    (the test waits until the server shows B blocked), else it would compare with the row A
    is replacing and overwrite A's. Workers on SQLite begin with the write lock: B waits."""
    from test_store_save_race import _wait_until_blocked

    from contribbot.app.worker import worker_engine

    url = db_url(tmp_path / "stale.db")
    open_database(url).dispose()
    engine = worker_engine(url)
    _save(engine, dataclasses.replace(PR, updated_at=T1 - timedelta(hours=1)))
    failures: list[BaseException] = []
    finished = threading.Event()

    def worker_b() -> None:
        try:
            _save(engine, PR)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            finished.set()

    with session_scope(engine) as a:
        save.save_issue(a, data=LANDED, merged_labels=MERGED)
        a.flush()
        other = threading.Thread(target=worker_b)
        other.start()
        if ON_POSTGRES:
            _wait_until_blocked(engine, finished)
    other.join(timeout=120)
    assert not other.is_alive() and failures == []
    assert _shown(*_stored(engine)) == LANDED_SHOWN
    engine.dispose()


def test_a_lagging_search_hit_after_a_stream_page_leaves_the_landed_pr(tmp_path: Path) -> None:
    """End to end through the sync, on recorded shapes. The first sync's stream saves the PR
    as merged. Two days on, the busy repo's stream has moved past it, and the daily
    reconciliation search, whose index lags, hands the PR back as it was before (open,
    its old title). The stored PR stays merged."""
    from urllib.parse import parse_qs, urlsplit

    from conftest import NOW, load, write_config
    from test_sync_driver import API, RECORDED, REPO, Scripted

    from contribbot.sync import Sync
    from contribbot.timeutil import utc_z

    def item(number: int, login: str, at: datetime, **changes: Any) -> dict[str, Any]:
        user = {"login": login, "id": 10 + number, "type": "User"}
        base = {**RECORDED["items"][0], "id": 2**40 + number, "number": number, "user": user}
        return {**base, "pull_request": {"merged_at": None}, "updated_at": utc_z(at), **changes}

    landed_at, lagging_at = NOW - timedelta(minutes=1), NOW - timedelta(hours=3)
    merged = {"merged_at": utc_z(landed_at)}
    landed = item(
        42, "alice", landed_at, title="Fix it", state="closed", closed_at=utc_z(landed_at),
        pull_request=merged,
    )  # fmt: skip
    lagging = item(42, "alice", lagging_at, title="WIP: fix", state="open", closed_at=None)
    stream = [landed]  # newest first

    def github(url: str) -> Any:
        parts = urlsplit(url)
        since = parse_qs(parts.query).get("since", [""])[0]
        if parts.path == f"/repos/{REPO}":
            return {"id": 1, "full_name": REPO, "html_url": f"https://github.com/{REPO}"}
        if parts.path == "/search/issues":  # the index still has the PR as it was
            return {"total_count": 1, "incomplete_results": False, "items": [lagging]}
        if parts.path == f"/repos/{REPO}/issues":
            return [obj for obj in stream if obj["updated_at"] >= since]
        return []  # comment streams, reviews, the event feed

    config = load(write_config(tmp_path, API, users=["alice"], repos=[REPO]))
    engine = open_database(config.database_url())

    def sync(at: datetime, *, reconcile: bool = False) -> None:
        client, clock = Scripted(github), lambda: at
        run = Sync(engine=engine, client=client, config=config, clock=clock, reconcile=reconcile)
        assert run.run().exit_code == 0

    sync(NOW)
    later = NOW + timedelta(days=2)
    stream.insert(0, item(7, "bob", later - timedelta(minutes=1), state="open"))
    sync(later)  # the stream moves on (its `since` at most once a day)
    sync(later + timedelta(hours=1), reconcile=True)
    with session_scope(engine) as session:
        issue = save.find_issue(session, repo=REPO, number=42)
        assert issue is not None
        pr = session.get(PullRequest, issue.id)
        assert pr is not None
        assert (issue.title, issue.state, issue.updated_at) == ("Fix it", "closed", landed_at)
        assert pr.merged_at == landed_at


def test_a_graphql_timeline_read_before_the_stored_pr_leaves_the_owed_timeline(
    tmp_path: Path,
) -> None:
    """A GraphQL hit carries its PR's timeline, read with the payload. When the payload is
    older than the stored PR (another worker saved a newer state, and owed its timeline),
    that timeline may miss the newer landing: the owed fetch stays, nothing is derived."""
    from conftest import NOW, load, write_config
    from test_sync_driver import API, Scripted

    from contribbot.github.graphql import TIMELINE
    from contribbot.github.graphql_parse import Item, Thread
    from contribbot.github.parse import LifecycleEvent
    from contribbot.store.models import LifecycleEventRecord
    from contribbot.sync import Sync
    from contribbot.sync.graphql import PHASES, GraphQLSaver

    config = load(write_config(tmp_path, API, users=["alice"], repos=[PR.repo]))
    engine = open_database(config.database_url())
    landed = dataclasses.replace(LANDED, merged_at=None)  # the bot's label: a timeline is owed
    _save(engine, landed)
    sync = Sync(engine=engine, client=Scripted(lambda url: []), config=config, clock=lambda: NOW)
    saver = GraphQLSaver(sync, PR.repo, next(p for p in PHASES if TIMELINE in p.parts), "alice")
    opened = LifecycleEvent(id=5, event="reopened", at=T1)
    with session_scope(engine) as session:
        hit = Item(PR, {TIMELINE: Thread((opened,), None, True)})  # read at T1: still open
        saver._save(session, hit)
    with session_scope(engine) as session:
        assert session.exec(select(SyncTask.kind)).all() == ["timeline"]
        assert session.exec(select(LifecycleEventRecord)).all() == []
    assert _shown(*_stored(engine))["state"] == "closed"


def test_a_task_owed_again_during_its_walk_is_not_finished_by_it(tmp_path: Path) -> None:
    """A streams unit walks a PR's reviews; meanwhile an events unit (another worker) sees a
    late review event and owes those reviews again. The walk read the list before that
    review: finishing must not delete the task, and the next drain reads the list again."""
    from conftest import NOW, load, write_config
    from test_sync_driver import API, Scripted

    from contribbot.sync import Sync

    config = load(write_config(tmp_path, API, users=["alice"], repos=[PR.repo]))
    engine = open_database(config.database_url())
    _save(engine, PR)
    with session_scope(engine) as session:
        save.enqueue(session, kind="reviews", repo=PR.repo, number=PR.number, now=NOW)
    reviews = f"/repos/{PR.repo}/pulls/{PR.number}/reviews"

    def github(url: str) -> Any:
        if reviews in url and len([u for u in client.asked if reviews in u]) == 1:
            with session_scope(engine) as other:  # the events unit, committing mid-walk
                later = NOW + timedelta(minutes=1)
                save.enqueue(other, kind="reviews", repo=PR.repo, number=PR.number, now=later)
        return []

    client = Scripted(github)
    Sync(engine=engine, client=client, config=config, clock=lambda: NOW)._drain(PR.repo)
    assert len([u for u in client.asked if reviews in u]) == 2  # read again after the re-owe
    with session_scope(engine) as session:
        assert session.exec(select(SyncTask)).all() == []  # and then done


def test_delete_task_keeps_a_task_owed_again_since_the_walk_began(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    _save(engine, dataclasses.replace(PR, is_pr=False))
    with session_scope(engine) as session:
        save.enqueue(session, kind="comments", repo=PR.repo, number=PR.number, now=T1)
        task = session.exec(select(SyncTask)).one()
        task_id, owed_at = task.id, task.created_at
    with session_scope(engine) as session:
        save.enqueue(session, kind="comments", repo=PR.repo, number=PR.number, now=T2)
    with session_scope(engine) as session:
        tasks.delete_task(session, task_id=task_id, owed_at=owed_at)
    with session_scope(engine) as session:
        assert session.exec(select(SyncTask.id, SyncTask.created_at)).all() == [(task_id, T2)]
        tasks.delete_task(session, task_id=task_id, owed_at=T2)
    with session_scope(engine) as session:
        assert session.exec(select(SyncTask)).all() == []


def test_a_comment_and_review_saved_twice_in_one_transaction_keep_the_newest(
    tmp_path: Path,
) -> None:
    """A row inserted and not built at once (store/held.py's Later) is built when the
    transaction looks it up again: a newer payload updates it, an older one does not."""
    engine = _engine(tmp_path)
    _save(engine, PR)
    issue_id = PR.id
    newer = dataclasses.replace(NOTE, updated_at=T2, body="edited")
    dismissed = dataclasses.replace(APPROVAL, state="DISMISSED")
    with session_scope(engine) as session:
        save.save_comment(session, data=NOTE, issue_id=issue_id)
        assert not save.comment_unchanged(session, data=newer)  # looked up: built
        save.save_comment(session, data=newer, issue_id=issue_id)
        save.save_comment(session, data=NOTE, issue_id=issue_id)  # older: changes nothing
        save.save_review(session, data=dismissed, pr_id=issue_id)
        save.save_review(session, data=APPROVAL, pr_id=issue_id)  # read before the dismissal
    with session_scope(engine) as session:
        comment, review = session.get(Comment, NOTE.id), session.get(Review, APPROVAL.id)
        assert comment is not None and (comment.body, comment.updated_at) == ("edited", T2)
        assert review is not None and review.state == "DISMISSED"
