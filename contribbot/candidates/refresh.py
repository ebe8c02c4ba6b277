"""Fetch good-first-issue candidates and their timelines into the database (all conditional).

Per repo: one request per beginner label (open issues with that label; 304 when
nothing changed), then one timeline request per open candidate (304 when that
issue's timeline is unchanged). The first refresh also fetches the changed-file
lists of each tracked user's recent PRs, for the "fit" part of the ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from contribbot.candidates.model import timeline_entry_from_json
from contribbot.candidates.rules import assess
from contribbot.candidates.store import candidate_issue, load_timeline, timeline_to_json
from contribbot.config import Config, RepoConfig
from contribbot.github.client import GitHubClient
from contribbot.github.errors import NotFound
from contribbot.github.parse import parse_issue
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.store.models import Account, CandidateRecord, Issue, PullRequest, Repository
from contribbot.sync.fetch import Fetcher, Listing
from contribbot.timeutil import utc_z

log = logging.getLogger("contribbot.candidates")

PROFILE_PRS = 30  # recent PRs per user whose changed files feed the "fit" ranking
REFRESHED_KEY = "candidates:refreshed_at"


@dataclass
class RefreshResult:
    """What a refresh did."""

    listed: int = 0
    new: int = 0
    closed: int = 0
    timelines_checked: int = 0
    timelines_changed: int = 0
    profile_prs: int = 0


def candidates_due(session: Session, *, config: Config, now: datetime) -> bool:
    """True when the last refresh is older than [schedule] candidates (or never happened)."""
    from contribbot.timeutil import parse_github_time

    last = parse_github_time(save.get_state(session, key=REFRESHED_KEY))
    return last is None or now - last >= config.schedule.candidates


def refresh_candidates(
    *,
    engine: Engine,
    client: GitHubClient,
    config: Config,
    clock: Callable[[], datetime],
    should_stop: Callable[[], bool] = lambda: False,
) -> RefreshResult:
    """Refresh candidates in every tracked repo, then the users' PR file lists."""
    fetch = Fetcher(client, clock)
    result = RefreshResult()
    for repo in config.track.repos:
        if should_stop():
            return result
        try:
            _refresh_repo(engine, fetch, config, repo, result, should_stop)
        except NotFound:
            log.error("%s: repository not found, or the token cannot see it", repo)
    for login in config.track.users:
        if should_stop():
            return result
        result.profile_prs += _profile_files(engine, fetch, login)
    with session_scope(engine) as session:
        save.set_state(session, key=REFRESHED_KEY, value=utc_z(clock()), now=clock())
    return result


@dataclass
class _RepoPass:
    """One repository's refresh: where, with what, what the listing found, and the tally."""

    fetch: Fetcher
    repo: str
    settings: RepoConfig
    result: RefreshResult
    listed: set[int] = field(default_factory=set)  # numbers the label listings returned
    changed: set[str] = field(default_factory=set)  # labels whose listing changed (not a 304)

    @property
    def wanted(self) -> set[str]:
        """The repo's candidate labels, in lower case."""
        return {label.lower() for label in self.settings.candidate_labels}


def _refresh_repo(
    engine: Engine,
    fetch: Fetcher,
    config: Config,
    repo: str,
    result: RefreshResult,
    should_stop: Callable[[], bool],
) -> None:
    """One repo's listings, then its open candidates. Every request is sent with no
    transaction open (a worker waiting on GitHub holds no lock); what it brings is saved,
    with its ETag, in a transaction of its own."""
    settings = config.repo(repo)
    run = _RepoPass(fetch=fetch, repo=repo, settings=settings, result=result)
    listed, changed = run.listed, run.changed
    for label in settings.candidate_labels:
        listing = fetch.collect(
            engine, f"/repos/{repo}/issues", state="open", labels=label, sort="created"
        )
        if listing is None:
            continue
        changed.add(label.lower())
        with session_scope(engine) as session:
            for obj in listing.items:
                if "pull_request" not in obj:
                    listed.add(_save_listed(session, fetch, settings.merged_labels, obj, result))
            _keep(session, fetch, listing)
    result.listed += len(listed)
    checks = 0
    for candidate in _open_candidates(engine, repo):
        if should_stop() or checks >= config.candidates.max_timeline_checks:
            return
        try:
            checks += _recheck(engine, run, candidate)
        except NotFound:  # deleted or transferred: no longer a candidate here
            with session_scope(engine) as session:
                record = _record(session, candidate.issue_id)
                record.closed_at, record.status = fetch.now(), "gone"
                session.add(record)
            result.closed += 1


def _recheck(engine: Engine, run: _RepoPass, candidate: _Open) -> int:
    """Update one open candidate; returns 1 when its timeline was checked.

    An issue a changed listing no longer holds is fetched again first (closed? its label
    gone?); an open candidate's timeline is then fetched. Each request goes out between
    transactions, each answer is saved in its own. An issue the listing still holds is
    judged on the row read with the list of candidates: no transaction before its
    timeline's request, and whatever changed since is seen in the one that saves it."""
    url = run.fetch.client.full_url(f"/repos/{run.repo}/issues/{candidate.number}")
    stale = candidate.number not in run.listed and candidate.labels & run.changed
    if stale or not _still_candidate(run, candidate.state, candidate.labels):
        etag = None
        if stale:
            with session_scope(engine) as session:
                etag = run.fetch.etag(session, url)
        response = run.fetch.client.get(url, etag=etag) if stale else None
        with session_scope(engine) as session:
            issue = _issue(session, candidate.issue_id)
            if response is not None and not response.not_modified:
                run.fetch.remember(session, response)
                data = parse_issue(response.data)
                merged = run.settings.merged_labels
                issue = save.save_issue(session, data=data, merged_labels=merged)
            if _closed(session, run, issue):
                return 0
    listing = run.fetch.collect(engine, f"/repos/{run.repo}/issues/{candidate.number}/timeline")
    with session_scope(engine) as session:
        issue = _issue(session, candidate.issue_id)
        if _closed(session, run, issue):  # closed or unlabelled meanwhile (a sync)
            return 0
        _check_timeline(session, run, issue, _record(session, candidate.issue_id), listing)
    return 1


def _still_candidate(run: _RepoPass, state: str, labels: set[str]) -> bool:
    """Open, with one of the repo's candidate labels (`labels` in lower case)."""
    return state != "closed" and bool(labels & run.wanted)


def _closed(session: Session, run: _RepoPass, issue: Issue) -> bool:
    """Close the candidate record of an issue closed or no longer labelled (True if so)."""
    labels = {x.lower() for x in issue.labels}
    if _still_candidate(run, issue.state, labels):
        return False
    record = _record(session, issue.id)
    record.closed_at = issue.closed_at or run.fetch.now()
    record.status = "closed" if issue.state == "closed" else "unlabeled"
    session.add(record)
    run.result.closed += 1
    return True


def _issue(session: Session, issue_id: int) -> Issue:
    issue = session.get(Issue, issue_id)
    assert issue is not None
    return issue


def _record(session: Session, issue_id: int) -> CandidateRecord:
    record = session.get(CandidateRecord, issue_id)
    assert record is not None
    return record


def _keep(session: Session, fetch: Fetcher, listing: Listing) -> None:
    """Keep a one-page listing's ETag, with the items it described."""
    if listing.keep is not None:
        fetch.keep(session, *listing.keep)


def _save_listed(
    session: Session,
    fetch: Fetcher,
    merged_labels: list[str],
    obj: dict[str, Any],
    result: RefreshResult,
) -> int:
    issue = save.save_issue(session, data=parse_issue(obj), merged_labels=merged_labels)
    record = session.get(CandidateRecord, issue.id)
    if record is None:
        session.add(
            CandidateRecord(
                issue_id=issue.id,
                repo_id=issue.repo_id,
                number=issue.number,
                first_seen=fetch.now(),
            )
        )
        result.new += 1
    elif record.closed_at is not None:  # reopened, or labelled again
        record.closed_at, record.status = None, "free"
        session.add(record)
    return issue.number


@dataclass(frozen=True)
class _Open:
    """An open candidate as stored when the pass began: its issue's number, state, labels."""

    issue_id: int
    number: int
    state: str
    labels: set[str]  # lower case


def _open_candidates(engine: Engine, repo: str) -> list[_Open]:
    """The repo's open candidates, least recently checked first, with their issues."""
    with session_scope(engine) as session:
        rid = save.repo_id(session, full_name=repo)
        query = (
            select(CandidateRecord.issue_id, Issue.number, Issue.state, Issue.labels)
            .join(Issue, col(Issue.id) == CandidateRecord.issue_id)
            .where(CandidateRecord.repo_id == rid, col(CandidateRecord.closed_at).is_(None))
            .order_by(func.coalesce(CandidateRecord.checked_at, CandidateRecord.first_seen))
        )
        return [
            _Open(issue_id, number, state, {x.lower() for x in labels or ()})
            for issue_id, number, state, labels in session.exec(query)
        ]


def _check_timeline(
    session: Session,
    run: _RepoPass,
    issue: Issue,
    record: CandidateRecord,
    listing: Listing | None,
) -> None:
    run.result.timelines_checked += 1
    merged = tuple(run.settings.merged_labels)
    if listing is not None:
        entries = [timeline_entry_from_json(obj, merged_labels=merged) for obj in listing.items]
        record.timeline = timeline_to_json([e for e in entries if e is not None])
        _keep(session, run.fetch, listing)
        run.result.timelines_changed += 1
    now = run.fetch.now()
    author = session.get(Account, issue.author_id) if issue.author_id else None
    timeline = load_timeline(record.timeline)
    login = author.login if author else ""
    seen = assess(candidate_issue(issue, run.repo, login, timeline), timeline, "", now)
    if seen.status == "taken" and record.status != "taken":
        record.taken_at = seen.taken_at or now
    elif seen.status != "taken":
        record.taken_at = None
    record.status, record.checked_at = seen.status, now
    session.add(record)


def _profile_files(engine: Engine, fetch: Fetcher, login: str) -> int:
    """Changed files of the user's most recent PRs that have none stored yet."""
    with session_scope(engine) as session:
        account = session.exec(
            select(Account).where(func.lower(Account.login) == login.lower())
        ).first()
        if account is None:
            return 0
        rows = session.exec(
            select(Issue.id, Repository.full_name, Issue.number, PullRequest.files)
            .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
            .join(Repository, col(Repository.id) == Issue.repo_id)
            .where(Issue.author_id == account.id)
            .order_by(col(Issue.created_at).desc())
            .limit(PROFILE_PRS)
        ).all()
        todo = [(issue_id, repo, number) for issue_id, repo, number, files in rows if files is None]
    done = 0
    for issue_id, repo, number in todo:
        try:
            listing = fetch.collect(engine, f"/repos/{repo}/pulls/{number}/files")
        except NotFound:
            listing = Listing([])
        if listing is None:
            continue
        with session_scope(engine) as session:
            pr = session.get(PullRequest, issue_id)
            assert pr is not None
            pr.files = [str(f["filename"]) for f in listing.items]
            session.add(pr)
            _keep(session, fetch, listing)
        done += 1
    return done
