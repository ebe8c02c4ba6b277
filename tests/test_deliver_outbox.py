"""Exactly once: the outbox across simulated crashes, and one broken destination among several."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from conftest import NOW, cli, copy_standin, load
from engines import stored_text
from sqlmodel import select

from contribbot.app import jobs
from contribbot.deliver import outbox
from contribbot.deliver.service import send_due
from contribbot.fakehub.sink import Sink
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Delivery

WEEK = "2026-W46"
SLACK_SECRET = "https://hooks.slack.invalid/services/T000/B000/s3cr3tw3bh00k"
ZULIP_KEY = "zulip-api-key-s3cr3t"


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def synced(tmp_path, standin):
    """A copy of the synced stand-in database, and a Slack destination at a local sink."""
    with Sink() as sink:
        extra = f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
        config = load(copy_standin(standin, tmp_path, extra=extra))
        engine = open_database(config.database_url())
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
def test_a_broken_destination_is_marked_failing_and_the_others_still_post(tmp_path, standin):
    extra = (
        f'[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{SLACK_SECRET}"\n'
        '[[destinations]]\nname = "zulip"\ntype = "zulip"\nsite = "https://chat.invalid"\n'
        f'email = "bot@chat.invalid"\napi_key = "{ZULIP_KEY}"\nchannel = "check-ins"\n'
    )
    path = copy_standin(standin, tmp_path, users=["alice", "bob"], extra=extra)
    config = load(path)
    engine = open_database(config.database_url())
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
    everything = out + err + stored_text(config.database_url())
    assert SLACK_SECRET not in everything and ZULIP_KEY not in everything
    assert "s3cr3tw3bh00k" not in everything


@respx.mock
def test_failures_are_retried_later_in_order_and_doubt_is_resent_visibly(tmp_path, standin):
    extra = f'[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{SLACK_SECRET}"\n'
    path = copy_standin(standin, tmp_path, users=["alice", "bob"], extra=extra)
    config = load(path)
    engine = open_database(config.database_url())
    jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
    jobs.deliver_weekly(engine, config, week="2026-W45", now=NOW)  # a second message behind it
    route = respx.post(SLACK_SECRET)

    def send(at):
        return send_due(engine, config=config, clock=lambda: at, sleep=lambda s: None)

    route.mock(return_value=httpx.Response(503, text="rollup_error"))
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert send(t0).failed == 1 and route.call_count == 4  # 4 attempts, then it stops there
    route.mock(return_value=httpx.Response(200, text="ok"))
    assert send(t0).sent == 0  # still backing off
    assert send(t0 + timedelta(minutes=6)).sent == 2  # both, the failed one first
    bodies = [json.loads(call.request.content)["text"] for call in route.calls[-2:]]
    assert WEEK in bodies[0] and "2026-W45" in bodies[1]

    jobs.deliver_weekly(engine, config, week="2026-W44", now=NOW)
    route.mock(side_effect=httpx.ReadTimeout("slow"))  # it may have arrived
    summary = send(t0 + timedelta(minutes=7))
    assert summary.failed == 1 and "may have arrived" in summary.problems["slack"]
    route.mock(return_value=httpx.Response(200, text="ok"))
    assert send(t0 + timedelta(minutes=8)).resent == 1
    assert json.loads(route.calls[-1].request.content)["text"].startswith("(resent)")


@respx.mock
def test_retry_by_hand_resends_a_destination_that_was_fixed(tmp_path, standin):
    extra = f'[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{SLACK_SECRET}"\n'
    path = copy_standin(standin, tmp_path, users=["bob"], extra=extra)
    config = load(path)
    engine = open_database(config.database_url())
    route = respx.post(SLACK_SECRET).mock(
        return_value=httpx.Response(410, text="channel_is_archived")
    )
    jobs.deliver_weekly(engine, config, week=WEEK, now=NOW)
    assert send_due(engine, config=config, clock=clock, sleep=lambda s: None).failed == 1
    assert send_due(engine, config=config, clock=clock, sleep=lambda s: None).failed == 0  # waits
    route.mock(return_value=httpx.Response(200, text="ok"))  # the user unarchived the channel
    code, out, err = cli("deliveries", "--retry", "--config", str(path), "--format", "json")
    assert code == 0, err
    assert "1 posted, 0 failed" in err
    assert [r["status"] for r in json.loads(out)] == ["sent"]
