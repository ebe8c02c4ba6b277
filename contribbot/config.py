"""Configuration: find the TOML file, substitute ${ENV}, validate once into a Config."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, date, time, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contribbot.errors import ConfigError, UsageError
from contribbot.report.model import TOTAL_KEYS
from contribbot.secrets import ENV_RE
from contribbot.secrets import is_github_com as is_github_com  # re-exported for callers
from contribbot.secrets import resolve_token as resolve_token  # of contribbot.config
from contribbot.timeutil import (
    WeeklyTime,
    format_duration,
    parse_clock,
    parse_duration,
    parse_weekly,
    zone,
)

CONFIG_ENV = "CONTRIBBOT_CONFIG"
SECRET_KEYS = frozenset({"token", "tokens", "webhook_url", "api_key"})
CONFIG_NAME = "contrib.toml"
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
DEFAULT_MERGED_LABELS = ["Merged"]
DEFAULT_REVERTED_LABELS = ["Reverted"]
MIN_INTERVALS = {
    "poll_every": timedelta(minutes=1),
    "candidates": timedelta(minutes=10),
    "misfire_grace": timedelta(minutes=1),
}
T = TypeVar("T")
DEFAULT_CANDIDATE_LABELS = [
    "good first issue",
    "good-first-issue",
    "good first contribution",
    "beginner",
    "beginner-friendly",
    "easy",
    "starter",
    "first-timers-only",
    "help wanted",
]


def _parsed(parse: Callable[[str], T], kind: type[T]) -> Callable[[object], T]:
    """A pydantic validator: a `kind` passes as is, a string goes through `parse`."""

    def validate(value: object) -> T:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
        try:
            return parse(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None

    return validate


def _login(value: str) -> str:
    if not LOGIN_RE.match(value):
        raise ValueError(f"{value!r} is not a GitHub login")
    return value


def _repo(value: str) -> str:
    if not REPO_RE.match(value) or value.endswith((".", "/")):
        raise ValueError(f"{value!r} is not owner/name")
    return value


Login = Annotated[str, AfterValidator(_login)]
RepoName = Annotated[str, AfterValidator(_repo)]
# schedule values, parsed once here: every consumer gets a timedelta, a time or a tzinfo
Duration = Annotated[
    timedelta, PlainValidator(_parsed(parse_duration, timedelta)), PlainSerializer(format_duration)
]
Weekly = Annotated[
    WeeklyTime, PlainValidator(_parsed(parse_weekly, WeeklyTime)), PlainSerializer(str)
]
TimeOfDay = Annotated[time, PlainValidator(_parsed(parse_clock, time)), PlainSerializer(str)]
Zone = Annotated[tzinfo, PlainValidator(_parsed(zone, tzinfo)), PlainSerializer(str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GitHubConfig(_Strict):
    """[github]: where the API is and how to authenticate."""

    api_url: str = "https://api.github.com"
    token: SecretStr = SecretStr("")
    tokens: list[SecretStr] = Field(default_factory=list)  # a pool, shared by the workers
    per_page: int = Field(default=100, ge=1, le=100)
    rate_limit_reserve: int = Field(default=50, ge=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    backoff_factor: float = Field(default=1.0, ge=0)
    timeout: float = Field(default=30.0, gt=0)
    anonymous: bool = False  # sync without a token (60 requests an hour) instead of refusing
    # history (first sync, reconciliation) over GraphQL: "auto" falls back to REST on a 404
    graphql: Literal["auto"] | bool = "auto"

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")


class WorkersConfig(_Strict):
    """[workers]: how `contrib worker`s share the work."""

    lease: Duration = timedelta(seconds=60)  # a dead worker's unit is taken over after this
    idle: Duration = timedelta(seconds=5)  # how often an idle worker looks for due units


class DatabaseConfig(_Strict):
    """[database]: an SQLAlchemy URL; SQLite by default."""

    url: str = "sqlite:///contrib.db"


class TrackConfig(_Strict):
    """[track]: whose contributions, in which repositories."""

    users: list[Login] = Field(default_factory=list)
    repos: list[RepoName] = Field(default_factory=list)
    history_since: str | None = None  # first sync looks back to this date (default: all)

    @field_validator("history_since")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a date like 2024-01-01") from None
        return value


class RepoConfig(_Strict):
    """[repos."owner/name"]: per-repository rules."""

    merged_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_MERGED_LABELS))
    reverted_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_REVERTED_LABELS))
    candidate_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATE_LABELS))
    label_weights: dict[str, float] = Field(default_factory=dict)


class ReportConfig(_Strict):
    """[report]: how reports read."""

    timezone: Zone = UTC
    stale_after_days: int = Field(default=14, ge=1)
    candidates: int = Field(default=3, ge=0, le=20)


class CandidatesConfig(_Strict):
    """[candidates]: the rules that decide whether an issue is still free."""

    pr_window_days: int = Field(default=30, ge=1)
    claim_window_days: int = Field(default=14, ge=1)
    claim_phrases: list[str] | None = None  # None: the built-in list
    decline_phrases: list[str] | None = None
    max_timeline_checks: int = Field(default=200, ge=1)


class ScheduleConfig(_Strict):
    """[schedule]: what the daemon runs when."""

    poll_every: Duration = timedelta(minutes=15)
    report: Weekly = WeeklyTime(0, time(9))  # mon 09:00
    candidates: Duration = timedelta(days=1)
    daily: TimeOfDay = time(9)
    timezone: Zone = UTC
    misfire_grace: Duration = timedelta(days=1)

    @field_validator(*MIN_INTERVALS)
    @classmethod
    def _at_least(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        least = MIN_INTERVALS[str(info.field_name)]
        if value < least:
            shown, at_least = format_duration(value), format_duration(least)
            raise ValueError(f"{shown!r} is too short: it must be at least {at_least}")
        return value


class SlackDestination(_Strict):
    """[[destinations]] with type = "slack": an incoming webhook."""

    type: Literal["slack"]
    name: str
    webhook_url: SecretStr
    users: list[Login] = Field(default_factory=list)
    weekly: bool = True
    daily: bool = False
    candidates: bool = False


class ZulipDestination(_Strict):
    """[[destinations]] with type = "zulip": a bot posting to a channel (stream)."""

    type: Literal["zulip"]
    name: str
    site: str
    email: str
    api_key: SecretStr
    channel: str
    topic: str = "{login}: weekly"
    daily_topic: str = "{login}: daily check-in"
    candidates_topic: str = "{login}: good first issues"
    users: list[Login] = Field(default_factory=list)
    weekly: bool = True
    daily: bool = False
    candidates: bool = False

    @field_validator("site")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")


Destination = Annotated[SlackDestination | ZulipDestination, Field(discriminator="type")]


class Config(_Strict):
    """The whole validated configuration."""

    github: GitHubConfig = Field(default_factory=GitHubConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    track: TrackConfig = Field(default_factory=TrackConfig)
    repos: dict[RepoName, RepoConfig] = Field(default_factory=dict)
    report: ReportConfig = Field(default_factory=ReportConfig)
    candidates: CandidatesConfig = Field(default_factory=CandidatesConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    goals: dict[str, int | dict[str, int]] = Field(default_factory=dict)
    destinations: list[Destination] = Field(default_factory=list)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> Config:
        for key, value in self.goals.items():
            per_user = value if isinstance(value, dict) else {key: value}
            for metric, target in per_user.items():
                if metric not in TOTAL_KEYS:
                    raise ValueError(
                        f"goals: unknown metric {metric!r} (one of {', '.join(TOTAL_KEYS)})"
                    )
                if target < 0:
                    raise ValueError(f"goals: {metric} must be >= 0")
        names = [d.name for d in self.destinations]
        if len(set(names)) != len(names):
            raise ValueError("destinations: names must be unique")
        return self

    def repo(self, full_name: str) -> RepoConfig:
        """Per-repo settings, defaults where the file has none."""
        return self.repos.get(full_name) or RepoConfig()

    def goals_for(self, login: str) -> dict[str, int]:
        """Weekly goals of one user: top-level defaults, then [goals.LOGIN]."""
        merged = {k: v for k, v in self.goals.items() if isinstance(v, int)}
        own = self.goals.get(login)
        if isinstance(own, dict):
            merged.update(own)
        return merged

    def database_url(self) -> str:
        """The database URL, a relative SQLite path resolved against the config file."""
        return resolve_sqlite_url(self.database.url, self.path.parent if self.path else Path.cwd())


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make `sqlite:///relative.db` relative to `base`; leave other URLs alone."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    path = Path(url[len(prefix) :])
    if not path.is_absolute():
        path = (base / path).resolve()
    return f"{prefix}{path}"


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
