"""The sync: what to fetch next from GitHub, fetching it, and saving it page by page."""

from contribbot.sync.fetch import Fetcher
from contribbot.sync.run import (
    STREAMS,
    Progress,
    RepoOutcome,
    StopRequested,
    Sync,
    SyncResult,
)

__all__ = [
    "STREAMS",
    "Fetcher",
    "Progress",
    "RepoOutcome",
    "StopRequested",
    "Sync",
    "SyncResult",
]
