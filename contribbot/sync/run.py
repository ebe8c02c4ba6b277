"""One sync run: which walks, in which order, with per-repo and per-user error isolation.

How it stays cheap (the README's "How the sync stays cheap" has the user's view):
- first sync of a (repo, user): searches (`author:`, `reviewed-by:`, `commenter:`),
  100 items a page, resumable by a `created:>=` checkpoint; each reviewed PR and
  commented issue is queued for one follow-up fetch of its reviews or comments;
- every later poll: three repo-wide `since=` streams (issues, issue comments, review
  comments), newest first, page 1 sent with If-None-Match and paging stopped at the
  checkpoint, plus one conditional request per user for their public events (reviews
  have no repo-wide endpoint);
- everything lands in the database in the same transaction as its checkpoint and
  ETag (`Driver.walk`), so a kill at any moment loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from contribbot.activity.history import rederive_if_changed
from contribbot.github.errors import (
    RUN_ENDING,
    BadRequest,
    NotFound,
    RepoMoved,
    WaitInterrupted,
)
from contribbot.store import save, tasks
from contribbot.store.accounts import github_id_of
from contribbot.store.keys import failed_key, failure_key, synced_key
from contribbot.store.models import Issue, Repository
from contribbot.sync.backfill import HISTORY_TASKS, backfill, backfill_older, reconcile
from contribbot.sync.driver import (
    Driver,
    StopRequested,
    SyncResult,
    spend_since,
    usage_mark,
)
from contribbot.sync.plan import EventWalk, ListWalk, Request, StreamWalk, stream_start
from contribbot.sync.savers import (
    TASKS,
    EventSaver,
    StreamSaver,
    TaskSaver,
    ensure_issue,
    fetch_issue,
    on_issue,
    on_issue_comment,
    on_review_comment,
    tracked_id,
)
from contribbot.timeutil import utc_z

log = logging.getLogger("contribbot.sync")


@dataclass(frozen=True)
class Stream:
    """A repo-wide `since=` stream: its path, its extra query, and its item handler."""

    path: str
    params: dict[str, Any]
    handler: Callable[..., int]


STREAMS: dict[str, Stream] = {
    "issues": Stream("/repos/{repo}/issues", {"state": "all"}, on_issue),
    "issue_comments": Stream("/repos/{repo}/issues/comments", {}, on_issue_comment),
    "review_comments": Stream("/repos/{repo}/pulls/comments", {}, on_review_comment),
}


HISTORY_ALL_KEY = "history:all:requested"  # `contrib sync --history all` was asked once


class Sync(Driver):
    """One sync run over the configured repos and users (its options: `Driver`'s)."""

    def run(self) -> SyncResult:
        """Sync every repo; a missing repo is reported and the others go on."""
        before = usage_mark(self.client)
        synced: list[str] = []
        with self.session() as session:  # label rules changed: re-derive, no requests
            rederive_if_changed(session, config=self.config, now=self.now())
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
            self.result.spend = spend_since(self.client, before)
        return self.result

    def _guard(self, repo: str, step: Callable[[str], None]) -> bool:
        outcome = self.outcome(repo)
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
            self.mark_failed(repo, outcome.error)
            return False
        return True

    def mark_failed(self, repo: str, why: str) -> None:
        """Record that syncing `repo` itself failed now, and why (not found, 403, SAML...): a
        report waits for each repo's sync after its period, or for such a failure, not forever,
        and `contrib status` shows it."""
        with self.session() as session:
            save.set_state(session, key=failed_key(repo), value=utc_z(self.now()), now=self.now())
            save.set_state(session, key=failure_key(repo), value=why, now=self.now())

    def _sync_repo(self, repo: str) -> None:
        self._ensure_repo(repo)
        if self.history_all:
            with self.session() as session:  # later runs (the daemon's polls) go on with it
                save.set_state(session, key=HISTORY_ALL_KEY, value="yes", now=self.now())
        else:
            with self.session() as session:
                self.history_all = save.get_state(session, key=HISTORY_ALL_KEY) is not None
        for user in self.config.track.users:
            try:
                backfill(self, repo, user)
                if self.history_all:
                    backfill_older(self, repo, user)
                if self.reconcile:
                    reconcile(self, repo, user)
            except RUN_ENDING + (NotFound,):
                raise
            except BadRequest as exc:  # e.g. 422: GitHub has no such user; others go on
                message = f"{repo}: @{user}: {exc}"
                self.outcome(repo).problems.append(message)
                log.error("%s", message)
        self.poll_repo(repo)

    def poll_repo(self, repo: str) -> None:
        """The repo-wide streams since the last poll, then the follow-ups owed in the repo."""
        for name, stream in STREAMS.items():
            self.progress.phase(f"{repo}: {name.replace('_', ' ')} since the last poll")
            walk = StreamWalk(stream.path.format(repo=repo), stream.params, self.client.per_page)
            self.walk(
                repo, walk, StreamSaver(self, repo, stream.handler), key=_stream_key(repo, name)
            )
        self._drain(repo)
        with self.session() as session:
            save.set_state(session, key=synced_key(repo), value=utc_z(self.now()), now=self.now())

    def ensure_repo(self, repo: str) -> None:
        """Check the repository once (its id, spelling) and start its streams' checkpoints."""
        self._ensure_repo(repo)

    def _ensure_repo(self, repo: str) -> None:
        """Check the repository once, set up its checkpoints; a renamed or transferred repo
        stops here with one line (later, the items its pages list tell: refuse_moved). The
        request goes out between two transactions, as a walk's do."""
        url = self.client.full_url(f"/repos/{repo}")
        with self.session() as session:
            if save.get_state(session, key=f"repo:{repo}:meta") is not None:
                return
            etag = self.fetch.etag(session, url)
        self.progress.phase(f"{repo}: checking the repository")
        response = self.client.get(url, etag=etag)
        answered = response.data or {}
        if answered and str(answered["full_name"]).lower() != repo.lower():
            raise RepoMoved(repo, str(answered["full_name"]))
        with self.session() as session:
            if save.get_state(session, key=f"repo:{repo}:meta", locked=True) is not None:
                return  # another worker checked it meanwhile
            row = _repository_row(session, repo, answered.get("id"))
            if answered:
                row.github_id, row.html_url = answered["id"], answered["html_url"]
                row.full_name = answered["full_name"]  # GitHub's spelling, not the config's
                session.add(row)
            start = stream_start(response.date or self.now())
            for name in STREAMS:
                key = _stream_key(repo, name)
                if save.get_state(session, key=key) is None:
                    save.set_state(session, key=key, value=start, now=self.now())
            save.set_state(
                session, key=f"repo:{repo}:meta", value=utc_z(self.now()), now=self.now()
            )
            self.fetch.remember(session, response)

    # -- per user: public events (the only cheap signal of a plain review) ------------

    def _poll_events(self, repos: Iterable[str]) -> None:
        wanted = {r.lower(): r for r in repos}
        for user in self.config.track.users:
            self.poll_user_events(user, wanted)

    def poll_user_events(self, user: str, wanted: dict[str, str]) -> None:
        """One user's public events; review events in `wanted` repos ({lower: name}) owe
        follow-up fetches there."""
        self.check_stop()
        self.progress.phase(f"@{user}: recent public events")
        with self.session() as session:
            floor = int(save.get_state(session, key=f"events:{user}:last_id") or 0)
            first_read = not floor and not save.any_seen_events(session, login=user)
            walk = EventWalk(user, self.now(), first_read)
            first = self.first_request(session, walk)  # its ETag, read in this transaction
        saver = EventSaver(self, user, wanted, legacy_floor=floor)
        try:
            self.walk("", walk, saver, first=first)
        except NotFound:
            self.result.problems.append(self._gone(user))
            log.error("%s", self.result.problems[-1])
        except RUN_ENDING:
            raise
        except BadRequest as exc:
            log.warning("@%s: public events unavailable: %s", user, exc)

    def _gone(self, user: str) -> str:
        """Why GitHub has no `user`: renamed (GitHub's /user/{id} names the account the
        database knew by that login: one request, only now), or deleted."""
        with self.session() as session:
            github_id = github_id_of(session, login=user)
        if github_id is not None:
            try:
                login = str(
                    self.client.get(self.client.full_url(f"/user/{github_id}")).data["login"]
                )
            except RUN_ENDING:
                raise
            except BadRequest:  # gone (404), or GitHub will not say (403): no new name
                login = user
            if login.lower() != user.lower():
                return (
                    f"@{user}: GitHub now calls this account {login} (renamed): "
                    f"change {user} to {login} in [track] users"
                )
        return f"@{user}: no such GitHub user (deleted, or renamed): check [track] users"

    # -- follow-up fetches -------------------------------------------------------------

    def _drain(self, repo: str) -> None:
        # picked in the transaction that finished the walk before (one transaction a task)
        picks: list[_Job | int | None] = []
        while True:
            self.check_stop()
            if not picks:
                with self.session() as session:
                    picks.append(self._pick(session, repo))
            job = picks.pop()
            if job is None:
                return
            if isinstance(job, int):  # its issue first, with no transaction open; pick again
                self.parents[(repo, job)] = fetch_issue(self, repo, job)
                continue
            job.saver.then = lambda session: picks.append(self._pick(session, repo))
            try:
                self.walk(repo, job.walk, job.saver, first=job.first)
            except NotFound:
                log.info("%s#%d: not found; skipping", repo, job.number)
                with self.session() as session:
                    tasks.delete_task(session, task_id=job.saver.task.id)

    def _pick(self, session: Session, repo: str) -> _Job | int | None:
        """The next follow-up fetch to walk, read in `session`: what the streams owe first,
        the history's within its budget; a task no longer worth a request is dropped on the
        way. The number of its issue when that must be fetched first (with no transaction
        open); None when nothing (more) is owed."""
        while True:
            task = save.next_task(session, repo=repo, later=HISTORY_TASKS)
            history = task is not None and task.kind in HISTORY_TASKS
            if task is None or (history and not self.history_budget.left(self.now())):
                return None
            kind, number = TASKS[task.kind], task.number
            if (repo, number) not in self.parents and not save.find_issue(
                session, repo=repo, number=number
            ):
                return number
            if history:
                self.history_budget.take()
            self.progress.step(f"{repo}: {task.kind} of #{number}")
            parent = self._parent(session, repo, number)
            if parent is None or not kind.wanted(self, session, parent):
                # gone, not a PR after all, or not a tracked author's
                tasks.delete_task(session, task_id=task.id)
                continue
            tracked = tracked_id(self, session, parent.author_id)  # read with the task
            saver = TaskSaver(self, kind, parent, task, tracked)
            walk = ListWalk(kind.path.format(repo=repo, number=number), self.client.per_page)
            return _Job(number, walk, saver, self.first_request(session, walk))  # its ETag

    def _parent(self, session: Session, repo: str, number: int) -> Issue | None:
        try:
            return ensure_issue(self, session, repo, number)
        except NotFound:
            log.info("%s#%d: not found; skipping", repo, number)
            return None

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


@dataclass
class _Job:
    """A follow-up fetch picked: its issue's number, its list, how to save it, and its
    first request with the ETag to send (read with the task)."""

    number: int
    walk: ListWalk
    saver: TaskSaver
    first: tuple[Request, str | None] | None


def _stream_key(repo: str, name: str) -> str:
    return f"stream:{repo}:{name}"


def _repository_row(session: Session, repo: str, github_id: int | None) -> Repository:
    """The row of `repo`; a row stored under the repo's old name (the same GitHub id) is
    renamed, so its items and PR histories stay one repository's."""
    if github_id is not None:
        query = select(Repository).where(col(Repository.github_id) == github_id)
        earlier = session.exec(query).first()
        named = session.exec(
            select(Repository).where(func.lower(Repository.full_name) == repo.lower())
        ).first()
        if earlier is not None and named is None:
            log.warning("%s: stored as %s before its rename: renamed", repo, earlier.full_name)
            earlier.full_name = repo
            session.add(earlier)
            session.flush()
            save.forget_repo_names(session)  # the old name may be another repo's one day
    row = session.get(Repository, save.repo_id(session, full_name=repo))
    assert row is not None
    return row
