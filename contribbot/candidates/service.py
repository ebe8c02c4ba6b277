"""Stored candidates -> ranked, per-user suggestions (no network)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from contribbot.candidates.model import (
    DEFAULT_CLAIM_PHRASES,
    DEFAULT_DECLINE_PHRASES,
    Candidate,
    CandidateIssue,
    PastPR,
    Profile,
    RepoStats,
    Rules,
    TimelineEntry,
)
from contribbot.candidates.scoring import assign_cohort, evaluate, sort_candidates, visible_to
from contribbot.candidates.store import candidate_issue, load_timeline
from contribbot.config import Config
from contribbot.store.models import (
    Account,
    CandidateRecord,
    Issue,
    PullRequest,
    Repository,
    SyncState,
)
from contribbot.timeutil import parse_github_time, week_bounds, week_of

MAINTAINERS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
LAST_WEEKLY_KEY = "report:weekly:last_sent_at"


@dataclass(frozen=True)
class Ranked:
    """A candidate as shown to one user, and whether it is new since the last weekly report."""

    candidate: Candidate
    new: bool


def rules_from(config: Config) -> Rules:
    """The availability rules, from [candidates]."""
    c = config.candidates
    return Rules(
        pr_window_days=c.pr_window_days,
        claim_window_days=c.claim_window_days,
        claim_phrases=tuple(c.claim_phrases)
        if c.claim_phrases is not None
        else DEFAULT_CLAIM_PHRASES,
        decline_phrases=(
            tuple(c.decline_phrases) if c.decline_phrases is not None else DEFAULT_DECLINE_PHRASES
        ),
    )


def label_weights(config: Config, repo: str) -> dict[str, float]:
    """Every beginner label counts 1.0 unless [repos."o/n"] label_weights says otherwise."""
    settings = config.repo(repo)
    return dict.fromkeys(settings.candidate_labels, 1.0) | settings.label_weights


def profile(session: Session, login: str) -> Profile:
    """The user's past PRs: labels and changed files."""
    rows = session.exec(
        select(Issue, PullRequest, Repository.full_name)
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .join(Account, col(Issue.author_id) == Account.id)
        .join(Repository, col(Issue.repo_id) == Repository.id)
        .where(func.lower(Account.login) == login.lower())
    ).all()
    return Profile(
        login=login,
        prs=tuple(
            PastPR(repo=repo, number=i.number, labels=tuple(i.labels), paths=tuple(pr.files or ()))
            for i, pr, repo in rows
        ),
    )


def first_response_hours(issue: CandidateIssue, timeline: Sequence[TimelineEntry]) -> float | None:
    """Hours until a maintainer first answered, when a newcomer opened the issue."""
    for entry in sorted(timeline, key=lambda e: e.at):
        if entry.event != "commented" or entry.actor.lower() == issue.author.lower():
            continue
        if entry.author_association in MAINTAINERS:
            return (entry.at - issue.created_at).total_seconds() / 3600
    return None


def last_weekly_report(session: Session, config: Config, now: datetime) -> datetime:
    """When the last weekly report went out; without one, the start of this week."""
    # the row itself, not store.save.get_state: reading must not import the save path
    # (its upserts load SQLAlchemy's PostgreSQL dialect, 0.05-0.1 s of every report)
    row = session.get(SyncState, LAST_WEEKLY_KEY)
    stamp = parse_github_time(row.value if row else None)
    if stamp is not None:
        return stamp
    tz = config.report.timezone
    return week_bounds(week_of(now, tz), tz)[0]


def rank(
    session: Session,
    *,
    config: Config,
    users: Sequence[str],
    repos: Sequence[str],
    now: datetime,
    show_all: bool = False,
) -> dict[str, list[Ranked]]:
    """Per user: their candidates, best first; without show_all, no taken ones and none
    that the cohort gave to a better-fitting user.

    The cohort is every tracked user, not only `users`: `--user bob` must not show
    bob an issue that fits alice better.
    """
    loaded = _load(session, repos)
    if not loaded:  # nothing to rank: skip loading every user's past PRs (a cohort's are many)
        return {login: [] for login in users}
    stats = _repo_stats(loaded)
    rules = rules_from(config)
    since_report = last_weekly_report(session, config, now)
    per_user: dict[str, list[Candidate]] = {}
    for login in cohort(users, config.track.users):
        who = profile(session, login)
        per_user[login] = [
            evaluate(
                issue,
                timeline,
                profile=who,
                now=now,
                label_weights=label_weights(config, issue.repo),
                repo_stats=stats.get(issue.repo),
                rules=rules,
                first_seen=first_seen,
            )
            for issue, timeline, first_seen in loaded
        ]
    owners = assign_cohort(per_user)
    firsts = {(i.repo, i.number): seen for i, _, seen in loaded}
    out = {}
    for login in users:
        shown = visible_to(login, per_user[login], owners, show_all=show_all)
        if not show_all:
            shown = [c for c in shown if c.status != "taken"]
        out[login] = [Ranked(c, firsts[c.key] >= since_report) for c in sort_candidates(shown)]
    return out


def cohort(users: Sequence[str], tracked: Sequence[str]) -> list[str]:
    """`users` first, then the other tracked users (logins compare case-insensitively)."""
    asked = {login.casefold() for login in users}
    return [*dict.fromkeys(users), *(t for t in tracked if t.casefold() not in asked)]


def _load(
    session: Session, repos: Sequence[str]
) -> list[tuple[CandidateIssue, list[TimelineEntry], datetime]]:
    rows = session.exec(
        select(CandidateRecord, Issue, Repository.full_name)
        .join(Issue, col(Issue.id) == CandidateRecord.issue_id)
        .join(Repository, col(Repository.id) == CandidateRecord.repo_id)
        .where(col(CandidateRecord.closed_at).is_(None))
        .where(func.lower(Repository.full_name).in_([r.lower() for r in repos]))
        .order_by(col(Repository.full_name), col(Issue.number))
    ).all()
    authors = {
        a.id: a
        for a in session.exec(
            select(Account).where(col(Account.id).in_({i.author_id for _, i, _ in rows}))
        )
    }
    out = []
    for record, issue, repo in rows:
        timeline = load_timeline(record.timeline)
        author = authors.get(issue.author_id) if issue.author_id else None
        out.append((candidate_issue(issue, repo, author, timeline), timeline, record.first_seen))
    return out


def _repo_stats(
    loaded: Sequence[tuple[CandidateIssue, list[TimelineEntry], datetime]],
) -> dict[str, RepoStats]:
    hours: dict[str, list[float]] = defaultdict(list)
    for issue, timeline, _ in loaded:
        answered = first_response_hours(issue, timeline)
        if answered is not None:
            hours[issue.repo].append(answered)
    return {
        repo: RepoStats(repo=repo, median_first_response_hours=round(statistics.median(v), 1))
        for repo, v in hours.items()
    }
