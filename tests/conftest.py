"""Shared fixtures: the GitHub stand-in on loopback, configs pointing at it, a CLI runner."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contribbot.cli import app
from contribbot.config import Config, parse_config
from contribbot.fakehub import FakeHub

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the data set's anchor: a Friday in 2026-W47
TOKEN = "test-token"
USERS = ("alice", "bob", "carol")
REPOS = ("pytorch/pytorch", "pytorch/tutorials")


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(now=NOW, tokens={TOKEN: "alice"}) as running:
        yield running


def config_text(
    base_url: str,
    db: Path,
    *,
    users: Sequence[str] = USERS,
    repos: Sequence[str] = REPOS,
    token: str = TOKEN,
    extra: str = "",
) -> str:
    return (
        f'[github]\napi_url = "{base_url}"\ntoken = "{token}"\nbackoff_factor = 0.01\n'
        f'[database]\nurl = "sqlite:///{db}"\n'
        f"[track]\nusers = {json.dumps(list(users))}\nrepos = {json.dumps(list(repos))}\n" + extra
    )


def write_config(tmp_path: Path, base_url: str, **kwargs: object) -> Path:
    path = tmp_path / "contrib.toml"
    path.write_text(config_text(base_url, tmp_path / "contrib.db", **kwargs))  # type: ignore[arg-type]
    return path


def load(path: Path) -> Config:
    text = path.read_text()
    return parse_config(tomllib.loads(text), path=path, text=text)


def cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
