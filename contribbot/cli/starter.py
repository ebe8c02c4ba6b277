"""`contrib init`: a commented config to start from."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

from contribbot.config import LOGIN_RE, parse_config
from contribbot.errors import UsageError

TEMPLATE = """\
# contribbot configuration: what you need to start. Every other key is at the end of this
# file, commented out, with its default: uncomment what you want to change.
# `${{NAME}}` in a string is replaced by the environment variable NAME.

[github]
api_url = "https://api.github.com"   # GitHub Enterprise Server: https://HOST/api/v3
token = ""                           # empty: $GITHUB_TOKEN, then $GH_TOKEN, then `gh auth token`

[database]
url = "sqlite:///contrib.db"          # relative to this file

[track]
users = {users}
repos = {repos}
history_since = "{since}"         # the first sync looks back a year; `contrib sync --history all`
                                     # loads what lies before (remove this line: all history)

[report]
timezone = "UTC"                     # weeks run Monday to Monday in this zone

# [repos."pytorch/pytorch"]
# merged_labels = ["Merged"]         # closed + this label counts as merged (PyTorch's merge bot)

# [goals]
# prs_merged = 1                     # weekly targets, shown with a 12-week hit rate

# [[destinations]]
# name = "team-slack"
# type = "slack"
# webhook_url = "${{SLACK_WEBHOOK_URL}}"
"""


def every_key() -> str:
    """The shipped config.example.toml, commented out, to append to a starter config."""
    example = resources.files("contribbot").joinpath("config.example.toml").read_text("utf-8")
    lines = [
        f"# {line}" if line and not line.startswith("#") else line for line in example.splitlines()
    ]
    return "\n# " + "-" * 76 + "\n# Every key (config.example.toml):\n" + "\n".join(lines) + "\n"


def write_starter_config(
    path: Path, *, users: list[str], repos: list[str], force: bool, today: date
) -> Path:
    """Write the starter config for `users` and `repos` (history from a year before `today`);
    refuse to overwrite without `force`."""
    for login in users:
        if not LOGIN_RE.match(login):
            raise UsageError(f"--user: {login!r} is not a GitHub login")
    since = today.replace(year=today.year - 1, day=min(today.day, 28)).isoformat()
    text = TEMPLATE.format(users=json.dumps(users), repos=json.dumps(repos), since=since)
    text += every_key()
    import tomllib

    parse_config(tomllib.loads(text), path=path, text=text)  # the same checks as loading it later
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite)")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
