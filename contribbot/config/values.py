"""The typed values a config parses into: logins, repositories, durations, weekly times,
times of day and time zones. Each turns a string into its value once, at load, or names
what is wrong with it in one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta, tzinfo
from typing import Annotated, TypeVar

from pydantic import AfterValidator, PlainSerializer, PlainValidator

from contribbot.errors import UsageError
from contribbot.timeutil import (
    WeeklyTime,
    format_duration,
    parse_clock,
    parse_duration,
    parse_weekly,
    zone,
)

LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
T = TypeVar("T")


def _parsed(parse: Callable[[str], T], kind: type[T]) -> Callable[[object], T]:
    """A pydantic validator: a `kind` passes as is, a string goes through `parse`."""

    def validate(value: object) -> T:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
        try:
            return parse(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None

    return validate


def _login(value: str) -> str:
    if not LOGIN_RE.match(value):
        raise ValueError(f"{value!r} is not a GitHub login")
    return value


def _repo(value: str) -> str:
    if not REPO_RE.match(value) or value.endswith((".", "/")):
        raise ValueError(f"{value!r} is not owner/name")
    return value


Login = Annotated[str, AfterValidator(_login)]
RepoName = Annotated[str, AfterValidator(_repo)]
# schedule values, parsed once here: every consumer gets a timedelta, a time or a tzinfo
Duration = Annotated[
    timedelta, PlainValidator(_parsed(parse_duration, timedelta)), PlainSerializer(format_duration)
]
Weekly = Annotated[
    WeeklyTime, PlainValidator(_parsed(parse_weekly, WeeklyTime)), PlainSerializer(str)
]
TimeOfDay = Annotated[time, PlainValidator(_parsed(parse_clock, time)), PlainSerializer(str)]
Zone = Annotated[tzinfo, PlainValidator(_parsed(zone, tzinfo)), PlainSerializer(str)]
