"""Workers sharing a SQLite file (app/worker.py: worker_engine) take its write lock when a
transaction begins (BEGIN IMMEDIATE). A walk sends each request with no transaction open,
so a worker waiting on GitHub (a rate limit, a secondary limit: minutes) holds no lock and
the other workers go on; before, the page's transaction was open around the request, and
the others failed with "database is locked" after their busy timeout."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import NOW, TOKEN, load, world_copy, write_config
from engines import ON_POSTGRES
from sqlalchemy import text
from test_sync_driver import API, RECORDED, REPO, Scripted

from contribbot.app.worker import worker_engine
from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient, Response
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync
from contribbot.sync.backfill import backfill
from contribbot.sync.plan import DONE

# GETs of one item (a repository's first check, an issue a comment or a task needs): each
# goes out between transactions too, watched in the test after the first
ONE_ITEM = re.compile(r"/repos/[^/]+/[^/]+(/issues/\d+)?")


def can_write(path: Path) -> bool:
    """Whether another connection to `path` gets SQLite's write lock within 0.2 s."""
    probe = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc), exc
        return False
    finally:
        probe.close()


class Probing(GitHubClient):
    """A client that, each request in flight, tries to take the database's write lock."""

    def __init__(self, db: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.seen: list[tuple[str, bool]] = []  # (what was asked, whether the lock was free)
        graphql_query = self.requester.graphql_query

        def probing_query(query: str, variables: dict[str, Any]) -> Any:
            what = "graphql thread" if "number" in variables else "graphql search"
            self.seen.append((what, can_write(self.db)))
            return graphql_query(query, variables)

        self.requester.graphql_query = probing_query  # type: ignore[method-assign]

    def get(self, url: str, *, etag: str | None = None, resource: str = "core") -> Response:
        """As GitHubClient.get, noting first whether the write lock is free."""
        self.seen.append((urlsplit(url).path, can_write(self.db)))
        return super().get(url, etag=etag, resource=resource)


def _kind(what: str) -> str:
    if what.startswith("graphql"):
        return what
    if what.startswith("/search/"):
        return "search"
    return what.rsplit("/", 1)[-1]  # comments, reviews, timeline, issues (a stream), public


@pytest.fixture
def hub():
    with FakeHub(world_copy("small"), tokens={TOKEN: "bob"}) as running:
        yield running


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock (BEGIN IMMEDIATE)")
@pytest.mark.parametrize("graphql", ["false", "true"], ids=["rest", "graphql"])
def test_no_walk_holds_the_write_lock_while_its_request_is_in_flight(
    tmp_path, hub, graphql, monkeypatch
):
    # threads of 2 a page, so GraphQL hits' long threads need further queries (prepare)
    monkeypatch.setattr("contribbot.sync.graphql.PAGE", 2)
    config = load(write_config(tmp_path, hub.base_url, users=["bob"], graphql=graphql))
    db = tmp_path / "contrib.db"
    engine = worker_engine(config.database_url())
    with session_scope(engine) as session:  # the probe sees a lock when one is held
        session.execute(text("SELECT 1"))
        assert not can_write(db)
    assert can_write(db)
    client = Probing(db, api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)

    result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()

    assert result.exit_code == 0, result.errors
    assert result.items > 0
    pages = [(what, free) for what, free in client.seen if not ONE_ITEM.fullmatch(what)]
    kinds = {_kind(what) for what, _ in pages}
    expected = {"comments", "public", "issues", "reviews"}  # public: a user's events
    if graphql == "true":  # history: searches, and further pages of long threads
        expected |= {"graphql search", "graphql thread"}
    else:  # history: searches, and the follow-ups they owe (an own PR's timeline)
        expected |= {"search", "timeline"}
    assert expected <= kinds, kinds  # every kind of walk was watched
    assert [what for what, free in client.seen if not free] == []


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock (BEGIN IMMEDIATE)")
def test_an_issue_fetched_for_a_comment_or_a_review_holds_no_lock(tmp_path, hub):
    """bob comments on an issue and approves a PR that no sync stored: the comment's stream
    page needs the issue (savers.ensure_issue), the review's follow-up its PR. Before, both
    were fetched inside the transaction that saved the page or picked the task."""
    config = load(write_config(tmp_path, hub.base_url, users=["bob"], graphql="false"))
    db = tmp_path / "contrib.db"
    engine = worker_engine(config.database_url())
    client = Probing(db, api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    assert Sync(engine=engine, client=client, config=config, clock=hub.now).run().exit_code == 0
    with session_scope(engine) as session:
        stored = {
            n
            for (n,) in session.execute(
                text(
                    "SELECT number FROM issue WHERE repo_id = "
                    "(SELECT id FROM repository WHERE full_name = 'pytorch/pytorch')"
                )
            )
        }
    unknown = [
        i
        for i in hub.dataset.repos["pytorch/pytorch"].issues.values()
        if i.number not in stored and i.user != "bob" and i.state == "open"
    ]
    issue = next(i for i in unknown if not i.is_pr)
    pr = next(i for i in unknown if i.is_pr)
    hub.advance(timedelta(hours=1))
    comment = hub.add_comment("pytorch/pytorch", issue.number, "bob", "Happy to help here")
    review = hub.add_review("pytorch/pytorch", pr.number, "bob", "APPROVED")
    hub.advance(timedelta(hours=1))
    client.seen.clear()

    result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()

    assert result.exit_code == 0, result.errors
    fetched = [what for what, _ in client.seen if re.fullmatch(r".*/issues/\d+", what)]
    assert sorted(fetched) == sorted(
        f"/repos/pytorch/pytorch/issues/{n}" for n in (issue.number, pr.number)
    )
    assert [what for what, free in client.seen if not free] == []
    with session_scope(engine) as session:
        saved = session.execute(
            text(
                "SELECT (SELECT count(*) FROM comment WHERE id = :c), "
                "(SELECT count(*) FROM review WHERE id = :r)"
            ),
            {"c": comment.id, "r": review.id},
        ).one()
    assert tuple(saved) == (1, 1)


def test_a_page_whose_checkpoint_another_worker_moved_meanwhile_is_not_kept(tmp_path):
    """While a search page is in flight, another worker finishes that search: the page is
    not saved over it (nor its checkpoint), and the walk plans again from the stored one."""
    config = load(write_config(tmp_path, API, users=["alice"], repos=[REPO]))
    engine = open_database(config.database_url())
    key, authored = f"backfill:{REPO}:alice:authored", "+author%3Aalice"

    def answer(url: str) -> dict[str, Any]:
        if authored not in url:  # the other searches find nothing
            return {**RECORDED, "items": [], "total_count": 0}
        with session_scope(engine) as session:  # the other worker, meanwhile
            save.set_state(session, key=key, value=DONE, now=NOW)
        return RECORDED

    client = Scripted(answer)
    backfill(Sync(engine=engine, client=client, config=config, clock=lambda: NOW), REPO, "alice")

    assert len([url for url in client.asked if authored in url]) == 1  # done: not asked again
    with session_scope(engine) as session:
        assert save.get_state(session, key=key) == DONE
        numbers = [item["number"] for item in RECORDED["items"]]
        assert [n for n in numbers if save.find_issue(session, repo=REPO, number=n)] == []
