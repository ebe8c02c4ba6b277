"""Sending a week's report by hand: which week may go out, then plan and send through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from contribbot.config import Config
from contribbot.deliver.service import SendSummary, send_due
from contribbot.errors import UsageError
from contribbot.report.window import resolve_window


def week_to_send(config: Config, *, week: str | None, now: datetime) -> str:
    """The ISO week to post (default: the last complete one); refuse a week not over yet.

    A partial week posted now would stand in for the real one for good (the outbox posts a
    week once per destination).
    """
    if not config.destinations:
        raise UsageError(f"{config.path}: no [[destinations]] to send to")
    window = resolve_window(week=week, since=None, until=None, tz=config.report.timezone, now=now)
    label = window.week
    assert label is not None
    if window.end > now:
        raise UsageError(
            f"--week {label} is not over yet: send it after {window.end:%Y-%m-%d %H:%M}"
        )
    return label


def send_weekly(
    engine: Engine,
    config: Config,
    *,
    week: str,
    now: datetime,
    clock: Callable[[], datetime],
    only: str | None = None,
) -> tuple[int, SendSummary]:
    """Plan `week`'s report for every destination that wants it (once each), send what is due."""
    from contribbot.app import jobs

    planned = jobs.deliver_weekly(engine, config, week=week, now=now, only=only)
    return planned, send_due(engine, config=config, only=only, clock=clock)
