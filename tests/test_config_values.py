"""config/values.py: [schedule], [workers] and [report] timezone parsed once into typed values."""

from __future__ import annotations

from datetime import UTC, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contribbot.config import Config, parse_config
from contribbot.errors import ConfigError
from contribbot.timeutil import WeeklyTime, format_duration

PATH = Path("contrib.toml")


def load(section: str, key: str, value: str) -> Config:
    text = f'[{section}]\n{key} = "{value}"\n'
    return parse_config({section: {key: value}}, path=PATH, text=text)


def test_defaults_are_typed():
    schedule = Config().schedule
    assert schedule.poll_every == timedelta(minutes=15)
    assert schedule.report == WeeklyTime(0, time(9))
    assert schedule.candidates == timedelta(days=1)
    assert schedule.daily == time(9)
    assert schedule.timezone is UTC
    assert schedule.misfire_grace == timedelta(days=1)
    assert Config().workers.lease == timedelta(seconds=60)
    assert Config().report.timezone is UTC


@pytest.mark.parametrize(
    ("section", "key", "text", "value"),
    [
        ("schedule", "poll_every", "90s", timedelta(seconds=90)),
        ("schedule", "poll_every", " 2h ", timedelta(hours=2)),
        ("schedule", "candidates", "10m", timedelta(minutes=10)),
        ("schedule", "misfire_grace", "1d", timedelta(days=1)),
        ("schedule", "report", "mon 09:00", WeeklyTime(0, time(9))),
        ("schedule", "report", "Friday 17:30:15", WeeklyTime(4, time(17, 30, 15))),
        ("schedule", "daily", "8:05", time(8, 5)),
        ("schedule", "timezone", "Europe/Berlin", ZoneInfo("Europe/Berlin")),
        ("schedule", "timezone", "utc", UTC),
        ("report", "timezone", "America/New_York", ZoneInfo("America/New_York")),
        ("workers", "lease", "3s", timedelta(seconds=3)),
        ("workers", "idle", "1m", timedelta(minutes=1)),
    ],
)
def test_good_value_is_parsed_once(section, key, text, value):
    assert getattr(getattr(load(section, key, text), section), key) == value


@pytest.mark.parametrize(
    ("section", "key", "text", "line"),
    [
        ("schedule", "poll_every", "soon", "'soon' is not a duration like 15m, 2h or 1d"),
        ("schedule", "poll_every", "15 minutes", "'15 minutes' is not a duration like 15m"),
        ("schedule", "poll_every", "30s", "'30s' is too short: it must be at least 1m"),
        ("schedule", "poll_every", "400d", "'400d' is longer than a year"),
        ("schedule", "candidates", "5m", "'5m' is too short: it must be at least 10m"),
        ("schedule", "misfire_grace", "0s", "'0s' is too short: it must be at least 1m"),
        ("schedule", "report", "monday", "'monday' is not a weekly time like \"mon 09:00\""),
        ("schedule", "report", "someday 09:00", 'is not a weekly time like "mon 09:00"'),
        ("schedule", "report", "mon 25:00", "'25:00' is not a time like 09:00"),
        ("schedule", "daily", "9am", "'9am' is not a time like 09:00"),
        ("schedule", "timezone", "Mars/Base", "unknown time zone 'Mars/Base'"),
        ("report", "timezone", "Berlin", "unknown time zone 'Berlin'"),
        ("workers", "lease", "-1s", "'-1s' is not a duration like 15m"),
        ("workers", "idle", "", "'' is not a duration like 15m"),
    ],
)
def test_bad_value_is_one_line_naming_file_line_and_key(section, key, text, line):
    with pytest.raises(ConfigError) as caught:
        load(section, key, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"contrib.toml:2: {section}.{key}: ")
    assert line in message


def test_a_number_where_a_duration_belongs_is_refused():
    with pytest.raises(ConfigError, match=r"schedule\.poll_every: expected a string, got int 900"):
        parse_config({"schedule": {"poll_every": 900}}, path=PATH)


def test_every_bad_value_gets_its_own_line():
    raw = {"schedule": {"poll_every": "x", "daily": "y", "timezone": "Nowhere/Land"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, path=PATH)
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "schedule.poll_every",
        "schedule.daily",
        "schedule.timezone",
    ]


@pytest.mark.parametrize("text", ["45s", "15m", "2h", "1d", "90m"])
def test_format_duration_gives_back_what_the_user_wrote(text):
    assert format_duration(load("workers", "lease", text).workers.lease) == text


def test_weekly_time_reads_back_as_written():
    assert str(load("schedule", "report", "Friday 17:30").schedule.report) == "fri 17:30"
