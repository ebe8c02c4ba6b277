"""Time windows the commands accept, from their options (pure: `now` is passed in)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from contribbot.timeutil import check_window, parse_time

DEFAULT_SPAN = timedelta(days=7)


def activity_window(
    since: str | None, until: str | None, tz: tzinfo, *, now: datetime
) -> tuple[datetime, datetime]:
    """--since (inclusive) to --until (exclusive); default: the 7 days before now."""
    end = parse_time(until, tz, option="--until") if until else now
    start = parse_time(since, tz, option="--since") if since else end - DEFAULT_SPAN
    check_window(start, end)
    return start, end
