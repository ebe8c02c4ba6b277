"""The configuration's sections, validated once: what the user asked for, as typed values."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contribbot.config.values import Duration, Login, RepoName, TimeOfDay, Weekly, Zone
from contribbot.report.model import TOTAL_KEYS
from contribbot.timeutil import WeeklyTime, format_duration

DEFAULT_MERGED_LABELS = ["Merged"]
DEFAULT_REVERTED_LABELS = ["Reverted"]
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
MIN_INTERVALS = {
    "poll_every": timedelta(minutes=1),
    "candidates": timedelta(minutes=10),
    "misfire_grace": timedelta(minutes=1),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GitHubAppConfig(_Strict):
    """[github.app]: authenticate as a GitHub App's installation(s) (contribbot.github.auth)."""

    id: int = Field(gt=0)
    private_key_path: str = Field(min_length=1)  # the App's .pem (relative: to this file)
    installation_id: int | None = Field(default=None, gt=0)  # default: every installation


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
    app: GitHubAppConfig | None = None

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_way_in(self) -> GitHubConfig:
        if self.app is not None and (self.token.get_secret_value() or self.tokens):
            raise ValueError("set [github] token/tokens or [github.app], not both")
        return self


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
