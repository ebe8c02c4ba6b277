"""Pure: the plain facts of a report -> WeeklyReport (totals, lists, streaks, goals, speeds)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING

from contribbot.report.facts import ReportFacts
from contribbot.report.model import (
    CONTRIBUTION_KEYS,
    HISTORY_WEEKS,
    TOTAL_KEYS,
    Goal,
    ItemRef,
    OpenPR,
    Totals,
    UserReport,
    WeeklyReport,
)
from contribbot.report.pulls import open_prs
from contribbot.report.speed import Speed, review_speeds
from contribbot.report.window import HistorySpan, Window, as_of, history_span

if TYPE_CHECKING:
    from contribbot.activity import Contribution


# which list of a user's week each kind of contribution goes to (the others are counted only)
LISTED = {
    "pr_merged": "merged_prs",
    "pr_reverted": "reverted_prs",
    "pr_opened": "opened_prs",
    "review": "reviews",
    "issue_opened": "issues",
    "issue_closed": "issues",
}


def assemble(facts: ReportFacts, window: Window, now: datetime) -> WeeklyReport:
    """The report for `facts.users` over `window`, as of `now` (never later than its end)."""
    moment = as_of(window, now)
    span = history_span(window, moment)
    pulls = open_prs(facts.open_prs, as_of=moment, stale_after_days=facts.settings.stale_after_days)
    speeds = review_speeds(
        facts.recent_prs, users=facts.users, tracked=facts.tracked_repo_ids, as_of=moment
    )
    by_user: dict[str, list[Contribution]] = defaultdict(list)
    for item in facts.contributions:
        by_user[item.user.lower()].append(item)
    week = _Week(window, facts.total_of_kind)
    reports = tuple(
        _user(
            facts,
            span,
            login,
            week.of(by_user.get(login.lower(), ())),
            pulls,
            speeds.get(login.lower(), Speed()),
        )
        for login in facts.users
    )
    return WeeklyReport(
        week=window.week,
        start=window.start,
        end=window.end,
        timezone=window.tz_name,
        generated_at=now,
        data_as_of=facts.data_as_of,
        users=reports,
    )


@dataclass
class _UserWeek:
    """One user's contributions in the window (listed by kind) and in the one before."""

    totals: Totals
    previous_totals: Totals
    lists: dict[str, list[ItemRef]]


class _Week:
    """Sorts a user's contributions into the window and the one before, in one pass."""

    def __init__(self, window: Window, total_of_kind: Mapping[str, str]) -> None:
        self.start, self.end = window.start, window.end
        self.previous_start, self.previous_end = window.previous()
        self.total_of_kind = total_of_kind

    def of(self, items: Sequence[Contribution]) -> _UserWeek:
        """Counts of both windows, and the window's items for the lists, in their order."""
        counts, previous = dict.fromkeys(TOTAL_KEYS, 0), dict.fromkeys(TOTAL_KEYS, 0)
        lists: dict[str, list[ItemRef]] = {name: [] for name in LISTED.values()}
        for item in items:
            if self.start <= item.at < self.end:
                counts[self.total_of_kind[item.kind]] += 1
                name = LISTED.get(item.kind)
                if name is not None:
                    lists[name].append(_ref(item))
            if self.previous_start <= item.at < self.previous_end:
                previous[self.total_of_kind[item.kind]] += 1
        return _UserWeek(Totals(**counts), Totals(**previous), lists)


def _user(
    facts: ReportFacts,
    span: HistorySpan,
    login: str,
    week: _UserWeek,
    pulls: Mapping[str, Sequence[OpenPR]],
    speed: Speed,
) -> UserReport:
    weekly = facts.weekly.get(login.lower()) or [dict.fromkeys(TOTAL_KEYS, 0)] * len(span.weeks)
    contributed = list(map(sum, map(_contribution_counts, weekly)))
    chart, chart_weeks = _chart(contributed, span.weeks)
    settings = facts.settings
    goals = settings.goals.get(login, {})
    return UserReport(
        login=login,
        totals=week.totals,
        previous_totals=week.previous_totals,
        open_prs=tuple(pulls.get(login.lower(), ())),
        merged_prs=tuple(week.lists["merged_prs"]),
        reverted_prs=tuple(week.lists["reverted_prs"]),
        opened_prs=tuple(week.lists["opened_prs"]),
        reviews=tuple(week.lists["reviews"]),
        issues=tuple(week.lists["issues"]),
        time_to_first_review_hours=speed.first_review,
        time_to_merge_hours=speed.merge,
        repo_time_to_first_review_hours=speed.others_first_review,
        repo_time_to_merge_hours=speed.others_merge,
        streak_weeks=_streak(contributed, in_progress=span.in_progress),
        merged_streak_weeks=_streak(list(map(_merged_count, weekly)), in_progress=span.in_progress),
        goals=_goals(goals, weekly),
        candidates=tuple(facts.candidates.get(login, ())[: settings.candidates]),
        history=chart,
        history_weeks=chart_weeks,
    )


def _chart(
    contributed: Sequence[int], weeks: Sequence[str]
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The last HISTORY_WEEKS for the chart; none for a user with nothing in the lookback."""
    if not any(contributed):
        return (), ()  # "No history yet." reads better than a flat line
    return tuple(contributed[-HISTORY_WEEKS:]), tuple(weeks[-HISTORY_WEEKS:])


# one week's counts of the kinds that are contributions (a revert is not one)
_contribution_counts = itemgetter(*CONTRIBUTION_KEYS)
_merged_count = itemgetter("prs_merged")


def _streak(values: Sequence[int], *, in_progress: bool) -> int:
    """Weeks in a row, back from the last, with a count above zero (`values` per week).

    A week still in progress without one yet does not break the streak (nor extend it).
    """
    values = list(values)
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


def _ref(item: Contribution) -> ItemRef:
    return ItemRef(
        repo=item.repo,
        number=item.number,
        title=item.title,
        url=item.url,
        at=item.at,
        kind=item.kind,
        state=item.state,
        merged_by_label=item.merged_by_label,
    )
