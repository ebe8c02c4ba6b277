"""The weekly report model: one set of plain dataclasses feeds every format.

Assembling it lives in ``contribbot.report.assemble``; turning it
into text lives in the ``render_*`` modules and in ``contribbot.deliver``. This
module does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from operator import attrgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contribbot.timeutil import utc_z

Ball = Literal[
    "awaiting_review", "changes_requested", "approved", "draft", "author_replied", "reverted"
]
BALLS: tuple[Ball, ...] = (
    "awaiting_review",
    "changes_requested",
    "approved",
    "draft",
    "author_replied",
    "reverted",
)
TOTAL_KEYS: tuple[str, ...] = (
    "prs_opened",
    "prs_merged",
    "prs_reverted",
    "prs_closed",
    "issues_opened",
    "issues_closed",
    "reviews_given",
    "comments",
)
# a revert is counted and shown, but it is not something the user did: not a contribution
CONTRIBUTION_KEYS: tuple[str, ...] = tuple(k for k in TOTAL_KEYS if k != "prs_reverted")
HISTORY_WEEKS = 12


@dataclass(frozen=True)
class Totals:
    """Counts of one user's contributions in a window (same rules as `contrib activity`)."""

    prs_opened: int = 0
    prs_merged: int = 0
    prs_closed: int = 0
    issues_opened: int = 0
    issues_closed: int = 0
    reviews_given: int = 0
    comments: int = 0
    prs_reverted: int = 0  # last: positional Totals(...) stay valid

    def total(self) -> int:
        """All contributions together (reverts are not contributions)."""
        return sum(_contribution_counts(self))


_contribution_counts = attrgetter(*CONTRIBUTION_KEYS)


@dataclass(frozen=True)
class ItemRef:
    """A PR or issue event in the window: what happened, to which item, when."""

    repo: str
    number: int
    title: str
    url: str
    at: datetime
    kind: str = ""  # e.g. "pr_merged", "issue_opened", "review"
    state: str | None = None  # review state for reviews (APPROVED, ...)
    merged_by_label: bool = False


@dataclass(frozen=True)
class OpenPR:
    """An open PR of the user, with whose move it is."""

    repo: str
    number: int
    title: str
    url: str
    ball: Ball
    days: int  # days in the current ball state
    opened_at: datetime
    idle_days: int  # days since the PR last changed
    stale: bool  # idle long enough to be at risk of going stale


@dataclass(frozen=True)
class Goal:
    """A weekly goal from config, with this week's progress and its 12-week hit rate."""

    metric: str  # one of TOTAL_KEYS
    target: int
    actual: int
    met: bool
    hit_rate: float  # share of the last 12 weeks (this one included) where it was met
    weeks_met: int
    weeks_counted: int


@dataclass(frozen=True)
class CandidateRef:
    """A good-first-issue suggestion for next week."""

    repo: str
    number: int
    title: str
    url: str
    score: float
    reasons: tuple[str, ...] = ()
    status: str = "free"
    new: bool = False


@dataclass(frozen=True)
class UserReport:
    """Everything the report says about one user."""

    login: str
    totals: Totals
    previous_totals: Totals
    open_prs: tuple[OpenPR, ...] = ()
    merged_prs: tuple[ItemRef, ...] = ()
    reverted_prs: tuple[ItemRef, ...] = ()
    opened_prs: tuple[ItemRef, ...] = ()
    reviews: tuple[ItemRef, ...] = ()
    issues: tuple[ItemRef, ...] = ()
    time_to_first_review_hours: float | None = None
    time_to_merge_hours: float | None = None
    # the same medians for everyone else's PRs in the user's repos, last 90 days
    repo_time_to_first_review_hours: float | None = None
    repo_time_to_merge_hours: float | None = None
    streak_weeks: int = 0
    merged_streak_weeks: int = 0
    goals: tuple[Goal, ...] = ()
    candidates: tuple[CandidateRef, ...] = ()
    # contributions per week, oldest first, the report's week last
    history: tuple[int, ...] = ()
    history_weeks: tuple[str, ...] = ()  # ISO week labels matching `history`


@dataclass(frozen=True)
class WeeklyReport:
    """The report for one window (normally one ISO week) and one or more users."""

    week: str | None  # "2026-W47", or None for a custom --since/--until window
    start: datetime
    end: datetime
    timezone: str
    generated_at: datetime
    data_as_of: datetime | None  # when the data was last synced, for a freshness line
    users: tuple[UserReport, ...] = field(default_factory=tuple)

    @property
    def zone(self) -> tzinfo:
        """The report's time zone, UTC when its name is unknown here."""
        return _zone(self.timezone)

    @property
    def last_day(self) -> date:
        """The last day the window covers, in its time zone: the end is exclusive, so a
        window ending at midnight ends on the day before."""
        end = self.end.astimezone(self.zone)
        if end.time() == time(0) and end > self.start:
            return end.date() - timedelta(days=1)
        return end.date()

    @property
    def title(self) -> str:
        """A short human title, e.g. "Week 2026-W47" or "2026-11-01 – 2026-11-14" (inclusive)."""
        if self.week:
            return f"Week {self.week}"
        return f"{self.start.astimezone(self.zone):%Y-%m-%d} \N{EN DASH} {self.last_day:%Y-%m-%d}"


@lru_cache(maxsize=32)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _item_json(item: ItemRef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "repo": item.repo,
        "number": item.number,
        "title": item.title,
        "url": item.url,
        "at": utc_z(item.at),
        "kind": item.kind,
    }
    if item.state is not None:
        out["state"] = item.state
    if item.merged_by_label:
        out["merged_by_label"] = True
    return out


def _open_pr_json(pr: OpenPR) -> dict[str, Any]:
    return {
        "repo": pr.repo,
        "number": pr.number,
        "title": pr.title,
        "url": pr.url,
        "ball": pr.ball,
        "days": pr.days,
        "idle_days": pr.idle_days,
        "stale": pr.stale,
        "opened_at": utc_z(pr.opened_at),
    }


def _fields_json(value: Totals | Goal) -> dict[str, Any]:
    """Every field, in the order declared (what dataclasses.asdict gives, without its
    deep copies: these hold only numbers)."""
    return {name: getattr(value, name) for name in _FIELDS[type(value)]}


def _candidate_json(cand: CandidateRef) -> dict[str, Any]:
    out = {name: getattr(cand, name) for name in _FIELDS[CandidateRef]}
    out["reasons"] = list(cand.reasons)
    return out


_FIELDS = {cls: _names(cls) for cls in (Totals, Goal, CandidateRef)}


def _user_json(user: UserReport) -> dict[str, Any]:
    return {
        "login": user.login,
        "totals": _fields_json(user.totals),
        "previous_totals": _fields_json(user.previous_totals),
        "open_prs": [_open_pr_json(p) for p in user.open_prs],
        "merged_prs": [_item_json(i) for i in user.merged_prs],
        "reverted_prs": [_item_json(i) for i in user.reverted_prs],
        "opened_prs": [_item_json(i) for i in user.opened_prs],
        "reviews": [_item_json(i) for i in user.reviews],
        "issues": [_item_json(i) for i in user.issues],
        "time_to_first_review_hours": user.time_to_first_review_hours,
        "time_to_merge_hours": user.time_to_merge_hours,
        "repo_time_to_first_review_hours": user.repo_time_to_first_review_hours,
        "repo_time_to_merge_hours": user.repo_time_to_merge_hours,
        "streak_weeks": user.streak_weeks,
        "merged_streak_weeks": user.merged_streak_weeks,
        "goals": [_fields_json(g) for g in user.goals],
        "candidates": [_candidate_json(c) for c in user.candidates],
        "history": list(user.history),
        "history_weeks": list(user.history_weeks),
    }


def report_to_json(report: WeeklyReport) -> dict[str, Any]:
    """The JSON contract of `contrib report --format json`."""
    return {
        "week": report.week,
        "start": utc_z(report.start),  # every timestamp is UTC with a Z; "timezone" says
        "end": utc_z(report.end),  # where the week's days are
        "timezone": report.timezone,
        "generated_at": utc_z(report.generated_at),
        "data_as_of": utc_z(report.data_as_of) if report.data_as_of else None,
        "users": [_user_json(u) for u in report.users],
    }
