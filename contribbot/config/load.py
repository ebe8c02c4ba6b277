"""Finding and reading the config: the TOML file, ${ENV} substituted, errors one per line."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from contribbot.config.model import Config
from contribbot.errors import ConfigError
from contribbot.secrets import ENV_RE

CONFIG_ENV = "CONTRIBBOT_CONFIG"
SECRET_KEYS = frozenset({"token", "tokens", "webhook_url", "api_key"})
CONFIG_NAME = "contrib.toml"


def find_config(explicit: Path | None) -> Path | None:
    """--config, else $CONTRIBBOT_CONFIG, else ./contrib.toml, else the user config dir."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    for candidate in (Path.cwd() / CONFIG_NAME, user_config_path()):
        if candidate.is_file():
            return candidate
    return None


def user_config_path() -> Path:
    """Where the per-user config lives (XDG on Linux)."""
    return Path(platformdirs.user_config_dir("contribbot")) / CONFIG_NAME


def load_config(path: Path) -> Config:
    """Read, substitute ${ENV} and validate `path`, or raise one clear ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path=path, text=text)


def parse_config(raw: Mapping[str, Any], *, path: Path, text: str = "") -> Config:
    """Validate a parsed TOML mapping; errors name the file, the key and the line."""
    substituted = _substitute_env(raw, path=path, where=())
    try:
        config = Config.model_validate(substituted)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, text)) from None
    except ConfigError:
        raise
    return config.model_copy(update={"path": path})


def _substitute_env(value: Any, *, path: Path, where: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        if where and (where[-1] in SECRET_KEYS or (len(where) > 1 and where[-2] in SECRET_KEYS)):
            return value  # secrets are resolved when used (`expand_secret`), not on every load
        return ENV_RE.sub(lambda m: _env(m.group(1), path, where), value)
    if isinstance(value, dict):
        return {k: _substitute_env(v, path=path, where=(*where, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, path=path, where=(*where, str(i))) for i, v in enumerate(value)]
    return value


def _env(name: str, path: Path, where: tuple[str, ...]) -> str:
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"{path}: {'.'.join(where)}: environment variable {name} is not set")
    return value


def _describe(exc: ValidationError, path: Path, text: str) -> str:
    """Every problem, one per line."""
    return "\n".join(_describe_one(error, path, text) for error in exc.errors())


def _describe_one(error: Any, path: Path, text: str) -> str:
    loc = [str(part) for part in error["loc"] if not str(part).startswith(("function-", "tagged"))]
    loc = [p for p in loc if p not in ("slack", "zulip", "int", "dict[str,int]")]
    key = ".".join(loc) or "(top level)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif "input" in error and error["type"].endswith("_type"):
        shown = "" if set(loc) & SECRET_KEYS else f" {error['input']!r}"  # never echo a secret
        message = f"{message}, got {type(error['input']).__name__}{shown}"
    line = _line_of(text, loc)
    where = f"{path}:{line}" if line else f"{path}"
    return f"{where}: {key}: {message}"


def _line_of(text: str, loc: list[str]) -> int | None:
    """Best effort: the line where the last named key of `loc` is set."""
    names = [p for p in loc if not p.isdigit()]
    if not names or not text:
        return None
    key = re.escape(names[-1])
    pattern = re.compile(rf'^\s*(?:"{key}"|{key})\s*=', re.MULTILINE)
    match = pattern.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1
