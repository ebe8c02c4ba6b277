"""Bad input at the command line: one clear line on stderr, the right exit code, no traceback."""

from __future__ import annotations

import pytest
from conftest import cli, config_text, write_config


@pytest.fixture
def config_path(tmp_path):
    return write_config(tmp_path, "http://127.0.0.1:9")  # nothing listens there: no network used


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["report", "--send", "--since", "2026-11-01"], "--send posts a whole ISO week"),
        (["report", "--send"], "no [[destinations]] to send to"),
        (["report", "--week", "2026-W47", "--to", "nowhere"], "no [[destinations]] to send to"),
        (["candidates", "--repo", "pytorch/vision"], "pytorch/vision is not in [track] repos"),
        (["activity", "--until", "2026-02-30"], "--until: '2026-02-30' is not an ISO 8601 time"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(config_path, args, expected):
    code, out, err = cli(*args, "--config", str(config_path))
    assert code == 2, (out, err)
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in out + err


def test_demo_refuses_a_non_http_webhook():
    code, out, err = cli("demo", "--post-to", "ftp://example")
    assert code == 2 and "--post-to: 'ftp://example' is not an http(s) URL" in err


def test_send_to_an_unknown_destination_names_the_known_ones(tmp_path):
    extra = (
        '[[destinations]]\nname = "team"\ntype = "slack"\nwebhook_url = "https://hooks.invalid/x"\n'
    )
    path = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    code, _, err = cli("report", "--send", "--to", "nowhere", "--config", str(path))
    assert code == 2 and "--to: no destination named 'nowhere' (team)" in err


def test_deliveries_on_an_empty_outbox(config_path):
    code, out, _ = cli("deliveries", "--config", str(config_path))
    assert code == 0 and "The outbox is empty" in out


def test_unwritable_database_directory(tmp_path):
    path = tmp_path / "contrib.toml"
    db = 'url = "sqlite:///nope/deeper/contrib.db"'
    path.write_text(f'[database]\n{db}\n[track]\nusers = ["a"]\nrepos = ["a/b"]\n')
    code, _, err = cli("status", "--config", str(path))
    assert code == 2 and "database directory" in err and "does not exist" in err


def test_every_command_has_help_with_an_example():
    for command in (
        "init",
        "sync",
        "activity",
        "status",
        "candidates",
        "report",
        "deliveries",
        "daemon",
        "demo",
    ):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "Example" in out, command


def test_demo_refuses_a_real_database(tmp_path):
    real = tmp_path / "contrib.db"  # the demo is SQLite's: a user's SQLite file, on either engine
    config_path = tmp_path / "contrib.toml"
    config_path.write_text(config_text("http://127.0.0.1:9", f"sqlite:///{real}"))
    assert cli("status", "--config", str(config_path))[0] == 0  # creates the user's database
    code, _, err = cli("demo", "--db", str(real), "--quiet")
    assert code == 2 and "is not a demo database" in err
    assert not (tmp_path / "contrib-demo.toml").exists()


def test_the_demo_runs_end_to_end_and_posts_once(tmp_path):
    import re

    from contribbot.fakehub.sink import Sink

    with Sink() as sink:
        db = tmp_path / "demo.db"
        code, out, err = cli("demo", "--db", str(db), "--post-to", sink.url)
        assert code == 0, err
        # a second run on the same database is incremental, posts nothing new; --quiet
        # keeps only the summary lines
        code, quiet, err = cli("demo", "--db", str(db), "--quiet", "--post-to", sink.url)
        assert code == 0, err
    flat = " ".join(out.split())  # the console wraps at 80 columns
    sections = ("contrib status", "contrib activity", "contrib candidates", "contrib report --week")
    assert all(section in flat for section in sections)
    assert "First sync" in flat and "Second sync (nothing changed)" in flat
    assert "0 counted against the rate limit" in flat
    top = out[out.index("Top 3 per user") : out.index("contrib report --week")]
    scores = [float(s) for s in re.findall(r"^\W*(\d\.\d\d) ", top, re.MULTILINE)]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True)  # as `contrib candidates`
    assert "already posted there" in quiet
    assert "Top 3 per user" not in quiet and "contrib report --week" not in quiet
    assert len(quiet.splitlines()) * 5 < len(out.splitlines()), quiet
    assert len(sink.posts) == 1
    html = list(tmp_path.glob("report-*.html"))
    assert len(html) == 1 and "<svg" in html[0].read_text()


def test_send_refuses_an_unfinished_week_and_options_that_do_not_apply(tmp_path):
    extra = (
        '[[destinations]]\nname = "team"\ntype = "slack"\nwebhook_url = "https://hooks.invalid/x"\n'
        '[[destinations]]\nname = "quiet"\ntype = "slack"\nwebhook_url = "https://hooks.invalid/y"\n'
        "weekly = false\n"
    )
    path = write_config(tmp_path, "http://127.0.0.1:9", extra=extra)
    code, _, err = cli("report", "--send", "--week", "2099-W01", "--config", str(path))
    assert code == 2 and "is not over yet" in err
    code, _, err = cli("report", "--send", "--format", "json", "--config", str(path))
    assert code == 2 and "do not apply" in err
    code, _, err = cli(
        "report", "--send", "--to", "quiet", "--week", "2026-W40", "--config", str(path)
    )
    assert code == 2 and "'quiet' does not take weekly posts" in err


def test_option_errors_from_the_real_entry_point_are_one_line():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "contribbot", "candidates", "--limit", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: Invalid value for '--limit'")
    assert done.stderr.count("\n") == 1
