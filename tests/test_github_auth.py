"""Tokens: where they come from (github.com vs Enterprise), no token, and one revoked mid-run."""

from __future__ import annotations

import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, TOKEN, cli, load, world_copy, write_config
from engines import db_url
from test_sync import EPOCH, expected

from contribbot.activity import contributions
from contribbot.app import runtime
from contribbot.config import resolve_token
from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient
from contribbot.github.errors import BadCredentials, TokenMissing
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync

GHE = "https://ghe.example.com/api/v3"
ENV = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")


def _config(tmp_path: Path, api_url: str, *, token: str = "", github: str = "") -> Path:
    path = tmp_path / "contrib.toml"
    path.write_text(
        f'[github]\napi_url = "{api_url}"\ntoken = "{token}"\nbackoff_factor = 0.01\n{github}'
        f'[database]\nurl = "{db_url(tmp_path / "contrib.db")}"\n'
        '[track]\nusers = ["bob"]\nrepos = ["pytorch/tutorials"]\n'
    )
    return path


@pytest.fixture
def fake_gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `gh` on PATH that logs its arguments and answers like gh: a github.com token for
    plain `auth token`, a host's own token only when that host is logged in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls"
    script = bin_dir / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        'case "$*" in\n'
        '  "auth token") echo gho_dotcom_token ;;\n'
        '  "auth token --hostname ghe.example.com") '
        '[ -n "$GHE_LOGGED_IN" ] && echo gho_ghe_token || exit 1 ;;\n'
        "  *) exit 1 ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return calls


def test_github_com_token_order(tmp_path: Path, fake_gh: Path, monkeypatch) -> None:
    config = load(_config(tmp_path, "https://api.github.com"))
    assert resolve_token(config) == "gho_dotcom_token"
    assert fake_gh.read_text().splitlines() == ["auth token"]
    monkeypatch.setenv("GH_TOKEN", "from-gh-token")
    assert resolve_token(config) == "from-gh-token"
    monkeypatch.setenv("GITHUB_TOKEN", "from-github-token")
    assert resolve_token(config) == "from-github-token"
    monkeypatch.setenv("GH_ENTERPRISE_TOKEN", "never-for-dotcom")
    assert resolve_token(config) == "from-github-token"
    assert resolve_token(load(_config(tmp_path, "https://api.github.com", token="cfg"))) == "cfg"


def test_enterprise_never_gets_a_github_com_token(
    tmp_path: Path, fake_gh: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "dotcom-token")
    monkeypatch.setenv("GH_TOKEN", "dotcom-token-too")
    config = load(_config(tmp_path, GHE))
    assert resolve_token(config) == ""  # gh is not logged in to that host
    assert fake_gh.read_text().splitlines() == ["auth token --hostname ghe.example.com"]
    monkeypatch.setenv("GHE_LOGGED_IN", "1")
    assert resolve_token(config) == "gho_ghe_token"
    monkeypatch.setenv("GH_ENTERPRISE_TOKEN", "ghe-env-token")
    assert resolve_token(config) == "ghe-env-token"
    with pytest.raises(TokenMissing) as caught:
        monkeypatch.delenv("GH_ENTERPRISE_TOKEN")
        monkeypatch.delenv("GHE_LOGGED_IN")
        runtime.github_client(config)
    assert "GH_ENTERPRISE_TOKEN" in str(caught.value)
    assert "gh auth login --hostname ghe.example.com" in str(caught.value)


def test_no_token_refuses_to_sync_in_one_line(tmp_path: Path, fake_gh: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(fake_gh.parent / "empty"))  # no gh at all
    hub_url = "https://api.github.com"  # never reached: the refusal comes first
    code, out, err = cli("sync", "--config", str(_config(tmp_path, hub_url)))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "GITHUB_TOKEN" in lines[0] and "gh auth login" in lines[0]
    assert "[github] anonymous = true" in lines[0]
    assert "Traceback" not in out + err


def test_anonymous_true_syncs_without_a_token_and_says_so(
    tmp_path: Path, fake_gh: Path, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("PATH", str(fake_gh.parent / "empty"))
    with FakeHub(world_copy(), tokens={TOKEN: "alice"}) as hub:
        config = load(_config(tmp_path, hub.base_url, github="anonymous = true\n"))
        with caplog.at_level(logging.WARNING):
            client = runtime.github_client(config)
        assert client.anonymous
        assert "60 requests an hour" in caplog.text
        client.get(client.full_url("/repos/pytorch/tutorials"))
        assert hub.requests[-1].login is None and hub.requests[-1].status == 200


def _stored(engine) -> list[tuple]:
    with session_scope(engine) as session:
        items = contributions(
            session, users=["bob"], since=NOW - timedelta(days=3650), until=NOW + timedelta(1)
        )
    return [(c.kind, c.user, c.repo, c.number, c.at) for c in items]


def test_a_token_revoked_mid_run_stops_keeps_what_was_saved_and_resumes(tmp_path, small_hub):
    # bob's first sync (44 requests, both repos) is revoked after 12: mid-run, at a sixth of
    # the cost of alice's in one repo
    hub = small_hub
    path = write_config(tmp_path, hub.base_url, users=["bob"])
    config = load(path)
    engine = open_database(config.database_url())
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    send = client._send

    def revoke_after_some(url: str, etag: str | None):
        if client.usage.sent == 12:
            hub.revoke(TOKEN)  # revoked (or expired) while the run is under way
        return send(url, etag)

    client._send = revoke_after_some  # type: ignore[method-assign]
    with pytest.raises(BadCredentials):
        Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    partial = _stored(engine)
    assert partial, "pages fetched before the 401 were saved"

    # the CLI says it in one line, exit 2, and the token is never printed
    code, out, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "401" in err
    assert TOKEN not in out + err

    hub.tokens["fresh-token"] = "alice"
    path.write_text(path.read_text().replace(f'token = "{TOKEN}"', 'token = "fresh-token"'))
    code, _, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 0, err
    full = _stored(engine)
    assert set(partial) <= set(full)
    assert len(full) == len(set(full)), "nothing doubled"
    truth = expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=1))
    assert set(full) == truth, "the next run finished what the revoked one started"
