"""A long history loads in chunks between the daemon's polls: Monday's report is not late.

The daemon runs in-process with an injected clock: every request to the stand-in takes
LATENCY of the daemon's time, the scheduler's ticks are called by hand (a poll every
15 minutes, and the report's cron job at Monday 09:00, which the daemon runs once the
job in hand is done: one job at a time). No real waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import NOW, TOKEN, load, write_config
from sqlalchemy import text
from test_sync import EPOCH, expected, stored

from contribbot.app import jobs
from contribbot.app.daemon import Daemon
from contribbot.fakehub.sink import Sink
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database, session_scope
from contribbot.sync.plan import CHUNK_TIME

LATENCY = timedelta(seconds=2)  # what one request to GitHub takes, in the daemon's time
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the first report time after NOW
POLL_EVERY = timedelta(minutes=15)


def history_line(engine, config) -> str:
    from contribbot.app.status import status

    with session_scope(engine) as session:
        return status(session, config=config)["repos"][0]["users"][0]["history"]


def test_mondays_report_goes_out_on_time_while_a_long_backfill_runs(
    tmp_path, small_hub, sync_mode, monkeypatch
):
    hub = small_hub  # alice's items are the same in both worlds; the small one copies faster
    # REST's history is ~5x the requests of GraphQL's (searches of 5 and their follow-ups):
    # a larger share a poll keeps both at several polls without 30 polls over REST
    monkeypatch.setattr(jobs, "HISTORY_PAGES_PER_POLL", 30 if sync_mode == "false" else 10)
    assert NOW < MONDAY_9 - timedelta(minutes=1)
    hub.advance(MONDAY_9 - timedelta(seconds=30) - hub.now())  # the daemon starts at 08:59:30
    # REST's backfill searches ~90 times: at 30 a minute the client would sleep for real
    # (twice ~55 s) between the daemon's LATENCY-clocked requests; rate waits are tested elsewhere
    hub.set_rate_limit(1000, window_s=60, resource="search")

    def clock() -> datetime:
        return hub.now() + LATENCY * len(hub.requests)

    with Sink() as sink:
        extra = (
            f'[schedule]\nreport = "mon 09:00"\ntimezone = "UTC"\n'
            f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
        )
        path = write_config(
            tmp_path,
            hub.base_url,
            users=["alice"],
            repos=["pytorch/pytorch"],
            extra=extra,
            graphql=sync_mode,
        )
        path.write_text(path.read_text().replace("[database]", "per_page = 5\n[database]"))
        config = load(path)
        engine = open_database(config.database_url())
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01, per_page=5)
        daemon = Daemon(config=config, engine=engine, client=client, clock=clock)

        daemon.poll()  # started at 08:59:30; the 09:00 report job waits for it
        daemon.deliver()  # the cron job, run as soon as the poll in hand is done
        posted_at, line = clock(), history_line(engine, config)
        assert len(sink.posts) == 1 and "Week" in str(sink.posts[0].json())
        assert posted_at - MONDAY_9 <= CHUNK_TIME + timedelta(minutes=3), posted_at
        assert "requests to go" in line or line == "history loading", line  # not done yet
        with engine.connect() as conn:
            left = conn.execute(text("select value from sync_state where key like 'backfill:%'"))
            assert "done" not in {v for (v,) in left} or line != "all history"

        polls = 1
        while history_line(engine, config) != "all history" or _owed(engine):
            assert polls < 60, "the history never finished loading"
            hub.advance(POLL_EVERY)  # the next scheduler tick
            daemon.poll()
            polls += 1
        assert polls >= 4, f"{polls} polls: not a long backfill"  # it really came in chunks
        # in one poll, the same requests would have kept the report waiting until then:
        unchunked = MONDAY_9 - timedelta(seconds=30) + LATENCY * len(hub.requests)
        assert unchunked > posted_at + timedelta(minutes=1), (unchunked, posted_at)
        assert len(sink.posts) == 1  # exactly once, though every poll asks what is due
        assert daemon.failures == 0
    truth = expected(hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1))
    assert stored(engine, ["alice"]) == truth  # nothing lost, nothing doubled


def _owed(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("select count(*) from sync_task")).scalar() or 0)


@pytest.mark.parametrize("pages", [None, 7])
def test_history_budget_is_the_same_for_rest_and_graphql(pages):
    from contribbot.sync.plan import HistoryBudget

    budget = HistoryBudget.per_run(pages, NOW)
    assert budget.left(NOW)
    for _ in range(7):
        budget.take()
    assert budget.left(NOW) == (pages is None)
    assert HistoryBudget.per_run(3, NOW).left(NOW + CHUNK_TIME) is False  # out of time
