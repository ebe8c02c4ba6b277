"""The candidates digest and the daily check-in: escaped, planned when due, posted once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from conftest import copy_standin, load
from report_fixtures import DANGEROUS_TITLE, cohort_report

from contribbot.app import jobs
from contribbot.deliver.digest import slack_digest, zulip_digest
from contribbot.fakehub.sink import Sink
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync


def test_digest_escapes_github_text():
    report = cohort_report()
    assert any(DANGEROUS_TITLE == c.title for u in report.users for c in u.candidates), "fixture"
    slack = json.dumps(slack_digest(report))
    assert "<!channel>" not in slack and "<script>" not in slack
    zulip = "\n".join(m.content for m in zulip_digest(report, topic_template="{login}: gfi"))
    assert "@**all**" not in zulip and "<script>" not in zulip


def test_deliver_due_posts_weekly_digest_and_daily_once(tmp_path, hub, standin):
    with Sink() as sink:
        extra = (
            '[schedule]\nreport = "mon 09:00"\ndaily = "08:00"\ntimezone = "UTC"\n'
            f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
            "weekly = true\ndaily = true\ncandidates = true\n"
        )
        # the session's synced stand-in (candidates refreshed) stands for the first sync
        config = load(copy_standin(standin, tmp_path, hub.base_url, extra=extra))
        engine = open_database(config.database_url())
        client = GitHubClient(api_url=hub.base_url, token="test-token")
        monday = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 30 min after the report time
        planned, _ = jobs.deliver_due(engine, config, clock=lambda: monday)
        assert planned == 0 and sink.posts == []  # last synced before the week ended: wait
        Sync(engine=engine, client=client, config=config, clock=lambda: monday).run()
        for _ in range(2):
            planned, summary = jobs.deliver_due(engine, config, clock=lambda: monday)
            assert summary.ok
        texts = [p.json()["blocks"][0]["text"]["text"] for p in sink.posts]
        assert len(texts) == 3, texts  # weekly W47, the digest, yesterday's check-in: once each
        assert any("2026-W47" in t for t in texts)
        assert any("Good first issues" in t for t in texts)
        assert any("2026-11-22" in t for t in texts)
        too_late = monday + timedelta(days=2)  # past the 1-day misfire grace: nothing new
        planned, _ = jobs.deliver_due(engine, config, clock=lambda: too_late - timedelta(hours=20))
        assert len(sink.posts) == 3 + planned
