"""The daemon in a process of its own against the stand-in and a local sink; a kill -9 mid-sync.

The daemons and syncs are forked from a process that imported contribbot once (forked.py);
`daemon --once` starts `python` itself, to see what a fresh process imports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import NOW, cli, load, wait_for, write_config
from forked import start
from sqlmodel import func, select
from test_cli_imports import RUN

from contribbot.fakehub.sink import Sink
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Comment, Issue, Review

pytestmark = pytest.mark.slow
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_daemon_polls_posts_once_refuses_a_twin_and_stops_on_sigterm(tmp_path, small_hub):
    hub = small_hub
    with Sink() as sink:
        fire = datetime.now(UTC) + timedelta(seconds=8)
        report_at = f"{WEEKDAYS[fire.weekday()]} {fire:%H:%M:%S}"
        extra = (
            f'[schedule]\npoll_every = "1m"\nreport = "{report_at}"\n'
            f'timezone = "UTC"\n'
            f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
        )
        # bob: a first sync of ~80 requests (alice's history alone takes ~270)
        path = write_config(tmp_path, hub.base_url, users=["bob"], extra=extra)
        daemon = start("daemon", "--config", str(path), cwd=tmp_path)
        try:
            assert wait_for(lambda: any(r.path.startswith("/search") for r in hub.requests), 20)
            # a twin (here in this process: the lock is the database's, held by another
            # process) stops with one line and exit 3
            code, _, twin_err = cli("daemon", "--config", str(path))
            assert code == 3
            assert (
                "busy" in twin_err and "contrib daemon" in twin_err and "Traceback" not in twin_err
            )

            # after the first sync ends (a loaded machine slows it): a bound for a hang, not speed
            assert wait_for(lambda: len(sink.posts) >= 1, 120), "the report never arrived"
            time.sleep(3)
            assert len(sink.posts) == 1
            week = sink.posts[0].json()["blocks"][0]["text"]["text"]
            assert "Week" in week
        finally:
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=20)
        assert daemon.returncode == 0, err
        assert "poll:" in err and "requests" in err  # one line per job run, with requests spent
        assert "deliver:" in err and "1 posted" in err
        assert "daemon stopped" in err
        assert "test-token" not in out + err and sink.url not in out + err


def test_daemon_once_runs_what_is_due_and_exits(tmp_path, small_hub):
    """Cron's `daemon --once`: one poll, a JSON line saying what it spent, exit 0; with no
    destination it imports neither the scheduler nor the report and delivery code."""
    hub = small_hub
    path = write_config(tmp_path, hub.base_url, users=["bob"])
    out = tmp_path / "modules.json"
    args = ["daemon", "--once", "--config", str(path), "--log-format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *args],  # `python -m contribbot`, noting imports
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    ran = json.loads(out.read_text())
    assert ran["code"] in (0, None), done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    poll = next(line for line in lines if line.get("job") == "poll")
    assert poll["requests"] > 0 and poll["ok"] is True
    unused = {"apscheduler", "httpx", "jinja2", "contribbot.report.queries", "alembic"}
    assert unused.isdisjoint(ran["modules"]), sorted(unused & set(ran["modules"]))


def counts(url: str) -> tuple[int, int, int]:
    engine = open_database(url)
    with session_scope(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Issue, Review, Comment)
        )  # type: ignore[return-value]


SINCE_MARCH = 'history_since = "2026-03-01"\n'  # in [track]


def test_sync_killed_with_sigkill_resumes_with_nothing_lost_or_doubled(tmp_path, small_hub):
    hub = small_hub  # the tracked users' items are the same in both worlds
    killed_dir, clean_dir = tmp_path / "killed", tmp_path / "clean"
    killed_dir.mkdir()
    clean_dir.mkdir()
    # the history since March: a first sync of ~230 requests (~360 with all of alice's)
    killed_cfg = write_config(killed_dir, hub.base_url, extra=SINCE_MARCH)
    hub.set_rate_limit(1000, window_s=60, resource="search")  # five syncs; don't test waiting here
    for attempt in range(3):  # kill it at different depths
        proc = start("sync", "--config", str(killed_cfg), "--quiet", cwd=killed_dir)
        target = len(hub.requests) + 30 + 20 * attempt  # the third kill leaves ~80 to do

        def deep_enough(proc=proc, target=target) -> bool:
            return len(hub.requests) >= target or proc.poll() is not None

        wait_for(deep_enough, 60)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, "the sync finished before it could be killed"
    code, _, err = cli("sync", "--config", str(killed_cfg), "--quiet")
    assert code == 0, err
    clean_cfg = write_config(clean_dir, hub.base_url, extra=SINCE_MARCH)
    assert cli("sync", "--config", str(clean_cfg), "--quiet")[0] == 0
    killed, clean = load(killed_cfg), load(clean_cfg)
    assert counts(killed.database_url()) == counts(clean.database_url())
    since, until = "2000-01-01", (NOW + timedelta(days=1)).date().isoformat()
    activity = [
        cli("activity", "--config", str(p), "--since", since, "--until", until, "--format", "json")[
            1
        ]
        for p in (killed_cfg, clean_cfg)
    ]
    assert activity[0] == activity[1] and len(activity[0]) > 1000


def test_sigterm_ends_a_secondary_limit_wait(tmp_path, small_hub):
    """The client owns its 60 s wait on a secondary limit without retry-after, so SIGTERM
    cuts it short: the daemon exits 0 and sends nothing more. Nothing is timed: a wait
    the signal did not end would send a request when its 60 s ran out (the last check),
    and `communicate` only guards against a hang."""
    hub = small_hub  # the first search meets the limit: the world's size does not matter
    hub.inject(r"/search/issues", "secondary", times=100, retry_after=None)
    path = write_config(tmp_path, hub.base_url, users=["bob"])
    daemon = start("daemon", "--config", str(path), cwd=tmp_path)
    try:
        assert wait_for(lambda: any(r.status == 403 for r in hub.requests), 30)
        time.sleep(0.5)  # well inside the 60 s wait
        seen = len(hub.requests)
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=180)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert "(stopped early)" in err
    assert len(hub.requests) == seen  # no request after the signal
    assert "secondary rate limit" in err and "waiting 60s" in err
    assert "Traceback" not in out + err
