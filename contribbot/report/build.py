"""Database -> WeeklyReport. Every count uses `contribbot.activity`, so the report and
`contrib activity` agree by construction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlmodel import Session

from contribbot.activity import TOTAL_OF_KIND, Contribution, contributions, counts_by_period
from contribbot.config import Config
from contribbot.report.model import (
    HISTORY_WEEKS,
    TOTAL_KEYS,
    CandidateRef,
    Goal,
    ItemRef,
    Totals,
    UserReport,
    WeeklyReport,
)
from contribbot.report.pulls import open_prs
from contribbot.report.speed import Speed, review_speeds
from contribbot.store import save
from contribbot.timeutil import parse_github_time, shift_week, week_bounds, week_of

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
class _History:
    """Weekly totals per user for the streak lookback, oldest week first."""

    weeks: tuple[str, ...]
    counts: Mapping[str, Sequence[Mapping[str, int]]]  # lower-cased login -> one per week
    in_progress: bool  # the last week has not ended yet (as of the report)

    def of(self, login: str) -> Sequence[Mapping[str, int]]:
        """One user's weeks (all zero for an unknown user)."""
        return self.counts.get(login.lower()) or [dict.fromkeys(TOTAL_KEYS, 0)] * len(self.weeks)


def build_report(
    session: Session,
    *,
    config: Config,
    users: Sequence[str],
    window: Window,
    now: datetime,
    candidates: Mapping[str, Sequence[CandidateRef]] | None = None,
) -> WeeklyReport:
    """The report for `users` over `window`, as of `now` (never later than the window's end)."""
    as_of = min(now, window.end)
    previous_start, previous_end = window.previous()
    items = contributions(session, users=users, since=previous_start, until=window.end)
    history = _history(session, users=users, window=window, as_of=as_of)
    pulls = open_prs(
        session, users=users, as_of=as_of, stale_after_days=config.report.stale_after_days
    )
    speeds = review_speeds(session, users=users, repos=config.track.repos, as_of=as_of)
    by_user: dict[str, list[Contribution]] = defaultdict(list)
    for item in items:
        by_user[item.user.lower()].append(item)
    reports = []
    for login in users:
        mine = by_user.get(login.lower(), [])
        weekly = history.of(login)
        speed = speeds.get(login.lower(), Speed())
        chart, chart_weeks = _chart(weekly, history.weeks)
        reports.append(
            UserReport(
                login=login,
                totals=_totals(mine, window.start, window.end),
                previous_totals=_totals(mine, previous_start, previous_end),
                open_prs=tuple(pulls.get(login.lower(), ())),
                merged_prs=_refs(mine, window, "pr_merged"),
                opened_prs=_refs(mine, window, "pr_opened"),
                reviews=_refs(mine, window, "review"),
                issues=_refs(mine, window, "issue_opened", "issue_closed"),
                time_to_first_review_hours=speed.first_review,
                time_to_merge_hours=speed.merge,
                repo_time_to_first_review_hours=speed.others_first_review,
                repo_time_to_merge_hours=speed.others_merge,
                streak_weeks=_streak(weekly, None, in_progress=history.in_progress),
                merged_streak_weeks=_streak(weekly, "prs_merged", in_progress=history.in_progress),
                goals=_goals(config.goals_for(login), weekly),
                candidates=tuple((candidates or {}).get(login, ())[: config.report.candidates]),
                history=chart,
                history_weeks=chart_weeks,
            )
        )
    return WeeklyReport(
        week=window.week,
        start=window.start,
        end=window.end,
        timezone=window.tz_name,
        generated_at=now,
        data_as_of=_data_as_of(session),
        users=tuple(reports),
    )


def _history(
    session: Session, *, users: Sequence[str], window: Window, as_of: datetime
) -> _History:
    """The last STREAK_WEEKS ISO weeks up to the window's end, counted in one query."""
    last = window.week or week_of(window.end - timedelta(microseconds=1), window.tz)
    weeks = tuple(shift_week(last, -back, window.tz) for back in range(STREAK_WEEKS - 1, -1, -1))
    starts = [week_bounds(week, window.tz)[0] for week in weeks]
    last_end = week_bounds(last, window.tz)[1]
    # the last week may be cut short (a custom window, or a week still going on):
    # nothing after the report's moment counts
    edges = [*starts, max(starts[-1], min(last_end, as_of))]
    counts = counts_by_period(session, users=users, edges=edges)
    return _History(weeks=weeks, counts=counts, in_progress=as_of < last_end)


def _chart(
    weekly: Sequence[Mapping[str, int]], weeks: Sequence[str]
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The last HISTORY_WEEKS for the chart; none for a user with nothing in the lookback."""
    if not any(sum(week.values()) for week in weekly):
        return (), ()  # "No history yet." reads better than a flat line
    recent = weekly[-HISTORY_WEEKS:]
    return tuple(sum(w.values()) for w in recent), tuple(weeks[-HISTORY_WEEKS:])


def _totals(items: Sequence[Contribution], start: datetime, end: datetime) -> Totals:
    counts = dict.fromkeys(TOTAL_KEYS, 0)
    for item in items:
        if start <= item.at < end:
            counts[TOTAL_OF_KIND[item.kind]] += 1
    return Totals(**counts)


def _streak(weekly: Sequence[Mapping[str, int]], key: str | None, *, in_progress: bool) -> int:
    """Weeks in a row, back from the last, with a contribution (key None) or with `key`.

    A week still in progress without one yet does not break the streak (nor extend it).
    """
    values = [sum(week.values()) if key is None else week[key] for week in weekly]
    if in_progress and values and values[-1] == 0:
        values.pop()
    count = 0
    for value in reversed(values):
        if value <= 0:
            break
        count += 1
    return count


def _goals(targets: Mapping[str, int], weekly: Sequence[Mapping[str, int]]) -> tuple[Goal, ...]:
    recent = weekly[-HISTORY_WEEKS:]
    goals = []
    for metric, target in targets.items():
        met_weeks = sum(1 for week in recent if week[metric] >= target)
        actual = recent[-1][metric]
        goals.append(
            Goal(
                metric=metric,
                target=target,
                actual=actual,
                met=actual >= target,
                hit_rate=round(met_weeks / len(recent), 2),
                weeks_met=met_weeks,
                weeks_counted=len(recent),
            )
        )
    return tuple(goals)


def _refs(items: Sequence[Contribution], window: Window, *kinds: str) -> tuple[ItemRef, ...]:
    return tuple(
        ItemRef(
            repo=i.repo,
            number=i.number,
            title=i.title,
            url=i.url,
            at=i.at,
            kind=i.kind,
            state=i.state,
            merged_by_label=i.merged_by_label,
        )
        for i in items
        if i.kind in kinds and window.start <= i.at < window.end
    )


def _data_as_of(session: Session) -> datetime | None:
    stamps = [
        parse_github_time(row.value)
        for key, row in save.states_with_prefix(session, prefix="repo:").items()
        if key.endswith(":synced_at")
    ]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def resolve_window(
    *, week: str | None, since: str | None, until: str | None, tz_name: str, now: datetime
) -> Window:
    """The report window from --week or --since/--until; default: the last complete week."""
    from contribbot.errors import UsageError
    from contribbot.timeutil import check_window, last_complete_week, parse_time, zone

    tz = zone(tz_name)
    if week and (since or until):
        raise UsageError("use either --week or --since/--until, not both")
    if since or until:
        end = parse_time(until, tz, option="--until") if until else now
        start = parse_time(since, tz, option="--since") if since else end - timedelta(days=7)
        check_window(start, end)
        return Window(start=start, end=end, week=None, tz=tz, tz_name=tz_name)
    label = week.strip() if week else last_complete_week(now, tz)
    start, end = week_bounds(label, tz)
    return Window(start=start, end=end, week=label, tz=tz, tz_name=tz_name)
