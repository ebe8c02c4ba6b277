"""What the daemon and a worker both run with: the config, the database, the GitHub client,
the clock, and the stop flag (also what the client waits on for a rate-limit reset, so
SIGTERM cuts that wait short)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from contribbot.config import Config
from contribbot.github.client import GitHubClient


def utc_now() -> datetime:
    """The wall clock, in UTC (the default clock)."""
    return datetime.now(UTC)


class JobHost:
    """The common set-up of `contrib daemon` and `contrib worker`; `_setup` adds each one's own."""

    def __init__(
        self,
        *,
        config: Config,
        engine: Engine,
        client: GitHubClient,
        clock: Callable[[], datetime] = utc_now,
        stopping: threading.Event | None = None,
    ) -> None:
        self.config, self.engine, self.client, self.clock = config, engine, client, clock
        self.stopping = stopping or threading.Event()
        self._setup()

    def _setup(self) -> None:
        """The subclass's own state, made once the shared part is there."""
