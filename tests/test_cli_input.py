"""Odd input and odd states at the command line: one line, the documented exit code, and
nothing written that should not be (issue 11 §2)."""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest
from conftest import cli, write_config

OFFLINE = "http://127.0.0.1:9"  # nothing listens there: these commands make no request


@pytest.fixture
def config_path(tmp_path):
    return write_config(tmp_path, OFFLINE, users=["alice", "bob"])


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("args", [[], ["db"]])
def test_bare_contrib_and_bare_db_print_help_and_exit_0(args):
    code, out, err = cli(*args)
    assert code == 0, err
    assert out.startswith("Usage: contrib") and "Commands:" in out and err == ""


@pytest.mark.parametrize(
    "args", [["activity"], ["report", "--format", "json"], ["candidates"], ["report"]]
)
def test_an_untracked_user_is_exit_2_naming_the_tracked_ones(config_path, args):
    code, out, err = cli(*args, "--user", "nobody", "--config", str(config_path))
    assert code == 2 and out == ""
    assert one_line(err) == "error: nobody is not tracked (tracked: alice, bob)"


def test_a_tracked_user_in_another_case_is_accepted(config_path):
    code, out, err = cli(
        "activity", "--user", "ALICE", "--format", "json", "--config", str(config_path)
    )
    assert code == 0, err
    assert json.loads(out) == []


@pytest.mark.parametrize("fmt", ["html", "json", "terminal"])
def test_front_matter_is_only_for_markdown(config_path, fmt):
    code, _, err = cli("report", "--front-matter", "--format", fmt, "--config", str(config_path))
    assert code == 2
    assert one_line(err) == f"error: --front-matter is for --format markdown, not {fmt}"


def test_output_into_a_missing_directory_is_exit_2_and_writes_nothing(config_path, tmp_path):
    target = tmp_path / "nonexistent" / "x.md"
    code, _, err = cli("report", "-o", str(target), "--config", str(config_path))
    assert code == 2 and "directory" in one_line(err) and str(target.parent) in err
    assert not target.parent.exists()


def test_lower_case_week_is_accepted(config_path):
    code, out, err = cli(
        "report", "--week", "2026-w47", "--format", "json", "--config", str(config_path)
    )
    assert code == 0, err
    assert json.loads(out)["week"] == "2026-W47"


SLACK = (
    '[[destinations]]\nname = "team-slack"\ntype = "slack"\nwebhook_url = "${SLACK_WEBHOOK_URL}"\n'
)


def test_an_unset_webhook_variable_only_matters_when_sending(tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    path = write_config(tmp_path, OFFLINE, users=["alice"], extra=SLACK)
    code, out, err = cli("activity", "--config", str(path))
    assert code == 0 and "SLACK" not in out + err
    code, out, err = cli("status", "--config", str(path))
    assert code == 0 and "team-slack: $SLACK_WEBHOOK_URL is not set" in out
    code, out, err = cli("status", "--format", "json", "--config", str(path))
    assert json.loads(out)["notes"] == ["team-slack: $SLACK_WEBHOOK_URL is not set"]
    code, _, err = cli("report", "--send", "--week", "2026-W40", "--config", str(path))
    assert code == 1
    assert "error: team-slack: $SLACK_WEBHOOK_URL is not set" in err.splitlines()
    code, out, _ = cli("deliveries", "--format", "json", "--config", str(path))
    assert {row["status"] for row in json.loads(out)} == {"pending"}  # nothing sent, nothing lost


def test_config_validation_lists_every_problem_one_per_line(tmp_path):
    path = tmp_path / "contrib.toml"
    path.write_text(
        '[track]\nusers = ["alice"]\nrepos = ["nope"]\n[report]\ntimezone = "Mars/Base"\n'
        "[github]\nper_page = 1000\ncolour = 1\n"
    )
    code, _, err = cli("status", "--config", str(path))
    lines = err.splitlines()
    assert code == 2 and len(lines) == 4, err
    assert all(line.startswith(f"error: {path}") for line in lines)
    assert not any("Value error" in line or "more)" in line for line in lines)
    assert any("colour: unknown key" in line for line in lines)


def test_init_writes_every_key_commented(tmp_path):
    path = tmp_path / "contrib.toml"
    code, _, err = cli("init", "--user", "alice", "--repo", "pytorch/pytorch", "--path", str(path))
    assert code == 0, err
    text = path.read_text()
    assert "# [[destinations]]" in text and "# rate_limit_reserve = " in text
    parsed = tomllib.loads(text)  # the commented reference does not change what is set
    track = dict(parsed["track"])
    assert date.fromisoformat(track.pop("history_since"))  # a year back (issue 9)
    assert track == {"users": ["alice"], "repos": ["pytorch/pytorch"]}
    assert "destinations" not in parsed


def test_the_stand_in_prints_config_lines_that_point_at_it():
    from contribbot.fakehub.__main__ import TOKEN, config_lines

    parsed = tomllib.loads(config_lines("http://127.0.0.1:8765", "alice"))
    assert parsed["github"] == {"api_url": "http://127.0.0.1:8765", "token": TOKEN}
    assert parsed["track"]["users"] == ["alice", "bob", "carol"]


def test_an_unset_token_variable_only_matters_when_a_request_is_made(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    path = write_config(tmp_path, OFFLINE, users=["alice"], token="${NOPE_TOKEN}")
    assert cli("activity", "--config", str(path))[0] == 0
    code, _, err = cli("sync", "--quiet", "--config", str(path))
    assert code == 2 and one_line(err) == "error: github.token: $NOPE_TOKEN is not set"


def test_candidates_send_posts_the_digest_once_a_day_per_destination(tmp_path, standin):
    from conftest import copy_standin

    from contribbot.fakehub.sink import Sink

    with Sink() as sink:
        extra = (
            f'[[destinations]]\nname = "sink"\ntype = "slack"\nwebhook_url = "{sink.url}"\n'
            'weekly = false\ncandidates = true\nusers = ["alice"]\n'
            '[[destinations]]\nname = "reports-only"\ntype = "slack"\n'
            f'webhook_url = "{sink.url}"\n'
        )
        path = copy_standin(standin, tmp_path, extra=extra)
        code, _, err = cli("candidates", "--send", "--config", str(path))
        assert code == 0, err
        assert "today's digest: 1 message planned, 1 posted" in err  # one, not "1 messages"
        assert len(sink.posts) == 1 and "alice" in sink.posts[0].body.decode()
        code, _, err = cli("candidates", "--send", "--to", "sink", "--config", str(path))
        assert code == 0 and "0 messages planned, 0 posted" in err and len(sink.posts) == 1
        code, _, err = cli("candidates", "--send", "--to", "reports-only", "--config", str(path))
        assert code == 2 and "'reports-only' does not take candidates posts" in one_line(err)
        code, _, err = cli("candidates", "--send", "--format", "json", "--config", str(path))
        assert code == 2 and "do not apply" in one_line(err)
