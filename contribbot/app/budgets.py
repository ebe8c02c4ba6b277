"""Each token's rate-limit budget, shared by the workers through the database.

A worker publishes what it last saw of each token (by its identity, a hash: never the
token) every few seconds and reads what the others saw, so a token another worker
drained is known to be dry here too. Sharing is best effort: when two workers write
the same row at once, one of them skips its turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from contribbot.github.parse import RateLimit
from contribbot.github.pool import newest
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.timeutil import parse_github_time, utc_z

PREFIX = "budget:"


class DatabaseBoard:
    """A BudgetBoard in the `sync_state` table (`budget:IDENTITY:RESOURCE`)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.clock = clock

    def exchange(self, seen: dict[str, RateLimit]) -> dict[str, RateLimit]:
        """Publish `seen`, merged with what is stored; return every worker's latest."""
        try:
            with session_scope(self.engine) as session:
                stored = {
                    key.removeprefix(PREFIX): _load(key.removeprefix(PREFIX), row.value)
                    for key, row in save.states_with_prefix(session, prefix=PREFIX).items()
                }
                merged = {k: v for k, v in stored.items() if v is not None}
                for key, rate in seen.items():
                    best = newest(merged.get(key), rate)
                    if best is not None and best != merged.get(key):
                        merged[key] = best
                        save.set_state(
                            session, key=PREFIX + key, value=_dump(best), now=self.clock()
                        )
                return merged
        except DBAPIError:  # a race on a new row; the next exchange catches up
            return dict(seen)


def _dump(rate: RateLimit) -> str:
    return json.dumps(
        {
            "limit": rate.limit,
            "remaining": rate.remaining,
            "used": rate.used,
            "reset": utc_z(rate.reset),
        }
    )


def _load(key: str, text: str) -> RateLimit | None:
    try:
        data = json.loads(text)
        reset = parse_github_time(data["reset"])
    except (ValueError, KeyError, TypeError):
        return None
    if reset is None:
        return None
    resource = key.rsplit(":", 1)[-1]
    return RateLimit(resource, int(data["limit"]), int(data["remaining"]), int(data["used"]), reset)
