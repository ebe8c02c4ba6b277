"""What a report covers: an ISO week or a custom span, and the weeks of its history.

*Pure*: time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from contribbot.errors import UsageError
from contribbot.timeutil import (
    check_window,
    last_complete_week,
    parse_time,
    shift_week,
    week_bounds,
    week_of,
)

STREAK_WEEKS = 52  # how far back a streak is counted


@dataclass(frozen=True)
class Window:
    """What the report covers: an ISO week, or a custom --since/--until span."""

    start: datetime
    end: datetime
    week: str | None
    tz: tzinfo
    tz_name: str

    def previous(self) -> tuple[datetime, datetime]:
        """The window before: the previous ISO week, or the same span just before start."""
        if self.week:  # not start - 7 days: a week with a DST change is 167 or 169 hours
            return week_bounds(shift_week(self.week, -1, self.tz), self.tz)
        return self.start - (self.end - self.start), self.start


@dataclass(frozen=True)
class HistorySpan:
    """The STREAK_WEEKS ISO weeks up to the window's end, and the edges that count them."""

    weeks: tuple[str, ...]
    edges: tuple[datetime, ...]  # one more than weeks; the last may be cut short
    in_progress: bool  # the last week has not ended yet (as of the report)


def as_of(window: Window, now: datetime) -> datetime:
    """The report's moment: now, but never later than the window's end."""
    return min(now, window.end)


def history_span(window: Window, moment: datetime) -> HistorySpan:
    """The weeks of the streak lookback, as of `moment` (nothing after it counts)."""
    last = window.week or week_of(window.end - timedelta(microseconds=1), window.tz)
    weeks = tuple(shift_week(last, -back, window.tz) for back in range(STREAK_WEEKS - 1, -1, -1))
    starts = [week_bounds(week, window.tz)[0] for week in weeks]
    last_end = week_bounds(last, window.tz)[1]
    # the last week may be cut short (a custom window, or a week still going on)
    edges = (*starts, max(starts[-1], min(last_end, moment)))
    return HistorySpan(weeks=weeks, edges=edges, in_progress=moment < last_end)


def resolve_window(
    *, week: str | None, since: str | None, until: str | None, tz: tzinfo, now: datetime
) -> Window:
    """The report window from --week or --since/--until; default: the last complete week."""
    if week and (since or until):
        raise UsageError("use either --week or --since/--until, not both")
    if since or until:
        end = parse_time(until, tz, option="--until") if until else now
        start = parse_time(since, tz, option="--since") if since else end - timedelta(days=7)
        check_window(start, end)
        return Window(start=start, end=end, week=None, tz=tz, tz_name=str(tz))
    label = week.strip() if week else last_complete_week(now, tz)
    start, end = week_bounds(label, tz)
    return Window(start=start, end=end, week=label, tz=tz, tz_name=str(tz))
