"""Time parsing and ISO weeks, including a week that crosses a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from contribbot.errors import UsageError
from contribbot.timeutil import (
    last_complete_week,
    parse_duration,
    parse_time,
    shift_week,
    utc_z,
    week_bounds,
    week_of,
    zone,
)


def test_date_alone_is_midnight_in_the_zone():
    berlin = zone("Europe/Berlin")
    moment = parse_time("2026-11-16", berlin)
    assert moment.astimezone(UTC) == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)


def test_z_and_offsets_parse():
    assert parse_time("2026-11-17T10:00:00Z", UTC) == datetime(2026, 11, 17, 10, tzinfo=UTC)
    assert parse_time("2026-11-17T10:00+02:00", UTC) == datetime(2026, 11, 17, 8, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "2026-11-17T25:00"])
def test_bad_times_are_usage_errors(bad):
    with pytest.raises(UsageError, match="not an ISO 8601 time"):
        parse_time(bad, UTC, option="--since")


def test_week_bounds_utc():
    start, end = week_bounds("2026-W47", UTC)
    assert start == datetime(2026, 11, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 23, tzinfo=UTC)


def test_week_across_dst_end_is_169_hours_and_starts_at_local_midnight():
    berlin = zone("Europe/Berlin")
    start, end = week_bounds("2026-W43", berlin)  # DST ends Sunday 2026-10-25
    assert start.hour == 0 and end.hour == 0
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=169)


@pytest.mark.parametrize("bad", ["2026-47", "2026-W54", "W47", "2026-W00"])
def test_bad_weeks(bad):
    with pytest.raises(UsageError):
        week_bounds(bad, UTC)


def test_last_complete_week_and_shift():
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)  # a Saturday in W47
    assert week_of(now, UTC) == "2026-W47"
    assert last_complete_week(now, UTC) == "2026-W46"
    assert shift_week("2026-W01", -1, UTC) == "2025-W52"


def test_durations():
    assert parse_duration("15m", key="k") == timedelta(minutes=15)
    with pytest.raises(UsageError):
        parse_duration("soon", key="schedule.poll_every")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 9, 10, 0, 5, 999_999, tzinfo=UTC),  # microseconds dropped, not rounded
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2027, 1, 1, 0, 59, tzinfo=timezone(timedelta(hours=1))),  # the year before
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),  # a three-digit year stays unpadded
    ],
)
def test_utc_z_prints_what_strftime_prints(moment):
    assert utc_z(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
