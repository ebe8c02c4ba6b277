"""Stored candidates -> ranked, per-user suggestions (no network)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

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
from contribbot.store.reader import Reader, as_reader, state
from contribbot.timeutil import parse_github_time, week_bounds, week_of

if TYPE_CHECKING:
    from sqlmodel import Session

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


def profile(db: Reader | Session, login: str) -> Profile:
    """The user's past PRs: labels and changed files."""
    reader = as_reader(db)
    rows = reader.rows(
        "SELECT repository.full_name, issue.number, issue.labels, pullrequest.files"
        " FROM issue JOIN pullrequest ON pullrequest.issue_id = issue.id"
        " JOIN account ON issue.author_id = account.id"
        " JOIN repository ON issue.repo_id = repository.id"
        " WHERE lower(account.login) = :login",
        {"login": login.lower()},
    )
    return Profile(
        login=login,
        prs=tuple(
            PastPR(
                repo=repo,
                number=number,
                labels=tuple(reader.json(labels)),
                paths=tuple(reader.json(files) or ()),
            )
            for repo, number, labels, files in rows
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


def last_weekly_report(db: Reader | Session, config: Config, now: datetime) -> datetime:
    """When the last weekly report went out; without one, the start of this week."""
    stamp = parse_github_time(state(db, LAST_WEEKLY_KEY))
    if stamp is not None:
        return stamp
    tz = config.report.timezone
    return week_bounds(week_of(now, tz), tz)[0]


def rank(
    db: Reader | Session,
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
    reader = as_reader(db)
    loaded = _load(reader, repos)
    if not loaded:  # nothing to rank: skip loading every user's past PRs (a cohort's are many)
        return {login: [] for login in users}
    stats = _repo_stats(loaded)
    rules = rules_from(config)
    since_report = last_weekly_report(reader, config, now)
    per_user: dict[str, list[Candidate]] = {}
    for login in cohort(users, config.track.users):
        who = profile(reader, login)
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


class _Issue(NamedTuple):
    """A stored candidate issue, as the read path has it (a `candidates.store.StoredIssue`)."""

    number: int
    title: str
    html_url: str
    created_at: datetime
    updated_at: datetime
    labels: list[str]
    state: str
    assignees: list[str]
    comments: int
    body: str


def _load(
    reader: Reader, repos: Sequence[str]
) -> list[tuple[CandidateIssue, list[TimelineEntry], datetime]]:
    rows = reader.rows(
        "SELECT candidate.first_seen, candidate.timeline, repository.full_name,"
        " issue.author_id, issue.number, issue.title, issue.html_url, issue.created_at,"
        " issue.updated_at, issue.labels, issue.state, issue.assignees, issue.comments,"
        " issue.body"
        " FROM candidate JOIN issue ON issue.id = candidate.issue_id"
        " JOIN repository ON repository.id = candidate.repo_id"
        " WHERE candidate.closed_at IS NULL AND lower(repository.full_name) IN (:repos)"
        " ORDER BY repository.full_name, issue.number",
        {"repos": [r.lower() for r in repos]},
    )
    authors = dict(
        reader.rows(
            "SELECT account.id, account.login FROM account WHERE account.id IN (:ids)",
            {"ids": sorted({row[3] for row in rows if row[3] is not None})},
        )
    )
    at, json = reader.at, reader.json
    out = []
    for first_seen, stored_timeline, repo, author_id, number, title, url, *rest in rows:
        created, updated, labels, state, assignees, comments, body = rest
        issue = _Issue(
            number,
            title,
            url,
            at(created),
            at(updated),
            json(labels),
            state,
            json(assignees),
            comments,
            body,
        )
        timeline = load_timeline(json(stored_timeline))
        login = authors.get(author_id, "")
        out.append((candidate_issue(issue, repo, login, timeline), timeline, at(first_seen)))
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
