"""Configuration: what the user asked for, found, read and validated once into typed values.

load.py finds and reads the TOML file, model.py declares its sections, values.py the
typed values (durations, weekly times, time zones...) the sections parse into.
"""

from __future__ import annotations

from contribbot.config.load import find_config, load_config, parse_config, user_config_path
from contribbot.config.model import (
    CandidatesConfig,
    Config,
    DatabaseConfig,
    Destination,
    GitHubConfig,
    RepoConfig,
    ReportConfig,
    ScheduleConfig,
    SlackDestination,
    TrackConfig,
    WorkersConfig,
    ZulipDestination,
    resolve_sqlite_url,
)
from contribbot.config.values import LOGIN_RE
from contribbot.secrets import is_github_com, resolve_token

__all__ = [
    "LOGIN_RE",
    "CandidatesConfig",
    "Config",
    "DatabaseConfig",
    "Destination",
    "GitHubConfig",
    "RepoConfig",
    "ReportConfig",
    "ScheduleConfig",
    "SlackDestination",
    "TrackConfig",
    "WorkersConfig",
    "ZulipDestination",
    "find_config",
    "is_github_com",
    "load_config",
    "parse_config",
    "resolve_sqlite_url",
    "resolve_token",
    "user_config_path",
]
