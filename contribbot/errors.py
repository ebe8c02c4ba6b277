"""The project's exceptions. Only the CLI turns them into a line and an exit code."""

from __future__ import annotations


class ContribError(Exception):
    """A problem the user can act on; `exit_code` is what the CLI exits with."""

    exit_code = 1


class UsageError(ContribError):
    """Bad input: a malformed config, an unparsable time, a bad week string."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file is missing, malformed or invalid."""


class AuthError(ContribError):
    """GitHub rejected the token."""

    exit_code = 2


class RepoNotFound(ContribError):
    """A repository does not exist or the token cannot see it."""


class BusyError(ContribError):
    """Another contribbot process holds the database lock."""

    exit_code = 3
