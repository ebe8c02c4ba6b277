"""Wiring shared by the CLI and the daemon: config -> database, lock, GitHub client."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from contribbot.config import Config, find_config, load_config
from contribbot.errors import BusyError, ConfigError, ContribError, UsageError
from contribbot.secrets import is_github_com, resolve_token
from contribbot.store.reader import Reader, connect, driver_error, one_line, stored_revision

if TYPE_CHECKING:  # PyGithub is imported only by commands that make requests, SQLAlchemy
    from github import Auth  # only by those that write (or upgrade the database)
    from sqlalchemy import Engine

    from contribbot.github.client import GitHubClient
    from contribbot.github.pool import BudgetBoard, TokenPool

log = logging.getLogger("contribbot")
_opened: list[str] = []  # the databases this process opened, to name one in an error


def load(explicit: Path | None) -> Config:
    """The config the user meant, or one clear error saying how to make one."""
    path = find_config(explicit)
    if path is None:
        raise ConfigError(
            "no config found (looked for --config, $CONTRIBBOT_CONFIG, ./contrib.toml and the "
            "user config dir): run `contrib init --user LOGIN --repo OWNER/NAME`"
        )
    return load_config(path)


def tracked(config: Config, requested: Sequence[str] | None) -> list[str]:
    """The users a command is about: those asked for (each must be tracked), or all."""
    if not requested:
        return list(config.track.users)
    known = {u.lower(): u for u in config.track.users}
    for login in requested:
        if login.lower() not in known:
            shown = ", ".join(config.track.users) or "nobody yet"
            raise UsageError(f"{login} is not tracked (tracked: {shown})")
    return [known[login.lower()] for login in requested]


def database(config: Config) -> Engine:
    """The upgraded database of `config`, its PR histories derived with its label rules."""
    from datetime import UTC, datetime

    from contribbot.activity.labels import label_rules_changed
    from contribbot.store.db import describe, open_database, session_scope

    engine = open_database(config.database_url())
    _opened.append(describe(engine))
    with session_scope(engine) as session:  # changed merged/reverted labels: no requests
        if label_rules_changed(session, config):  # else reading imports no save path
            from contribbot.activity.history import rederive_if_changed

            rederive_if_changed(session, config=config, now=datetime.now(UTC))
    return engine


@contextmanager
def reading(config: Config) -> Iterator[Reader]:
    """A reader on the database of `config`, for commands that only read.

    A database already at the shipped head revision, whose histories were derived with
    the config's label rules, is read directly through the DB-API: no SQLAlchemy, SQLModel
    or Alembic import. Any other (new, behind, someone else's, unreadable) goes the way
    `database` goes first: upgrade, refusals, re-derivation, each with its one line.
    """
    reader = _at_head(config)
    if reader is None:
        from contribbot.store.reader import of_engine

        reader = of_engine(database(config))
    else:
        _opened.append(reader.where)
    try:
        yield reader
    finally:
        reader.close()


def _at_head(config: Config) -> Reader | None:
    """A reader opened directly, if nothing needs doing before reading; else None."""
    from contribbot.activity.labels import label_rules_changed
    from contribbot.store.revisions import shipped_chain

    try:
        reader = connect(config.database_url())
    except Exception as exc:
        if driver_error(exc):
            return None  # cannot open: the slow path says why, in today's words
        raise
    if reader is None:
        return None
    try:
        if stored_revision(reader) == shipped_chain().head:
            if not label_rules_changed(reader, config):
                return reader
    except Exception as exc:
        if not driver_error(exc):
            reader.close()
            raise
    reader.close()
    return None


def database_failure(exc: Exception) -> ContribError | None:
    """A database error in the middle of a run, as one line naming the database.

    Every page is saved in one transaction, so the failed one was rolled back: nothing
    half-written stays behind and the next run continues from the last saved page. The
    error is SQLAlchemy's (it carries the driver's), or the driver's own (a read command).
    """
    if driver_error(exc):
        reason = one_line(exc)
    else:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            return None
        reason = one_line(exc.orig if exc.orig is not None else exc)
    where = _opened[-1] if _opened else "(not opened yet)"
    lower = reason.lower()
    if "disk is full" in lower or "no space left" in lower:
        return ContribError(
            f"database {where}: the disk is full ({_free_space(where)} free); the last page "
            "was rolled back: free some space and run it again"
        )
    if "locked" in lower:
        return BusyError(f"database {where} is locked by another program ({reason}); try again")
    if "readonly" in lower or "read-only" in lower:
        return ContribError(f"database {where} is read-only ({reason})")
    return ContribError(f"database {where}: {reason}")


def _free_space(where: str) -> str:
    try:
        free = float(shutil.disk_usage(Path(where).parent).free)
    except OSError:
        return "unknown"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if free < 1024 or unit == "GiB":
            return f"{free:.0f} {unit}" if unit == "bytes" else f"{free:.1f} {unit}"
        free /= 1024
    return "unknown"


def github_client(
    config: Config,
    *,
    token: str | None = None,
    sleep: Callable[[float], object] = time.sleep,
    board: BudgetBoard | None = None,
) -> GitHubClient:
    """A GitHub client from `[github]`; `sleep` is how it waits (a truthy return stops it).

    Without a token it refuses, unless `[github] anonymous = true`."""
    from contribbot.github.errors import TokenMissing

    gh = config.github
    if token is None and gh.app is not None:
        return app_pool(config, sleep=sleep, board=board)
    if token is None and len(gh.tokens) > 1:
        return token_pool(config, sleep=sleep, board=board)
    if token is None and gh.tokens:
        from contribbot.secrets import expand_secret

        token = expand_secret(gh.tokens[0], owner="[github] tokens[0]")
    token = resolve_token(config) if token is None else token
    if not token:
        if not gh.anonymous:
            raise TokenMissing(no_token_message(gh.api_url))
        log.warning(
            "no GitHub token: syncing anonymously ([github] anonymous = true); GitHub allows "
            "60 requests an hour and 10 searches a minute without one, and 304s are not free"
        )
    return _client(config, sleep=sleep, token=token)


def _client(
    config: Config,
    *,
    sleep: Callable[[float], object],
    token: str = "",
    auth: Auth.AppInstallationAuth | None = None,
) -> GitHubClient:
    from contribbot.github.client import GitHubClient

    gh = config.github
    return GitHubClient(
        sleep=sleep,
        api_url=gh.api_url,
        token=token,
        auth=auth,
        per_page=gh.per_page,
        reserve=gh.rate_limit_reserve,
        max_retries=gh.max_retries,
        backoff_factor=gh.backoff_factor,
        timeout=gh.timeout,
    )


def app_pool(
    config: Config, *, sleep: Callable[[float], object], board: BudgetBoard | None
) -> TokenPool:
    """`[github.app]`: one pool member per installation (see contribbot.github.auth)."""
    from contribbot.github import auth
    from contribbot.github.pool import TokenPool

    app = config.github.app
    assert app is not None
    path = Path(app.private_key_path).expanduser()
    base = config.path.parent if config.path else Path.cwd()
    auths = auth.installation_auths(
        app_id=app.id,
        private_key=auth.read_private_key(path if path.is_absolute() else base / path),
        installation_id=app.installation_id,
        api_url=config.github.api_url,
        timeout=config.github.timeout,
    )
    members = [_client(config, sleep=sleep, auth=a) for a in auths]
    return TokenPool(members, board=board, labels=auth.labels(auths), source="[github.app]")


def token_pool(
    config: Config, *, sleep: Callable[[float], object], board: BudgetBoard | None
) -> TokenPool:
    """`[github] tokens`: one client per token, used as one (see contribbot.github.pool)."""
    from contribbot.github.pool import TokenPool
    from contribbot.secrets import expand_secret

    tokens = [
        expand_secret(secret, owner=f"[github] tokens[{index}]")
        for index, secret in enumerate(config.github.tokens)
    ]
    if not all(tokens):
        raise ConfigError(f"{config.path}: [github] tokens: token {tokens.index('') + 1} is empty")
    members = [github_client(config, token=token, sleep=sleep) for token in tokens]
    return TokenPool(members, board=board)


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
    from contribbot.store.lock import database_lock

    with database_lock(config.database_url(), wait_s=wait_s, what=what):
        yield
