"""Exactly once: the outbox across simulated crashes, and one broken destination among several."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from conftest import NOW, cli, load, write_config
from sqlmodel import select

from contribbot import jobs
from contribbot.deliver import outbox
from contribbot.deliver.service import send_due
from contribbot.github.client import GitHubClient
from contribbot.sink import Sink
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Delivery
from contribbot.sync import Sync

WEEK = "2026-W46"
SLACK_SECRET = "https://hooks.slack.invalid/services/T000/B000/s3cr3tw3bh00k"
ZULIP_KEY = "zulip-api-key-s3cr3t"


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def synced(tmp_path, hub):
    """A database synced from the stand-in, and a Slack destination pointing at a local sink."""
    with Sink() as sink:
        extra = f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
        config = load(write_config(tmp_path, hub.base_url, extra=extra))
        engine = open_database(config.database_url())
        client = GitHubClient(api_url=hub.base_url, token="test-token")
        Sync(engine=engine, client=client, config=config, clock=hub.now).run()
        yield config, engine, sink


def test_a_weekly_report_is_posted_once_however_often_it_is_asked_for(synced):
    config, engine, sink = synced
    for _ in range(3):
        jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
        send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    assert len(sink.posts) == 1
    header = sink.posts[0].json()["blocks"][0]["text"]["text"]
    assert WEEK in header and "(resent)" not in header


def test_crash_before_the_post_resends_visibly_once(synced):
    config, engine, sink = synced
    jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
    with session_scope(engine) as session:  # the attempt was recorded, then the process died
        row = session.exec(select(Delivery)).one()
        outbox.mark_sending(session, row=row, now=NOW)
    send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    assert len(sink.posts) == 1
    assert sink.posts[0].json()["text"].startswith("(resent)")


def test_crash_between_sending_and_recording_never_doubles_silently(synced, monkeypatch):
    config, engine, sink = synced
    jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
    real = outbox.mark_done

    def killed(*args, **kwargs):
        raise SystemExit("killed after the POST, before recording it")

    monkeypatch.setattr(outbox, "mark_done", killed)
    with pytest.raises(SystemExit):
        send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    monkeypatch.setattr(outbox, "mark_done", real)
    send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    assert len(sink.posts) == 2  # we cannot know the first arrived: the second says so
    assert not sink.posts[0].json()["text"].startswith("(resent)")
    assert sink.posts[1].json()["text"].startswith("(resent)")
    with session_scope(engine) as session:
        (row,) = outbox.listing(session)
        assert (row.status, row.attempts) == ("sent", 2)


@respx.mock
def test_a_broken_destination_is_marked_failing_and_the_others_still_post(tmp_path, hub):
    extra = (
        f'[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{SLACK_SECRET}"\n'
        '[[destinations]]\nname = "zulip"\ntype = "zulip"\nsite = "https://chat.invalid"\n'
        f'email = "bot@chat.invalid"\napi_key = "{ZULIP_KEY}"\nchannel = "check-ins"\n'
    )
    path = write_config(tmp_path, hub.base_url, users=["alice", "bob"], extra=extra)
    config = load(path)
    engine = open_database(config.database_url())
    Sync(
        engine=engine, client=GitHubClient(api_url=hub.base_url, token="test-token"), config=config
    ).run()
    respx.post(SLACK_SECRET).mock(return_value=httpx.Response(404, text="channel_not_found"))
    zulip = respx.post("https://chat.invalid/api/v1/messages").mock(
        side_effect=[
            httpx.Response(200, json={"result": "success", "msg": "", "id": 40 + i})
            for i in range(10)
        ]
    )
    jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
    summary = send_due(engine, config=config, clock=clock, sleep=lambda s: None)
    assert zulip.call_count == 2  # one topic per user
    assert summary.failed == 1 and "channel" in summary.problems["slack"]
    code, out, err = cli("deliveries", "--config", str(path), "--format", "json")
    rows = json.loads(out)
    assert {r["status"] for r in rows if r["destination"] == "slack"} == {"failed_permanent"}
    assert {r["message_id"] for r in rows if r["destination"] == "zulip"} == {"40", "41"}
    everything = out + err + (tmp_path / "contrib.db").read_bytes().decode("latin-1")
    assert SLACK_SECRET not in everything and ZULIP_KEY not in everything
    assert "s3cr3tw3bh00k" not in everything
