"""Wiring shared by the CLI and the daemon: config -> database, lock, GitHub client."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from sqlalchemy import Engine

from contribbot.config import Config, find_config, is_github_com, load_config, resolve_token
from contribbot.errors import BusyError, ConfigError
from contribbot.github.client import GitHubClient
from contribbot.github.errors import TokenMissing
from contribbot.store.db import open_database

LOCK_POLL_S = 0.5
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


def lock_path(url: str) -> Path | None:
    """The lock file beside a SQLite database (None for server databases)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix(prefix) + ".lock")


@contextmanager
def exclusive(config: Config, *, wait_s: float, what: str) -> Iterator[None]:
    """Hold the database's lock (it dies with the process); wait up to `wait_s` for it."""
    path = lock_path(config.database_url())
    if path is None:
        yield
        return
    handle: IO[str] = path.open("a+")
    try:
        _acquire(handle, path, wait_s, what)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {what}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _acquire(handle: IO[str], path: Path, wait_s: float, what: str) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = path.read_text().strip() or "another contribbot process"
                raise BusyError(
                    f"the database is busy: {holder} holds {path.name}; "
                    f"{what} did not start (try again, or stop the daemon)"
                ) from None
            time.sleep(LOCK_POLL_S)
