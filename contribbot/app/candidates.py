"""Good-first issues as the commands show and post them (CLI, demo and daemon share this)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from contribbot.candidates.service import Ranked
from contribbot.config import Config
from contribbot.timeutil import last_complete_week

if TYPE_CHECKING:  # sending imports the outbox (SQLAlchemy); listing candidates reads only
    from sqlalchemy import Engine

    from contribbot.deliver.service import SendSummary


def best_first(
    ranked: Mapping[str, Sequence[Ranked]], users: Sequence[str], *, limit: int
) -> list[Ranked]:
    """The first `limit` of each user's list, then all of them best first (taken ones last)."""
    rows = [r for login in users for r in ranked.get(login, [])[:limit]]
    return sorted(rows, key=lambda r: (r.candidate.status == "taken", -r.candidate.score))


def send_digest(
    engine: Engine,
    config: Config,
    *,
    now: datetime,
    clock: Callable[[], datetime],
    only: str | None = None,
) -> tuple[int, SendSummary]:
    """Plan today's digest for destinations with candidates = true (once a day each), send it.

    Returns (messages planned, what the send pass did). Repeating it the same day plans nothing.
    """
    from contribbot.app import jobs
    from contribbot.deliver.service import send_due

    tz = config.report.timezone
    today = now.astimezone(tz).date().isoformat()
    week = last_complete_week(now, tz)
    planned = jobs.plan_candidates(engine, config, period=today, week=week, now=now, only=only)
    return planned, send_due(engine, config=config, only=only, clock=clock)
