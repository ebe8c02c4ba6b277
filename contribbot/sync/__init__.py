"""The sync: what to fetch next from GitHub (plan), fetching and saving it (driver, run)."""

from contribbot.sync.driver import (
    Progress,
    RepoOutcome,
    Spend,
    StopRequested,
    SyncResult,
)
from contribbot.sync.fetch import Fetcher
from contribbot.sync.run import STREAMS, Sync

__all__ = [
    "STREAMS",
    "Fetcher",
    "Progress",
    "RepoOutcome",
    "Spend",
    "StopRequested",
    "Sync",
    "SyncResult",
]
