"""Config loading: every bad input is one clear line naming file, key and line, exit code 2."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contribbot.cli import app
from contribbot.config import Config, load_config, parse_config, resolve_sqlite_url, resolve_token
from contribbot.errors import ConfigError

GOOD = """\
[github]
api_url = "https://api.github.com"
token = "${TEST_TOKEN}"

[database]
url = "sqlite:///data/contrib.db"

[track]
users = ["alice", "bob"]
repos = ["pytorch/pytorch"]

[repos."pytorch/pytorch"]
merged_labels = ["Merged", "landed"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contrib.toml"
    path.write_text(text)
    return path


def test_good_config_substitutes_env_and_resolves_db(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_TOKEN", "s3cret")
    config = load_config(write(tmp_path, GOOD))
    assert resolve_token(config) == "s3cret"  # secrets are filled in when used
    assert "s3cret" not in repr(config)  # and never print
    assert config.database_url() == f"sqlite:///{tmp_path}/data/contrib.db"
    assert config.repo("pytorch/pytorch").merged_labels == ["Merged", "landed"]
    assert config.repo("other/repo").merged_labels == ["Merged"]


def test_example_config_is_valid_and_documents_every_key(monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.invalid/x")
    monkeypatch.setenv("ZULIP_API_KEY", "k")
    path = Path(__file__).parent.parent / "config.example.toml"
    config = load_config(path)
    assert config.goals_for("alice") == {"prs_merged": 1, "reviews_given": 2}
    text = path.read_text()
    for section, model in Config.model_fields.items():
        if section == "path":
            continue
        assert f"[{section}" in text or f"[[{section}" in text, section
        annotation = model.annotation
        fields = getattr(annotation, "model_fields", {})
        for key in fields:
            assert f"{key} =" in text, f"{section}.{key} is not documented in config.example.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[track\nusers = 1", "not valid TOML"),
        ('[track]\nusers = ["alice"]\nrepo = ["a/b"]\n', "contrib.toml:3: track.repo: unknown key"),
        ('[track]\nusers = "alice"\n', "contrib.toml:2: track.users: Input should be a valid list"),
        ('[track]\nrepos = ["pytorch"]\n', "track.repos.0: 'pytorch' is not owner/name"),
        ('[track]\nusers = ["-bad-"]\n', "track.users.0: '-bad-' is not a GitHub login"),
        (
            '[database]\nurl = "${NOPE_NOT_SET}"\n',
            "database.url: environment variable NOPE_NOT_SET",
        ),
        (
            "[github]\nper_page = 500\n",
            "github.per_page: Input should be less than or equal to 100",
        ),
        ('[report]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        (
            '[schedule]\npoll_every = "30s"\n',
            "contrib.toml:2: schedule.poll_every: '30s' is too short: it must be at least 1m",
        ),
        ("[goals]\nstars = 3\n", "goals: unknown metric 'stars'"),
        ('[track]\nhistory_since = "banana"\n', "track.history_since: 'banana' is not a date"),
        (
            '[schedule]\nmisfire_grace = "0m"\n',
            "schedule.misfire_grace: '0s' is too short: it must be at least 1m",
        ),
        (
            '[schedule]\ncandidates = "1m"\n',
            "schedule.candidates: '1m' is too short: it must be at least 10m",
        ),
        ('[schedule]\npoll_every = "100000000d"\n', "is longer than a year"),
        ('[schedule]\nreport = "monkey 09:00"\n', "is not a weekly time"),
        ('[repos."not a repo"]\nmerged_labels = []\n', "'not a repo' is not owner/name"),
        (
            '[[destinations]]\nname = "x"\ntype = "slack"\n',
            "destinations.0.webhook_url: required key",
        ),
        ('[[destinations]]\nname = "x"\ntype = "teams"\n', "destinations.0"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, text, expected, monkeypatch):
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_bad_config_exits_2_without_traceback(tmp_path):
    path = write(tmp_path, '[track]\nusers = ["alice"]\nrepos = ["nope"]\n')
    result = CliRunner().invoke(app, ["status", "--config", str(path)])
    assert result.exit_code == 2
    assert "track.repos.0: 'nope' is not owner/name" in result.output
    assert "Traceback" not in result.output


def test_missing_config_says_how_to_start(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTRIBBOT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "contrib init" in result.output


def test_config_env_var_is_used(tmp_path, monkeypatch):
    path = write(tmp_path, '[track]\nusers = ["alice"]\nrepos = ["a/b"]\n')
    monkeypatch.setenv("CONTRIBBOT_CONFIG", str(path))
    result = CliRunner().invoke(app, ["status", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"repo": "a/b"' in result.output


def test_init_writes_a_config_that_loads(tmp_path):
    target = tmp_path / "contrib.toml"
    result = CliRunner().invoke(
        app, ["init", "--user", "alice", "--repo", "pytorch/pytorch", "--path", str(target)]
    )
    assert result.exit_code == 0, result.output
    config = load_config(target)
    assert config.track.users == ["alice"]
    assert config.track.repos == ["pytorch/pytorch"]
    again = CliRunner().invoke(app, ["init", "--user", "a", "--repo", "a/b", "--path", str(target)])
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_init_refuses_bad_repo(tmp_path):
    result = CliRunner().invoke(
        app, ["init", "--user", "alice", "--repo", "pytorch", "--path", str(tmp_path / "c.toml")]
    )
    assert result.exit_code == 2
    assert "'pytorch' is not owner/name" in result.output
    assert not (tmp_path / "c.toml").exists()


def test_relative_sqlite_urls_resolve_against_the_config_dir(tmp_path):
    assert resolve_sqlite_url("sqlite:///x.db", tmp_path) == f"sqlite:///{tmp_path}/x.db"
    assert resolve_sqlite_url("sqlite:////abs/x.db", tmp_path) == "sqlite:////abs/x.db"
    assert resolve_sqlite_url("postgresql://h/db", tmp_path) == "postgresql://h/db"


def test_goals_per_user_override_defaults(tmp_path):
    text = "[goals]\nprs_merged = 1\ncomments = 3\n[goals.bob]\nprs_merged = 2\n"
    config = parse_config(tomllib.loads(text), path=tmp_path / "c.toml", text=text)
    assert config.goals_for("bob") == {"prs_merged": 2, "comments": 3}
    assert config.goals_for("alice") == {"prs_merged": 1, "comments": 3}


def test_type_errors_never_echo_a_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("MYTOK", "ghp_SUPERSECRET")
    path = write(tmp_path, '[github]\ntoken = ["${MYTOK}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "github.token" in str(caught.value) and "SUPERSECRET" not in str(caught.value)


def test_init_into_a_missing_directory_is_one_line(tmp_path):
    target = tmp_path / "nope" / "contrib.toml"
    result = CliRunner().invoke(app, ["init", "-u", "alice", "-r", "a/b", "--path", str(target)])
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_a_file_that_is_not_a_database(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    text = f'[database]\nurl = "sqlite:///{junk}"\n[track]\nusers = ["a"]\nrepos = ["a/b"]\n'
    result = CliRunner().invoke(app, ["status", "--config", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert f"database {tmp_path / 'junk.db'}: cannot open or upgrade" in result.stderr
    assert "Traceback" not in result.output
