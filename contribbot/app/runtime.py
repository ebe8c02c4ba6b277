"""Wiring shared by the CLI and the daemon: config -> database, lock, GitHub client."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine

from contribbot.config import Config, find_config, is_github_com, load_config, resolve_token
from contribbot.errors import ConfigError
from contribbot.github.client import GitHubClient
from contribbot.github.errors import TokenMissing
from contribbot.store.db import open_database
from contribbot.store.lock import database_lock

log = logging.getLogger("contribbot")


def load(explicit: Path | None) -> Config:
    """The config the user meant, or one clear error saying how to make one."""
    path = find_config(explicit)
    if path is None:
        raise ConfigError(
            "no config found (looked for --config, $CONTRIBBOT_CONFIG, ./contrib.toml and the "
            "user config dir): run `contrib init --user LOGIN --repo OWNER/NAME`"
        )
    return load_config(path)


def database(config: Config) -> Engine:
    """The upgraded database of `config`."""
    return open_database(config.database_url())


def github_client(
    config: Config, *, token: str | None = None, sleep: Callable[[float], object] = time.sleep
) -> GitHubClient:
    """A GitHub client from `[github]`; `sleep` is how it waits (a truthy return stops it).

    Without a token it refuses, unless `[github] anonymous = true`."""
    gh = config.github
    token = resolve_token(config) if token is None else token
    if not token:
        if not gh.anonymous:
            raise TokenMissing(no_token_message(gh.api_url))
        log.warning(
            "no GitHub token: syncing anonymously ([github] anonymous = true); GitHub allows "
            "60 requests an hour and 10 searches a minute without one, and 304s are not free"
        )
    return GitHubClient(
        sleep=sleep,
        api_url=gh.api_url,
        token=token,
        per_page=gh.per_page,
        reserve=gh.rate_limit_reserve,
        max_retries=gh.max_retries,
        backoff_factor=gh.backoff_factor,
        timeout=gh.timeout,
    )


def no_token_message(api_url: str) -> str:
    """One line saying how to give contribbot a token."""
    if is_github_com(api_url):
        how = "set $GITHUB_TOKEN (or [github] token), or run `gh auth login`"
    else:
        host = urlsplit(api_url).hostname
        how = f"set $GH_ENTERPRISE_TOKEN, or run `gh auth login --hostname {host}`"
    return (
        f"no GitHub token: {how}; "
        "to sync without one (60 requests an hour), set [github] anonymous = true"
    )


@contextmanager
def exclusive(config: Config, *, wait_s: float, what: str) -> Iterator[None]:
    """Hold the database's lock (it dies with the process); wait up to `wait_s` for it."""
    with database_lock(config.database_url(), wait_s=wait_s, what=what):
        yield
