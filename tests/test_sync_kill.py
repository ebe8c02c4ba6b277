"""Killed in the middle of a multi-page walk, the sync resumes with nothing lost or doubled.

A tiny world (the small data set, one repo, three items a page) keeps each sync short,
so the crash can be put before every single page of a walk in turn: a `since` stream
spanning several pages, and the searches of a first sync. After each crash the checkpoint
must not have passed a page that was not saved, and a rerun must leave the database equal
to the one an uninterrupted sync builds. One run is killed for real (SIGKILL of a
`contrib sync` process) in the middle of a stream walk.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import TOKEN, cli, load, world_copy, write_config
from engines import copy_database
from forked import start
from test_sync_graphql import dump

from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient, Response
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync
from contribbot.sync.plan import DONE, StreamMark

REPO = "pytorch/tutorials"
USERS = ["alice", "bob"]
PER_PAGE = 3
COMMENTS = "/repos/pytorch/tutorials/issues/comments"


class Crash(BaseException):
    """A kill -9 at this point: nothing after it runs, the open transaction is lost."""


class CrashingClient(GitHubClient):
    """Crashes when the `at`-th request matching `path` is about to be sent."""

    def __init__(self, *, path: str, at: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path, self.at, self.seen = path, at, 0
        self.searched: list[tuple[str, list[dict[str, Any]]]] = []  # (query, items) received

    def get(self, url: str, *, etag: str | None = None, resource: str = "core") -> Response:
        """GET, unless this is the request to crash at."""
        if self.path in url:
            self.seen += 1
            if self.seen == self.at:
                raise Crash(url)
        response = super().get(url, etag=etag, resource=resource)
        if isinstance(response.data, dict) and "items" in response.data:
            query = parse_qs(urlsplit(url).query)["q"][0]
            self.searched.append((query, response.data["items"]))
        return response


@pytest.fixture
def small_hub():
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as hub:
        hub.set_rate_limit(10_000, resource="search")
        yield hub


def sync(hub: FakeHub, path: Path, client: CrashingClient | None = None) -> None:
    """One sync of the config at `path`; `Crash` escapes when the crash point is reached."""
    config = load(path)
    client = client or crashing(hub, "", None)
    engine = open_database(config.database_url())
    result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    assert result.exit_code == 0 and not result.stopped


def crashing(hub: FakeHub, path: str, at: int | None) -> CrashingClient:
    """A client for the tiny world that crashes before the `at`-th request to `path`."""
    return CrashingClient(
        path=path, at=at, api_url=hub.base_url, token=TOKEN, backoff_factor=0.01, per_page=PER_PAGE
    )


def config_at(
    directory: Path, hub: FakeHub, db_url: str | None = None, users: list[str] = USERS
) -> Path:
    """A config for the tiny world, on its own database (or on `db_url`)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = write_config(directory, hub.base_url, users=users, repos=[REPO])
    text = path.read_text().replace("[database]", f"per_page = {PER_PAGE}\n[database]")
    if db_url is not None:
        text = (
            text.split("[database]")[0]
            + f'[database]\nurl = "{db_url}"\n'
            + ("[track]" + text.split("[track]")[1])
        )
    path.write_text(text)
    return path


def states(path: Path) -> dict[str, str]:
    engine = open_database(load(path).database_url())
    with session_scope(engine) as session:
        return {
            key: value
            for key in _state_keys(session)
            if (value := save.get_state(session, key=key)) is not None
        }


def _state_keys(session: Any) -> list[str]:
    from sqlalchemy import text

    return [row[0] for row in session.execute(text("select key from sync_state"))]


def crash_everywhere(
    hub: FakeHub,
    tmp_path: Path,
    base: Path,
    crash_path: str,
    check_after_crash: Callable[[Path, CrashingClient], None],
    users: list[str] = USERS,
) -> int:
    """Crash before each request to `crash_path` in turn, resume, compare with a clean run.

    `base`: the config of a database to start from (copied for each run).
    Returns how many crash points there were."""
    clean = config_at(tmp_path / "clean", hub, _copy(base, tmp_path / "clean"), users)
    sync(hub, clean)
    want = dump(open_database(load(clean).database_url()))
    at = 0
    while True:
        at += 1
        run = tmp_path / f"crash-{at}"
        path = config_at(run, hub, _copy(base, run), users)
        client = crashing(hub, crash_path, at)
        try:
            sync(hub, path, client)
        except Crash:
            pass
        else:
            break  # fewer requests than `at`: every crash point is done
        check_after_crash(path, client)
        sync(hub, path)  # the rerun
        got = dump(open_database(load(path).database_url()))
        for table in want:
            assert got[table] == want[table], f"crash before request {at}: {table} differs"
    return at - 1


def _copy(base: Path, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    return copy_database(load(base).database_url(), directory / "contrib.db")


def busy_hour(hub: FakeHub) -> None:
    """Enough new comments that the comments stream spans several pages."""
    repo = hub.dataset.repos[REPO]
    numbers = sorted(repo.issues)[:8]
    for i, number in enumerate(numbers):
        hub.advance(timedelta(minutes=5))
        hub.add_comment(REPO, number, USERS[i % 2], f"note {i}")


def test_a_crash_before_any_page_of_a_since_stream_loses_and_doubles_nothing(
    small_hub: FakeHub, tmp_path: Path
) -> None:
    base = config_at(tmp_path / "base", small_hub)
    sync(small_hub, base)  # the first sync: the streams start here
    before = StreamMark.load(states(base)[f"stream:{REPO}:issue_comments"])
    busy_hour(small_hub)
    small_hub.advance(timedelta(minutes=5))

    def checkpoint_not_past_unsaved_pages(path: Path, client: CrashingClient) -> None:
        mark = StreamMark.load(states(path)[f"stream:{REPO}:issue_comments"])
        # newest first: until the walk reaches the old checkpoint, `seen` must stay
        assert mark.seen == before.seen, "the checkpoint moved before the walk ended"

    points = crash_everywhere(
        small_hub, tmp_path, base, COMMENTS, checkpoint_not_past_unsaved_pages
    )
    assert points >= 3  # page 1 and at least two more pages of the stream


def test_a_crash_before_any_page_of_a_first_sync_search_loses_and_doubles_nothing(
    small_hub: FakeHub, tmp_path: Path
) -> None:
    def no_search_checkpoint_past_unsaved_pages(path: Path, client: CrashingClient) -> None:
        found = states(path)
        for key, checkpoint in found.items():
            if key.startswith(f"backfill:{REPO}:") and key.count(":") == 3:
                user, phase = key.split(":")[2:]
                if checkpoint != DONE:  # a `created:>=` floor: all received before it saved
                    _all_saved_before(path, client, user, phase, checkpoint)
        assert f"backfill:{REPO}:bob" not in found  # the crash came before its end

    empty = config_at(tmp_path / "empty", small_hub, users=["bob"])
    open_database(load(empty).database_url()).dispose()  # migrated once, then copied
    points = crash_everywhere(
        small_hub,
        tmp_path,
        empty,
        "/search/issues",
        no_search_checkpoint_past_unsaved_pages,
        ["bob"],
    )
    assert points >= 4  # a page or more for each of bob's three searches, one of them two


QUALIFIERS = {"authored": "author:{}", "reviewed": "reviewed-by:{}", "commented": "commenter:{}"}


def _all_saved_before(
    path: Path, client: CrashingClient, user: str, phase: str, checkpoint: str
) -> None:
    """Every item this phase's search handed the crashed run, created before the
    checkpoint, is stored: the checkpoint never passed a page that was not saved."""
    qualifier = QUALIFIERS[phase].format(user)
    due = {
        item["number"]
        for query, items in client.searched
        if qualifier in query.split()
        for item in items
        if item["created_at"] < checkpoint
    }
    assert due, f"{user} {phase}: checkpoint {checkpoint} before any received item"
    engine = open_database(load(path).database_url())
    with session_scope(engine) as session:
        kept = {n for n in due if save.find_issue(session, repo=REPO, number=n) is not None}
    assert kept == due, f"{user} {phase}: checkpoint {checkpoint} passed unsaved {due - kept}"


def test_sigkill_in_the_middle_of_a_stream_walk_then_a_rerun_equals_a_clean_sync(
    small_hub: FakeHub, tmp_path: Path
) -> None:
    base = config_at(tmp_path / "base", small_hub)
    sync(small_hub, base)
    before = StreamMark.load(states(base)[f"stream:{REPO}:issue_comments"])
    busy_hour(small_hub)
    clean = config_at(tmp_path / "clean", small_hub, _copy(base, tmp_path / "clean"))
    killed = config_at(tmp_path / "killed", small_hub, _copy(base, tmp_path / "killed"))
    # page 2 of the stream answers "secondary rate limit, retry after 10 min": the process
    # waits there, page 1 saved, and is killed in that wait (no race with the kill)
    small_hub.inject(r"issues/comments\?.*\bpage=2\b", "secondary", times=1, retry_after=600)
    small_hub.clear_requests()
    proc = start("sync", "--quiet", "--config", str(killed), cwd=tmp_path)  # see forked.py
    try:
        while proc.poll() is None and not any(r.status == 403 for r in small_hub.requests):
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL  # killed in the wait, not finished
    stream = [r for r in small_hub.requests if r.path == COMMENTS]
    assert [r.status for r in stream] == [200, 403]  # page 1 read, killed before page 2
    mark = StreamMark.load(states(killed)[f"stream:{REPO}:issue_comments"])
    assert mark.seen == before.seen and mark.top is not None  # redone from page 1, not past it
    assert cli("sync", "--quiet", "--config", str(killed))[0] == 0
    assert cli("sync", "--quiet", "--config", str(clean))[0] == 0
    assert dump(open_database(load(killed).database_url())) == dump(
        open_database(load(clean).database_url())
    )
