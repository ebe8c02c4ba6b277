"""candidates/refresh.py with workers sharing a SQLite file: no request is in flight while
a transaction is open. A worker's transactions take the write lock when they begin (BEGIN
IMMEDIATE, app/worker.py), so a refresh waiting on GitHub inside one (a secondary limit
waits a minute and more) made every other worker fail with "database is locked". Before
the fix, each listing, timeline, refetch and file list was fetched inside its transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TOKEN, load, world_copy, write_config
from engines import ON_POSTGRES
from sqlmodel import select
from test_sync_walk_lock import Probing, can_write

from contribbot.app.worker import worker_engine
from contribbot.candidates.refresh import refresh_candidates
from contribbot.fakehub import FakeHub
from contribbot.store.db import session_scope
from contribbot.store.models import CandidateRecord
from contribbot.sync import Sync

PYTORCH = "pytorch/pytorch"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


def _kind(path: str) -> str:
    tail = path.rsplit("/", 1)[-1]
    return "issue" if tail.isdigit() else tail  # issues (a listing), timeline, files


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock (BEGIN IMMEDIATE)")
def test_no_request_of_a_refresh_holds_the_write_lock(tmp_path: Path, hub: FakeHub) -> None:
    config = load(write_config(tmp_path, hub.base_url, users=["alice"], repos=[PYTORCH]))
    db = tmp_path / "contrib.db"
    engine = worker_engine(config.database_url())
    client = Probing(db, api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    # alice's PRs, whose changed files the first refresh fetches
    Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    client.seen.clear()

    first = refresh_candidates(engine=engine, client=client, config=config, clock=hub.now)
    hub.advance(timedelta(hours=1))
    closed = hub.close_issue(PYTORCH, hub.dataset.candidates_by_kind["free_nn"])
    hub.advance(timedelta(hours=1))
    second = refresh_candidates(engine=engine, client=client, config=config, clock=hub.now)

    assert first.new > 0 and first.timelines_checked > 0 and first.profile_prs > 0
    assert second.closed == 1  # the closed one was fetched again: no longer listed
    with session_scope(engine) as session:
        record = session.exec(
            select(CandidateRecord).where(CandidateRecord.number == closed.number)
        ).one()
        assert (record.status, record.closed_at) == ("closed", closed.closed_at)
    kinds = Counter(_kind(path) for path, _ in client.seen)
    assert {"issues", "timeline", "files", "issue"} <= set(kinds), kinds  # each was watched
    assert [path for path, free in client.seen if not free] == []
    assert can_write(db)
