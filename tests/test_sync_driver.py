"""The driver and the searches of a first sync, fed recorded responses by a scripted client:
no server, one small database. What used to need the stand-in and a whole world."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, load, write_config

from contribbot.github.client import GitHubClient, Response
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync
from contribbot.sync.backfill import backfill
from contribbot.sync.plan import DONE, SEARCH_BACKOFF_S, SEARCH_TRIES

API = "https://api.github.com"
FIXTURE = Path(__file__).parent / "fixtures" / "octokit" / "search-issues" / "raw-fixture.json"
RECORDED = next(r for r in json.loads(FIXTURE.read_text()) if r["method"] == "get")["response"]
REPO = RECORDED["items"][0]["repository_url"].removeprefix(f"{API}/repos/")


class Scripted(GitHubClient):
    """A client that answers from a script and never opens a connection."""

    def __init__(self, answer: Callable[[str], dict[str, Any]]) -> None:
        super().__init__(api_url=API, token="t")
        self.answer = answer
        self.asked: list[str] = []

    def get(self, url: str, *, etag: str | None = None, resource: str = "core") -> Response:
        """The scripted body for `url`, as a 200."""
        self.asked.append(url)
        self.usage.sent += 1
        return Response(200, self.answer(url), None, url, {}, None, None)


def _searches(client: Scripted, qualifier: str) -> list[str]:
    return [url for url in client.asked if qualifier in url]


def test_an_incomplete_search_keeps_its_checkpoint_and_the_next_run_finishes_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load(write_config(tmp_path, API, users=["alice"], repos=[REPO]))
    engine = open_database(config.database_url())
    authored = "+author%3Aalice"  # not `-author:alice` (the reviewed search)

    def timing_out(url: str) -> dict[str, Any]:  # GitHub's search keeps timing out
        return {**RECORDED, "incomplete_results": authored in url}

    client, pauses = Scripted(timing_out), []
    sync = Sync(engine=engine, client=client, config=config, clock=lambda: NOW, sleep=pauses.append)
    with caplog.at_level(logging.WARNING, logger="contribbot.sync"):
        backfill(sync, REPO, "alice")
    assert len(_searches(client, authored)) == SEARCH_TRIES  # asked again, then given up
    assert sum(pauses) == SEARCH_BACKOFF_S * (1 + 2)  # backoff 2 s, 4 s; none after the last
    assert f"incomplete {SEARCH_TRIES} times; the next run retries it" in caplog.text
    with session_scope(engine) as session:
        assert save.get_state(session, key=f"backfill:{REPO}:alice:authored") is None
        assert save.get_state(session, key=f"backfill:{REPO}:alice:reviewed") == DONE
        assert save.get_state(session, key=f"backfill:{REPO}:alice") is None  # not finished

    asked_first = _searches(client, authored)[0]
    client = Scripted(lambda url: {**RECORDED, "incomplete_results": False})
    sync = Sync(engine=engine, client=client, config=config, clock=lambda: NOW, sleep=pauses.append)
    backfill(sync, REPO, "alice")
    # only the unfinished search is asked again, from the same (unmoved) checkpoint
    assert client.asked == [asked_first]
    with session_scope(engine) as session:
        assert save.get_state(session, key=f"backfill:{REPO}:alice:authored") == DONE
        assert save.get_state(session, key=f"backfill:{REPO}:alice") is not None
        numbers = {i["number"] for i in RECORDED["items"]}
        assert {n for n in numbers if save.find_issue(session, repo=REPO, number=n)} == numbers


def _tasks(engine: Any, number: int) -> set[str]:
    from sqlmodel import select

    from contribbot.store.models import SyncTask

    with session_scope(engine) as session:
        rows = session.exec(select(SyncTask).where(SyncTask.number == number)).all()
        return {row.kind for row in rows}


def test_a_history_search_owes_history_timelines_and_leaves_a_streams_timeline_alone(
    tmp_path: Path,
) -> None:
    """A PR a history search finds owes a `history-timeline` (drained within the history
    budget). A `timeline` a stream already owes for it stays live (Monday's report needs it),
    and both kinds owed at once for one PR save cleanly (a rename once broke the unique key)."""
    from contribbot.sync.backfill import SEARCH_PHASES, _SearchSaver

    config = load(write_config(tmp_path, API, users=["alice"], repos=[REPO]))
    engine = open_database(config.database_url())
    sync = Sync(
        engine=engine, client=Scripted(lambda url: RECORDED), config=config, clock=lambda: NOW
    )
    first, second = RECORDED["items"][0], RECORDED["items"][1]
    prs = [
        {**item, "pull_request": {"merged_at": None}, "labels": [{"name": "Merged"}]}
        for item in (first, second)  # landed by a bot's label: its timeline tells the landings
    ]
    saver = _SearchSaver(d=sync, repo=REPO, phase=SEARCH_PHASES[0])
    with session_scope(engine) as session:  # a stream owes #first a live timeline already
        save.enqueue(session, kind="timeline", repo=REPO, number=first["number"], now=NOW)
        save.enqueue(session, kind="history-timeline", repo=REPO, number=first["number"], now=NOW)
    with session_scope(engine) as session:
        saver.save(session, tuple(prs))
    assert _tasks(engine, first["number"]) >= {"timeline", "history-timeline"}
    assert "timeline" not in _tasks(engine, second["number"])
    assert "history-timeline" in _tasks(engine, second["number"])
    with session_scope(engine) as session:  # found again by a later search: still fine
        saver.save(session, tuple(prs))
    assert _tasks(engine, first["number"]) >= {"timeline", "history-timeline"}
