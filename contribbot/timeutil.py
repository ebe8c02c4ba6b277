"""Pure time helpers: parsing user input, ISO weeks in a time zone, UTC formatting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contribbot.errors import UsageError

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION_S = 366 * 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def zone(name: str) -> tzinfo:
    """The time zone called `name` (IANA), or a UsageError naming it."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from None


def parse_time(text: str, tz: tzinfo, *, option: str = "time") -> datetime:
    """Parse ISO 8601; a date alone is midnight in `tz`; a naive time is taken in `tz`."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not an ISO 8601 time (e.g. 2026-11-16 or 2026-11-16T09:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def check_window(since: datetime, until: datetime) -> None:
    """Refuse a window whose start is after its end."""
    if since > until:
        raise UsageError(f"--since ({since.isoformat()}) is after --until ({until.isoformat()})")


def week_bounds(week: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Monday 00:00 (inclusive) to the next Monday 00:00 (exclusive) of ISO week `week` in `tz`."""
    match = WEEK_RE.match(week.strip())
    if not match:
        raise UsageError(f"--week: {week!r} is not an ISO week like 2026-W47")
    year, number = int(match.group(1)), int(match.group(2))
    if not 1970 <= year <= 9998:
        raise UsageError(f"--week: {week!r} is out of range (years 1970 to 9998)")
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise UsageError(f"--week: {year} has no week {number}") from None
    return _local_midnight(monday, tz), _local_midnight(monday + timedelta(days=7), tz)


def week_of(moment: datetime, tz: tzinfo) -> str:
    """The ISO week label (e.g. 2026-W47) that `moment` falls in, in `tz`."""
    year, number, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{number:02d}"


def last_complete_week(now: datetime, tz: tzinfo) -> str:
    """The ISO week before the one `now` falls in."""
    start, _ = week_bounds(week_of(now, tz), tz)
    return week_of(start - timedelta(days=1), tz)


def shift_week(week: str, weeks: int, tz: tzinfo) -> str:
    """The ISO week `weeks` weeks after `week` (negative for before)."""
    start, _ = week_bounds(week, tz)
    return week_of(start + timedelta(days=7 * weeks, hours=12), tz)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # Build midnight in the zone, so a DST change inside the week keeps both ends at 00:00.
    return datetime.combine(day, time(0), tzinfo=tz)


def utc_z(moment: datetime) -> str:
    """Format as UTC with a Z, second precision."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime leaves such a year unpadded; isoformat would pad it
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.isoformat(timespec="seconds")[:19] + "Z"  # a third of strftime's time


def parse_github_time(text: str | None) -> datetime | None:
    """Parse GitHub's `2026-11-17T10:00:00Z` (None stays None)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def as_utc(moment: datetime) -> datetime:
    """Attach UTC to a naive datetime (as SQLite hands them back); convert aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_duration(text: str, *, key: str = "") -> timedelta:
    """Parse `90s`, `15m`, `2h`, `1d`."""
    match = DURATION_RE.match(text)
    if not match:
        raise UsageError(_named(key, f"{text!r} is not a duration like 15m, 2h or 1d"))
    seconds = int(match.group(1)) * DURATION_UNITS[match.group(2)]
    if seconds > MAX_DURATION_S:
        raise UsageError(_named(key, f"{text!r} is longer than a year"))
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The way a user writes `delta`: `15m`, `2h`, `1d` (the largest unit that divides it)."""
    seconds = int(delta.total_seconds())
    for unit, size in sorted(DURATION_UNITS.items(), key=lambda item: -item[1]):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def humanize_ago(delta: timedelta) -> str:
    """`3 days ago`, `5 hours ago`, `just now`."""
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        minutes = seconds // 60
        return "just now" if minutes < 1 else f"{minutes} min ago"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


def parse_clock(text: str, *, key: str = "") -> time:
    """`09:00` or `09:00:30`."""
    match = CLOCK_RE.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise UsageError(_named(key, f"{text!r} is not a time like 09:00"))
    return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


@dataclass(frozen=True)
class WeeklyTime:
    """A weekday (Monday is 0) and a time of day: what `mon 09:00` means."""

    weekday: int
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


def parse_weekly(text: str, *, key: str = "") -> WeeklyTime:
    """`mon 09:00` -> WeeklyTime(0, 09:00)."""
    parts = text.strip().lower().split()
    names = {**{d: i for i, d in enumerate(WEEKDAYS)}, **{d: i for i, d in enumerate(DAY_NAMES)}}
    if len(parts) != 2 or parts[0] not in names:
        raise UsageError(_named(key, f'{text!r} is not a weekly time like "mon 09:00"'))
    return WeeklyTime(names[parts[0]], parse_clock(parts[1], key=key))


def _named(key: str, message: str) -> str:
    return f"{key}: {message}" if key else message


def last_weekly_fire(now: datetime, weekly: WeeklyTime, tz: tzinfo) -> datetime:
    """The latest moment <= now that is `weekly` (a weekday at a time) in `tz`."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekly.weekday) % 7)
    fire = datetime.combine(day, weekly.at, tzinfo=tz)
    return fire if fire <= now else fire - timedelta(days=7)


def last_daily_fire(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The latest moment <= now that is `at` in `tz`."""
    local = now.astimezone(tz)
    fire = datetime.combine(local.date(), at, tzinfo=tz)
    return fire if fire <= now else fire - timedelta(days=1)
