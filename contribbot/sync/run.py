"""The sync: decide what to fetch next, fetch it, save it page by page.

How it stays cheap (the README's "How the sync stays cheap" has the user's view):
- first sync of a (repo, user): searches (`author:`, `reviewed-by:`, `commenter:`),
  100 items a page, resumable by a `created:>=` checkpoint; each reviewed PR and
  commented issue is queued for one follow-up fetch of its reviews or comments;
- every later poll: three repo-wide `since=` streams (issues, issue comments, review
  comments), each page 1 sent with If-None-Match, plus one conditional request per
  user for their public events (reviews have no repo-wide endpoint);
- everything lands in the database in the same transaction as its high-water mark
  and ETag, so a kill at any moment loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from contribbot.config import Config
from contribbot.github.client import GitHubClient
from contribbot.github.errors import RUN_ENDING, BadRequest, NotFound, WaitInterrupted
from contribbot.github.parse import (
    parse_event,
    parse_issue,
    parse_issue_comment,
    parse_review,
    parse_review_comment,
)
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.store.models import Issue, Repository, SyncTask
from contribbot.sync.backfill import STREAM_MARGIN, backfill, reconcile
from contribbot.sync.fetch import Fetcher
from contribbot.timeutil import utc_z

log = logging.getLogger("contribbot.sync")

EVENT_PAGES = 3
REVIEW_EVENTS = frozenset({"PullRequestReviewEvent", "PullRequestReviewCommentEvent"})


class Progress(Protocol):
    """Where the sync reports what it is doing."""

    def phase(self, text: str) -> None:
        """A new step started."""

    def step(self, text: str) -> None:
        """A small step inside a phase (one follow-up fetch)."""

    def advance(self, items: int, client: GitHubClient) -> None:
        """`items` more were saved; the client's usage is current."""


class _NoProgress:
    def phase(self, text: str) -> None:
        log.debug("%s", text)

    def step(self, text: str) -> None:
        log.debug("%s", text)

    def advance(self, items: int, client: GitHubClient) -> None:
        pass


class StopRequested(Exception):
    """Raised between pages when a shutdown was asked for."""


@dataclass
class RepoOutcome:
    """How one repository's sync went."""

    repo: str
    items: int = 0
    error: str | None = None  # the repository could not be synced
    problems: list[str] = field(default_factory=list)  # one user's part failed; others synced


@dataclass
class SyncResult:
    """The whole run: per-repo outcomes, and whether it stopped early."""

    outcomes: list[RepoOutcome] = field(default_factory=list)
    stopped: bool = False
    items: int = 0

    @property
    def exit_code(self) -> int:
        """1 when any repository (or any user's part of one) failed, else 0."""
        return 1 if any(o.error or o.problems for o in self.outcomes) else 0


class Sync:
    """One sync run over the configured repos and users."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: GitHubClient,
        config: Config,
        progress: Progress | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        reconcile: bool = False,
    ) -> None:
        self.reconcile = reconcile
        self.engine = engine
        self.client = client
        self.config = config
        self.progress: Progress = progress or _NoProgress()
        self.should_stop = should_stop
        self.now = clock
        self.users = {u.lower() for u in config.track.users}
        self.result = SyncResult()
        self.fetch = Fetcher(client, clock)

    # -- the run ---------------------------------------------------------------

    def run(self) -> SyncResult:
        """Sync every repo; a missing repo is reported and the others go on."""
        synced: list[str] = []
        try:
            for repo in self.config.track.repos:
                if self._guard(repo, self._sync_repo):
                    synced.append(repo)
            if synced:
                self._poll_events(synced)
                for repo in synced:
                    self._guard(repo, self._drain)
        except (StopRequested, WaitInterrupted):
            self.result.stopped = True
        finally:
            self._record_rate_limits()
        return self.result

    def _guard(self, repo: str, step: Callable[[str], None]) -> bool:
        outcome = self._outcome(repo)
        if outcome.error:
            return False
        try:
            step(repo)
        except NotFound:
            outcome.error = f"{repo}: repository not found, or the token cannot see it"
        except RUN_ENDING:
            raise  # nothing else can sync either
        except BadRequest as exc:  # e.g. 403 from an organisation that enforces SAML SSO
            outcome.error = f"{repo}: {exc}"
        if outcome.error:
            log.error("%s", outcome.error)
            return False
        return True

    def _outcome(self, repo: str) -> RepoOutcome:
        for outcome in self.result.outcomes:
            if outcome.repo == repo:
                return outcome
        outcome = RepoOutcome(repo)
        self.result.outcomes.append(outcome)
        return outcome

    def _sync_repo(self, repo: str) -> None:
        self._ensure_repo(repo)
        for user in self.config.track.users:
            try:
                backfill(self, repo, user)
                if self.reconcile:
                    reconcile(self, repo, user)
            except RUN_ENDING + (NotFound,):
                raise
            except BadRequest as exc:  # e.g. 422: GitHub has no such user; others go on
                message = f"{repo}: @{user}: {exc}"
                self._outcome(repo).problems.append(message)
                log.error("%s", message)
        for stream in STREAMS:
            self._stream(repo, stream)
        self._drain(repo)
        with self.session() as session:
            save.set_state(
                session, key=f"repo:{repo}:synced_at", value=utc_z(self.now()), now=self.now()
            )

    def check_stop(self) -> None:
        """Raise StopRequested between pages once a shutdown was asked for."""
        if self.should_stop():
            raise StopRequested

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: a page and its high-water mark and ETag commit together."""
        return session_scope(self.engine)

    def saved(self, repo: str, count: int) -> None:
        """Count saved items and tell the progress display."""
        self._outcome(repo).items += count
        self.result.items += count
        self.progress.advance(count, self.client)

    # -- the repository itself ------------------------------------------------------

    def _ensure_repo(self, repo: str) -> None:
        with self.session() as session:
            if save.get_state(session, key=f"repo:{repo}:meta") is not None:
                return
            self.progress.phase(f"{repo}: checking the repository")
            response = self.fetch.get(session, self.client.full_url(f"/repos/{repo}"))
            start = (response.date or self.now()) - STREAM_MARGIN
            row = session.get(Repository, save.repo_id(session, full_name=repo))
            assert row is not None
            if response.data:
                row.github_id, row.html_url = response.data["id"], response.data["html_url"]
                row.full_name = response.data["full_name"]  # GitHub's spelling, not the config's
                session.add(row)
            for stream in STREAMS:
                key = f"stream:{repo}:{stream}"
                if save.get_state(session, key=key) is None:
                    save.set_state(session, key=key, value=utc_z(start), now=self.now())
            save.set_state(
                session, key=f"repo:{repo}:meta", value=utc_z(self.now()), now=self.now()
            )
            self.fetch.remember(session, response)

    # -- first sync: searches ----------------------------------------------------

    # -- every poll: repo-wide streams ---------------------------------------------

    def _stream(self, repo: str, name: str) -> None:
        path, params, handler = STREAMS[name]
        key = f"stream:{repo}:{name}"
        self.progress.phase(f"{repo}: {name.replace('_', ' ')} since the last poll")
        url: str | None = None
        while True:
            self.check_stop()
            with self.session() as session:
                since = save.get_state(session, key=key)
                url = url or self.client.full_url(
                    path.format(repo=repo),
                    {**params, "since": since, "per_page": self.client.per_page},
                )
                response = self.fetch.get(session, url)
                if response.not_modified:
                    return
                items: list[dict[str, Any]] = response.data
                kept = sum(handler(self, session, repo, obj) for obj in items)
                newest = max((str(obj["updated_at"]) for obj in items), default=since)
                full = len(items) >= self.client.per_page
                if full:
                    save.set_state(session, key=key, value=str(newest), now=self.now())
                # A short page keeps its `since`, so the next poll asks the very same URL and
                # an unchanged repo answers 304 at once (items seen again are skipped as such).
                self.fetch.remember(session, response)
            self.saved(repo, kept)
            if not full:
                return
            url = response.links.get("next") if newest == since else None
            if newest == since and url is None:
                return

    def _on_issue(self, session: Session, repo: str, obj: dict[str, Any]) -> int:
        data = parse_issue(obj)
        existing = save.find_issue(session, repo=repo, number=data.number)
        if existing is None and not self._tracked(data.author):
            return 0
        if existing is not None and existing.updated_at == data.updated_at:
            return 0
        save.save_issue(session, data=data, merged_labels=self.merged_labels(repo))
        if data.is_pr:
            save.enqueue(session, kind="reviews", repo=repo, number=data.number, now=self.now())
        return 1

    def _on_issue_comment(self, session: Session, repo: str, obj: dict[str, Any]) -> int:
        return self._on_comment(session, repo, parse_issue_comment(obj), "comments")

    def _on_review_comment(self, session: Session, repo: str, obj: dict[str, Any]) -> int:
        data = parse_review_comment(obj)
        if save.comment_unchanged(session, data=data):
            return 0
        kept = self._on_comment(session, repo, data, "review_comments")
        if kept or self._tracked(data.author):
            save.enqueue(session, kind="reviews", repo=repo, number=data.number, now=self.now())
        return kept

    def _on_comment(self, session: Session, repo: str, data: Any, task: str) -> int:
        if save.comment_unchanged(session, data=data):
            return 0
        parent = save.find_issue(session, repo=repo, number=data.number)
        if parent is None:
            if self._tracked(data.author):
                save.enqueue(session, kind=task, repo=repo, number=data.number, now=self.now())
            return 0
        if not (self._tracked(data.author) or self._tracked_id(session, parent.author_id)):
            return 0
        save.save_comment(session, data=data, issue_id=parent.id)
        return 1

    # -- per user: public events (the only cheap signal of a plain review) ------------

    def _poll_events(self, repos: Iterable[str]) -> None:
        wanted = {r.lower(): r for r in repos}
        for user in self.config.track.users:
            self.check_stop()
            self.progress.phase(f"@{user}: recent public events")
            self._user_events(user, wanted)

    def _user_events(self, user: str, repos: dict[str, str]) -> None:
        key = f"events:{user}:last_id"
        url: str | None = self.client.full_url(f"/users/{user}/events/public", {"per_page": 100})
        with self.session() as session:
            last_seen = int(save.get_state(session, key=key) or 0)
            newest = last_seen
            for _ in range(EVENT_PAGES):
                if url is None:
                    break
                try:
                    response = self.fetch.get(session, url)
                except NotFound:
                    log.warning("@%s: no such GitHub user", user)
                    return
                except RUN_ENDING:
                    raise
                except BadRequest as exc:
                    log.warning("@%s: public events unavailable: %s", user, exc)
                    return
                if response.not_modified:
                    break
                events = [parse_event(obj) for obj in response.data]
                fresh = [e for e in events if e.id > last_seen]
                for event in fresh:
                    repo = repos.get(event.repo.lower())
                    if repo and event.type in REVIEW_EVENTS and event.number is not None:
                        save.enqueue(
                            session, kind="reviews", repo=repo, number=event.number, now=self.now()
                        )
                newest = max([newest, *(e.id for e in fresh)])
                self.fetch.remember(session, response)
                url = (
                    response.links.get("next") if len(fresh) == len(events) and last_seen else None
                )
            save.set_state(session, key=key, value=str(newest), now=self.now())

    # -- follow-up fetches -------------------------------------------------------------

    def _drain(self, repo: str) -> None:
        while True:
            self.check_stop()
            with self.session() as session:
                task = save.next_task(session, repo=repo)
                if task is None:
                    return
                self.progress.step(f"{repo}: {task.kind} of #{task.number}")
                count = self._run_task(session, repo, task)
                session.delete(task)
            self.saved(repo, count)

    def _run_task(self, session: Session, repo: str, task: SyncTask) -> int:
        try:
            return self._fetch_owed(session, repo, task)
        except NotFound:
            # deleted, transferred, or (for reviews) not a PR after all: nothing more to owe
            log.info("%s#%d: %s not found; skipping", repo, task.number, task.kind)
            return 0

    def _fetch_owed(self, session: Session, repo: str, task: SyncTask) -> int:
        parent = self._ensure_issue(session, repo, task.number)
        if task.kind == "reviews" and not parent.is_pr:
            return 0
        path, parser = TASKS[task.kind]
        count = 0
        for obj in self.fetch.collect(session, path.format(repo=repo, number=task.number)) or []:
            if task.kind == "reviews":
                save.save_review(session, data=parse_review(obj), pr_id=parent.id)
                count += 1
                continue
            data = parser(obj)
            if self._tracked(data.author) or self._tracked_id(session, parent.author_id):
                save.save_comment(session, data=data, issue_id=parent.id)
                count += 1
        return count

    def _ensure_issue(self, session: Session, repo: str, number: int) -> Issue:
        issue = save.find_issue(session, repo=repo, number=number)
        if issue is not None:
            return issue
        response = self.client.get(self.client.full_url(f"/repos/{repo}/issues/{number}"))
        return save.save_issue(
            session, data=parse_issue(response.data), merged_labels=self.merged_labels(repo)
        )

    # -- small helpers -------------------------------------------------------------

    def _tracked(self, login: str | None) -> bool:
        return login is not None and login.lower() in self.users

    def _tracked_id(self, session: Session, account_id: int | None) -> bool:
        if account_id is None:
            return False
        cache: dict[int, bool] = session.info.setdefault("contribbot.tracked_ids", {})
        if account_id not in cache:
            from contribbot.store.models import Account

            account = session.get(Account, account_id)
            cache[account_id] = account is not None and self._tracked(account.login)
        return cache[account_id]

    def merged_labels(self, repo: str) -> list[str]:
        """The labels that mean "merged" in `repo` (PyTorch's merge bot)."""
        return self.config.repo(repo).merged_labels

    def _record_rate_limits(self) -> None:
        if not self.client.usage.rates:
            return
        with self.session() as session:
            for resource, rate in self.client.usage.rates.items():
                value = {
                    "limit": rate.limit,
                    "remaining": rate.remaining,
                    "reset": utc_z(rate.reset),
                }
                save.set_state(
                    session, key=f"ratelimit:{resource}", value=json.dumps(value), now=self.now()
                )


_Handler = Callable[[Sync, Session, str, dict[str, Any]], int]

STREAMS: dict[str, tuple[str, dict[str, Any], _Handler]] = {
    "issues": (
        "/repos/{repo}/issues",
        {"state": "all", "sort": "updated", "direction": "asc"},
        Sync._on_issue,
    ),
    "issue_comments": (
        "/repos/{repo}/issues/comments",
        {"sort": "updated", "direction": "asc"},
        Sync._on_issue_comment,
    ),
    "review_comments": (
        "/repos/{repo}/pulls/comments",
        {"sort": "updated", "direction": "asc"},
        Sync._on_review_comment,
    ),
}

TASKS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "reviews": ("/repos/{repo}/pulls/{number}/reviews", parse_review),
    "comments": ("/repos/{repo}/issues/{number}/comments", parse_issue_comment),
    "review_comments": ("/repos/{repo}/pulls/{number}/comments", parse_review_comment),
}
