"""Database -> WeeklyReport. Every count uses `contribbot.activity`, so the report and
`contrib activity` agree by construction."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from contribbot.activity import TOTAL_OF_KIND, Contribution, contributions
from contribbot.config import Config
from contribbot.report.ball import ReviewEvent, ball_in_court
from contribbot.report.model import (
    HISTORY_WEEKS,
    TOTAL_KEYS,
    CandidateRef,
    Goal,
    ItemRef,
    OpenPR,
    Totals,
    UserReport,
    WeeklyReport,
)
from contribbot.store import save
from contribbot.store.models import Account, Comment, Issue, PullRequest, Repository, Review
from contribbot.timeutil import as_utc, parse_github_time, week_bounds, week_of

STREAK_WEEKS = 52  # how far back a streak is counted
BASELINE_DAYS = 90


@dataclass(frozen=True)
class Window:
    """What the report covers: an ISO week, or a custom --since/--until span."""

    start: datetime
    end: datetime
    week: str | None
    tz: tzinfo
    tz_name: str


@dataclass
class _PRFacts:
    issue: Issue
    repo: str
    author: str
    pr: PullRequest
    reviews: list[ReviewEvent] = field(default_factory=list)
    author_replies: list[datetime] = field(default_factory=list)


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
    weeks = _history_weeks(window)
    history_start = week_bounds(weeks[0], window.tz)[0]
    span = window.end - window.start
    earliest = min(history_start, window.start - span)
    items = contributions(session, users=users, since=earliest, until=window.end)
    by_user: dict[str, list[Contribution]] = defaultdict(list)
    for item in items:
        by_user[item.user.lower()].append(item)
    as_of = min(now, window.end)
    open_prs = _open_prs(session, users=users, as_of=as_of)
    first_review, to_merge = _medians(session, users=users, as_of=as_of, mine=True)
    base_review, base_merge = _medians(session, users=users, as_of=as_of, mine=False)
    reports = []
    for login in users:
        mine = by_user.get(login.lower(), [])
        weekly = _weekly_totals(mine, weeks, window.tz)
        reports.append(
            UserReport(
                login=login,
                totals=_totals(mine, window.start, window.end),
                previous_totals=_totals(mine, window.start - span, window.start),
                open_prs=tuple(
                    _open_pr(f, as_of, config.report.stale_after_days)
                    for f in open_prs.get(login.lower(), [])
                ),
                merged_prs=_refs(mine, window, "pr_merged"),
                opened_prs=_refs(mine, window, "pr_opened"),
                reviews=_refs(mine, window, "review"),
                issues=_refs(mine, window, "issue_opened", "issue_closed"),
                time_to_first_review_hours=first_review.get(login.lower()),
                time_to_merge_hours=to_merge.get(login.lower()),
                repo_time_to_first_review_hours=base_review.get(login.lower()),
                repo_time_to_merge_hours=base_merge.get(login.lower()),
                streak_weeks=_streak(weekly, "any"),
                merged_streak_weeks=_streak(weekly, "prs_merged"),
                goals=_goals(config.goals_for(login), weekly),
                candidates=tuple((candidates or {}).get(login, ())[: config.report.candidates]),
                history=tuple(sum(w.values()) for w in weekly[-HISTORY_WEEKS:]),
                history_weeks=weeks[-HISTORY_WEEKS:],
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


def _history_weeks(window: Window) -> tuple[str, ...]:
    last = window.week or week_of(window.end - timedelta(microseconds=1), window.tz)
    start, _ = week_bounds(last, window.tz)
    return tuple(
        week_of(start - timedelta(days=7 * back) + timedelta(hours=12), window.tz)
        for back in range(STREAK_WEEKS - 1, -1, -1)
    )


def _totals(items: Sequence[Contribution], start: datetime, end: datetime) -> Totals:
    counts = dict.fromkeys(TOTAL_KEYS, 0)
    for item in items:
        if start <= item.at < end:
            counts[TOTAL_OF_KIND[item.kind]] += 1
    return Totals(**counts)


def _weekly_totals(
    items: Sequence[Contribution], weeks: Sequence[str], tz: tzinfo
) -> list[dict[str, int]]:
    index = {week: i for i, week in enumerate(weeks)}
    out = [dict.fromkeys(TOTAL_KEYS, 0) for _ in weeks]
    for item in items:
        slot = index.get(week_of(item.at, tz))
        if slot is not None:
            out[slot][TOTAL_OF_KIND[item.kind]] += 1
    return out


def _streak(weekly: Sequence[Mapping[str, int]], key: str) -> int:
    count = 0
    for week in reversed(weekly):
        value = sum(week.values()) if key == "any" else week[key]
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


def _open_prs(
    session: Session, *, users: Sequence[str], as_of: datetime
) -> dict[str, list[_PRFacts]]:
    author = aliased(Account)
    rows = session.exec(
        select(Issue, PullRequest, author.login, Repository.full_name)
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .join(author, col(Issue.author_id) == author.id)
        .join(Repository, col(Issue.repo_id) == Repository.id)
        .where(func.lower(author.login).in_([u.lower() for u in users]))
        .where(col(Issue.created_at) < as_of)
        .where(or_(col(Issue.closed_at).is_(None), col(Issue.closed_at) >= as_of))
        .where(or_(col(Issue.state) == "open", col(Issue.closed_at).is_not(None)))
    ).all()
    facts = {issue.id: _PRFacts(issue, repo, login, pr) for issue, pr, login, repo in rows}
    if not facts:
        return {}
    reviewer = aliased(Account)
    for review, login in session.exec(
        select(Review, reviewer.login)
        .join(reviewer, col(Review.reviewer_id) == reviewer.id)
        .where(col(Review.pr_id).in_(facts), col(Review.submitted_at) < as_of)
    ):
        fact = facts[review.pr_id]
        assert review.submitted_at is not None
        event = ReviewEvent(login, review.state, review.submitted_at)
        fact.reviews.append(event)
        if login.lower() == fact.author.lower():
            fact.author_replies.append(review.submitted_at)
    for comment in session.exec(
        select(Comment).where(col(Comment.issue_id).in_(facts), col(Comment.created_at) < as_of)
    ):
        fact = facts[comment.issue_id]
        if comment.author_id == fact.issue.author_id:
            fact.author_replies.append(comment.created_at)
    out: dict[str, list[_PRFacts]] = defaultdict(list)
    for fact in sorted(facts.values(), key=lambda f: f.issue.created_at):
        out[fact.author.lower()].append(fact)
    return out


def _open_pr(fact: _PRFacts, as_of: datetime, stale_after_days: int) -> OpenPR:
    state = ball_in_court(
        author=fact.author,
        opened_at=fact.issue.created_at,
        draft=fact.pr.draft,
        reviews=fact.reviews,
        author_replies=fact.author_replies,
    )
    last_change = max([fact.issue.created_at, *(r.at for r in fact.reviews), *fact.author_replies])
    idle = max(0, (as_of - last_change).days)
    return OpenPR(
        repo=fact.repo,
        number=fact.issue.number,
        title=fact.issue.title,
        url=fact.issue.html_url,
        ball=state.ball,
        days=max(0, (as_of - state.since).days),
        opened_at=fact.issue.created_at,
        idle_days=idle,
        stale=idle >= stale_after_days,
    )


def _medians(
    session: Session, *, users: Sequence[str], as_of: datetime, mine: bool
) -> tuple[dict[str, float], dict[str, float]]:
    """Median hours to first review and to merge over the last 90 days.

    mine=True: per user, over their PRs. mine=False: per user, over everyone else's
    PRs in the repos that user has PRs in.
    """
    since = as_of - timedelta(days=BASELINE_DAYS)
    logins = {u.lower() for u in users}
    rows = session.execute(
        sa_select(
            col(Issue.id),
            col(Issue.repo_id),
            col(Issue.created_at),
            col(PullRequest.merged_at),
            col(Account.login),
        )
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .join(Account, col(Issue.author_id) == Account.id)
        .where(col(Issue.created_at) >= since - timedelta(days=BASELINE_DAYS))
        .where(col(Issue.created_at) < as_of)
    ).all()
    first = _first_reviews(session, [r[0] for r in rows], as_of)
    review_hours: dict[Any, list[float]] = defaultdict(list)
    merge_hours: dict[Any, list[float]] = defaultdict(list)
    user_repos: dict[str, set[int]] = defaultdict(set)
    for pr_id, repo_id, created, merged, login in rows:
        key = login.lower() if login.lower() in logins else ("repo", repo_id)
        if login.lower() in logins:
            user_repos[login.lower()].add(repo_id)
        if pr_id in first and created >= since:
            review_hours[key].append((first[pr_id] - created).total_seconds() / 3600)
        if merged is not None and since <= merged < as_of:
            merge_hours[key].append((merged - created).total_seconds() / 3600)
    if mine:
        return _median_map(review_hours, logins), _median_map(merge_hours, logins)
    return (
        _baseline(review_hours, user_repos),
        _baseline(merge_hours, user_repos),
    )


def _first_reviews(session: Session, pr_ids: Sequence[int], as_of: datetime) -> dict[int, datetime]:
    if not pr_ids:
        return {}
    query = (
        sa_select(col(Review.pr_id), func.min(Review.submitted_at))
        .join(Issue, col(Issue.id) == Review.pr_id)
        .where(col(Review.pr_id).in_(pr_ids))
        .where(col(Review.reviewer_id) != col(Issue.author_id))
        .where(col(Review.submitted_at) < as_of)
        .group_by(col(Review.pr_id))
    )
    return {pr_id: _utc(at) for pr_id, at in session.execute(query) if at is not None}


def _utc(value: Any) -> datetime:
    # func.min() bypasses the column type on SQLite, so the value may come back naive or as text
    if isinstance(value, str):
        parsed = parse_github_time(value.replace(" ", "T"))
        assert parsed is not None
        value = parsed
    return as_utc(value)


def _median_map(values: Mapping[Any, list[float]], logins: set[str]) -> dict[str, float]:
    return {k: round(statistics.median(v), 1) for k, v in values.items() if k in logins and v}


def _baseline(
    values: Mapping[Any, list[float]], user_repos: Mapping[str, set[int]]
) -> dict[str, float]:
    out = {}
    for login, repos in user_repos.items():
        pool = [h for repo in repos for h in values.get(("repo", repo), [])]
        if pool:
            out[login] = round(statistics.median(pool), 1)
    return out


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
