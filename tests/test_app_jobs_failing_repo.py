"""One tracked repo that keeps failing (a 404: deleted, made private, renamed away) must
hold back neither the weekly report nor the other repos' once-a-day reconciliation."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TOKEN, cli, load, world_copy, write_config

from contribbot.app import jobs
from contribbot.fakehub import FakeHub
from contribbot.fakehub.sink import Sink
from contribbot.github.client import GitHubClient
from contribbot.report.queries import data_as_of
from contribbot.store.db import open_database, session_scope

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # the report is due at 09:00
GONE = "pytorch/tutorials"


@pytest.fixture
def hub():
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


def setup(tmp_path, hub, sink=None):
    extra = '[schedule]\nreport = "mon 09:00"\ntimezone = "UTC"\n'
    if sink is not None:
        extra += f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
    config = load(write_config(tmp_path, hub.base_url, users=["bob"], extra=extra))
    engine = open_database(config.database_url())
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    return config, engine, client


def test_the_weekly_report_goes_out_though_one_repo_keeps_failing(tmp_path, hub, caplog):
    with Sink() as sink:
        config, engine, client = setup(tmp_path, hub, sink)
        jobs.sync_and_refresh(engine, config, client, clock=lambda: NOW)  # both repos sync
        hub.hide_repo(GONE)
        caplog.set_level(logging.INFO, logger="contribbot")

        planned, _ = jobs.deliver_due(engine, config, clock=lambda: MONDAY)
        assert planned == 0 and sink.posts == []  # no sync since the week ended: it waits
        assert f"waits for a sync of pytorch/pytorch, {GONE}" in caplog.text

        polled = jobs.sync_and_refresh(engine, config, client, clock=lambda: MONDAY)
        assert [o.repo for o in polled.result.outcomes if o.error] == [GONE]
        planned, sent = jobs.deliver_due(engine, config, clock=lambda: MONDAY)
        assert planned == 1 and len(sink.posts) == 1 and not sent.problems
        assert f"without fresh data for {GONE}" in caplog.text
        with session_scope(engine) as session:  # the report says how old its data is
            assert data_as_of(session, config.track.repos) == NOW
            assert data_as_of(session, ["pytorch/pytorch"]) == MONDAY
        # and `contrib status` says which repo failed, when and why
        code, out, err = cli("status", "--config", str(tmp_path / "contrib.toml"), "-f", "json")
        assert code == 0, err
        failed = {r["repo"]: r["last_failed"] for r in json.loads(out)["repos"]}
        assert failed["pytorch/pytorch"] is None
        assert failed[GONE]["at"] == "2026-11-23T09:30:00Z"
        assert "not found" in failed[GONE]["why"]
        code, out, _ = cli("status", "--config", str(tmp_path / "contrib.toml"))
        assert (
            code == 0
            and f"last sync failed 2026-11-23 09:30 UTC: {GONE}: repository not found" in out
        )


def test_a_failing_repo_does_not_make_the_daily_reconciliation_run_on_every_poll(tmp_path, hub):
    hub.hide_repo(GONE)
    config, engine, client = setup(tmp_path, hub)
    moments = [NOW, NOW + timedelta(days=1, minutes=1)]
    moments += [moments[-1] + timedelta(minutes=15 * n) for n in (1, 2)]
    reconciled = []
    for moment in moments:
        polled = jobs.sync_and_refresh(engine, config, client, clock=lambda m=moment: m)
        assert polled.result.exit_code == 1  # the hidden repo fails every time
        reconciled.append(polled.reconciled)
    assert reconciled == [False, True, False, False]  # once a day, not every poll


def test_a_workers_streams_unit_records_the_failure_so_the_report_goes_out(tmp_path, hub):
    from contribbot.app.units import UnitRunner
    from contribbot.github.errors import NotFound

    with Sink() as sink:
        config, engine, client = setup(tmp_path, hub, sink)
        jobs.sync_and_refresh(engine, config, client, clock=lambda: NOW)
        hub.hide_repo(GONE)
        runner = UnitRunner(
            engine=engine,
            config=config,
            client=client,
            clock=lambda: MONDAY,
            should_stop=lambda: False,
            sleep=lambda s: None,
        )
        runner.run("streams", "streams:pytorch/pytorch")
        with pytest.raises(NotFound):  # the unit fails, and its worker retries it later
            runner.run("streams", f"streams:{GONE}")
        planned, _ = jobs.deliver_due(engine, config, clock=lambda: MONDAY)
        assert planned == 1 and len(sink.posts) == 1  # the report does not wait for it
