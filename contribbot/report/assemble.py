"""Pure: the plain facts of a report -> WeeklyReport (totals, lists, streaks, goals, speeds)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
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
    reports = tuple(
        _user(
            facts,
            window,
            span,
            login,
            by_user.get(login.lower(), []),
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


def _user(
    facts: ReportFacts,
    window: Window,
    span: HistorySpan,
    login: str,
    mine: Sequence[Contribution],
    pulls: Mapping[str, Sequence[OpenPR]],
    speed: Speed,
) -> UserReport:
    weekly = facts.weekly.get(login.lower()) or [dict.fromkeys(TOTAL_KEYS, 0)] * len(span.weeks)
    contributed = [sum(_contribution_counts(week)) for week in weekly]
    previous_start, previous_end = window.previous()
    chart, chart_weeks = _chart(contributed, span.weeks)
    settings = facts.settings
    goals = settings.goals.get(login, {})
    return UserReport(
        login=login,
        totals=_totals(facts, mine, window.start, window.end),
        previous_totals=_totals(facts, mine, previous_start, previous_end),
        open_prs=tuple(pulls.get(login.lower(), ())),
        merged_prs=_refs(mine, window, "pr_merged"),
        reverted_prs=_refs(mine, window, "pr_reverted"),
        opened_prs=_refs(mine, window, "pr_opened"),
        reviews=_refs(mine, window, "review"),
        issues=_refs(mine, window, "issue_opened", "issue_closed"),
        time_to_first_review_hours=speed.first_review,
        time_to_merge_hours=speed.merge,
        repo_time_to_first_review_hours=speed.others_first_review,
        repo_time_to_merge_hours=speed.others_merge,
        streak_weeks=_streak(contributed, in_progress=span.in_progress),
        merged_streak_weeks=_streak(
            [week["prs_merged"] for week in weekly], in_progress=span.in_progress
        ),
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


def _totals(
    facts: ReportFacts, items: Sequence[Contribution], start: datetime, end: datetime
) -> Totals:
    counts = dict.fromkeys(TOTAL_KEYS, 0)
    for item in items:
        if start <= item.at < end:
            counts[facts.total_of_kind[item.kind]] += 1
    return Totals(**counts)


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
