"""Where secrets come from, looked up only when they are used: `${NAME}` references in the
config, and the GitHub token (config, environment, `gh auth token`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import SecretStr

from contribbot.errors import ConfigError

if TYPE_CHECKING:
    from contribbot.config import Config

ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_secret(value: SecretStr, *, owner: str) -> str:
    """A secret with its `${NAME}` references filled in from the environment, when it is used.

    Raises ConfigError "OWNER: $NAME is not set" when a referenced variable is missing.
    """
    missing = unset_variables(value)
    if missing:
        raise ConfigError(f"{owner}: ${missing[0]} is not set")
    return ENV_RE.sub(lambda m: os.environ[m.group(1)], value.get_secret_value())


def unset_variables(value: SecretStr) -> list[str]:
    """The environment variables a secret refers to that are not set."""
    return [n for n in ENV_RE.findall(value.get_secret_value()) if os.environ.get(n) is None]


def unset_secrets(config: Config) -> list[str]:
    """One note per secret that cannot be used yet, e.g. "team-slack: $SLACK_WEBHOOK_URL is not
    set"."""
    from contribbot.config import SlackDestination

    notes = [f"github.token: ${n} is not set" for n in unset_variables(config.github.token)]
    for d in config.destinations:
        secret = d.webhook_url if isinstance(d, SlackDestination) else d.api_key
        notes += [f"{d.name}: ${n} is not set" for n in unset_variables(secret)]
    return notes


GITHUB_COM_HOSTS = frozenset({"api.github.com", "github.com"})


def is_github_com(api_url: str) -> bool:
    """Whether `api_url` is github.com's API (not a GitHub Enterprise Server)."""
    return (urlsplit(api_url).hostname or "").lower() in GITHUB_COM_HOSTS


def resolve_token(config: Config) -> str:
    """The token: config first; for github.com then $GITHUB_TOKEN, $GH_TOKEN and
    `gh auth token`; for another host $GH_ENTERPRISE_TOKEN, $GITHUB_ENTERPRISE_TOKEN and
    `gh auth token --hostname HOST` (a github.com token never goes to another host)."""
    token = expand_secret(config.github.token, owner="github.token")
    if token:
        return token
    api_url = config.github.api_url
    if is_github_com(api_url):
        names, host = ("GITHUB_TOKEN", "GH_TOKEN"), None
    else:
        names, host = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"), urlsplit(api_url).hostname
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return _gh_auth_token(host)


def _gh_auth_token(host: str | None) -> str:
    """`gh auth token` (for `host` when given); empty when gh is missing or logged out."""
    gh = shutil.which("gh")
    if not gh:
        return ""
    command = [gh, "auth", "token", *(["--hostname", host] if host else [])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
