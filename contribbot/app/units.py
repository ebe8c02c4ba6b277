"""The units `contrib worker`s share: what the schedule wants (pure), and running one unit.

Units, and what each one does with the daemon's own code:
- `streams:REPO` (every poll): the repo-wide `since=` streams, then the follow-up fetches
  owed in the repo; waits while first syncs (backfills) of the repo are still running, as
  the one-process sync does them first;
- `events:LOGIN` (every poll): one user's public events; review events owe follow-ups,
  and the repo's streams unit is made due at once;
- `backfill:REPO:LOGIN` (one-shot): a user's history in a repo by search (resumable from
  its checkpoints, page by page); the follow-ups it owes wait for the streams unit;
- `reconcile:REPO:LOGIN` (daily): the searches again, for what the streams missed;
- `candidates` (`[schedule] candidates`) and `deliver` (every poll): as in the daemon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from contribbot.app import jobs, runtime
from contribbot.config import Config
from contribbot.errors import ContribError
from contribbot.github.client import GitHubClient
from contribbot.github.errors import BadRequest, NotFound
from contribbot.store import leases, save
from contribbot.store.db import session_scope
from contribbot.store.leases import UnitSpec
from contribbot.store.models import Repository, SyncTask
from contribbot.sync import Sync
from contribbot.sync.backfill import backfill, reconcile

PERIODIC_KINDS = ("streams", "events", "reconcile", "candidates", "deliver")
RECONCILE_EVERY = timedelta(days=1)
DAY_S = int(RECONCILE_EVERY.total_seconds())


@dataclass(frozen=True)
class UnitResult:
    """How a unit went: a line for the log, and when to run it again (None: the usual)."""

    message: str
    again_in: timedelta | None = None
    requests: int = 0
    spent: int = 0
    ok: bool = True


def plan(config: Config, *, backfilled: set[str], now: datetime) -> list[UnitSpec]:
    """Every unit the config's schedule wants; `backfilled` holds done `backfill:` keys."""
    poll = int(config.schedule.poll_every.total_seconds())
    candidates = config.schedule.candidates
    specs = [UnitSpec(f"streams:{repo}", "streams", poll, now) for repo in config.track.repos]
    specs += [UnitSpec(f"events:{user}", "events", poll, now) for user in config.track.users]
    for repo in config.track.repos:
        for user in config.track.users:
            key = f"backfill:{repo}:{user}"
            if key not in backfilled:
                specs.append(UnitSpec(key, "backfill", None, now))
            day = int(RECONCILE_EVERY.total_seconds())
            specs.append(
                UnitSpec(f"reconcile:{repo}:{user}", "reconcile", day, now + RECONCILE_EVERY)
            )
    specs.append(UnitSpec("candidates", "candidates", int(candidates.total_seconds()), now))
    specs.append(UnitSpec("deliver", "deliver", poll, now))
    return specs


def backfilled_keys(engine: Engine, config: Config) -> set[str]:
    """The `backfill:REPO:LOGIN` keys whose first sync is done."""
    wanted = {f"backfill:{r}:{u}" for r in config.track.repos for u in config.track.users}
    with session_scope(engine) as session:
        done = save.states_with_prefix(session, prefix="backfill:")
    return wanted & set(done)


def schedule(engine: Engine, config: Config, *, now: datetime) -> int:
    """Create the units the schedule wants and drop the ones it no longer does; returns created."""
    specs = plan(config, backfilled=backfilled_keys(engine, config), now=now)
    with session_scope(engine) as session:
        created = leases.ensure_units(session, specs)
        leases.drop_units(
            session, kinds=PERIODIC_KINDS, keep={s.key for s in specs if s.every}, now=now
        )
    return created


class UnitRunner:
    """Runs one claimed unit with the daemon's own sync, candidates and delivery code."""

    def __init__(
        self,
        *,
        engine: Engine,
        config: Config,
        client: GitHubClient,
        clock: Callable[[], datetime],
        should_stop: Callable[[], bool],
        sleep: Callable[[float], object],
    ) -> None:
        self.engine, self.config, self.client = engine, config, client
        self.clock, self.should_stop, self.sleep = clock, should_stop, sleep
        self.poll = config.schedule.poll_every

    def run(self, kind: str, key: str) -> UnitResult:
        """Run the unit named `key`; raises StopRequested when asked to stop between pages."""
        sent, spent = self.client.usage.sent, self.client.usage.spent
        result = getattr(self, f"_{kind}")(*key.split(":", 1)[1:])
        return UnitResult(
            result.message,
            result.again_in,
            self.client.usage.sent - sent,
            self.client.usage.spent - spent,
            result.ok,
        )

    def _sync(self) -> Sync:
        return Sync(
            engine=self.engine,
            client=self.client,
            config=self.config,
            should_stop=self.should_stop,
            clock=self.clock,
        )

    def _streams(self, repo: str) -> UnitResult:
        with session_scope(self.engine) as session:
            waiting = [
                u
                for u in leases.pending(session, prefix=f"backfill:{repo}:")
                if u.error is None or u.attempts < 3  # a user GitHub refuses does not block
            ]
        if waiting:
            return UnitResult(f"{repo}: waits for {len(waiting)} first syncs", self.poll / 30)
        sync = self._sync()
        try:
            sync.ensure_repo(repo)
            sync.poll_repo(repo)
        except (NotFound, BadRequest) as exc:  # the unit fails; the reports need not wait
            sync.mark_failed(repo, f"{repo}: {exc}")
            raise
        with session_scope(self.engine) as session:  # as the daemon posts after a poll
            leases.nudge(session, keys=["deliver"], now=self.clock())
        return UnitResult(f"{repo}: {sync.result.items} items saved")

    def _events(self, user: str) -> UnitResult:
        repos = {r.lower(): r for r in self.config.track.repos}
        before = self._owed()
        sync = self._sync()
        sync.poll_user_events(user, repos)
        if sync.result.problems:  # renamed or gone: the unit fails with the one line
            raise ContribError("; ".join(sync.result.problems))
        after = self._owed()
        grew = [repo for repo, count in after.items() if count > before.get(repo, 0)]
        if grew:  # the repos' streams units drain them now rather than at the next poll
            keys = [f"streams:{repos[r]}" for r in grew if r in repos]
            with session_scope(self.engine) as session:
                leases.nudge(session, keys=keys, now=self.clock())
        return UnitResult(f"@{user}: {len(grew)} repos owe review fetches")

    def _owed(self) -> dict[str, int]:
        """Follow-up fetches owed, per repo (lower-case name): one query for all repos."""
        query = (
            select(col(Repository.full_name), func.count(col(SyncTask.id)))
            .join(Repository, col(Repository.id) == col(SyncTask.repo_id))
            .group_by(col(Repository.full_name))
        )
        with session_scope(self.engine) as session:
            return {name.lower(): count for name, count in session.exec(query)}

    def _backfill(self, target: str) -> UnitResult:
        repo, user = target.rsplit(":", 1)
        sync = self._sync()
        sync.ensure_repo(repo)
        backfill(sync, repo, user)  # its follow-ups wait for the streams unit, the one drainer
        return UnitResult(f"{repo}: first sync of @{user}: {sync.result.items} items saved")

    def _reconcile(self, target: str) -> UnitResult:
        repo, user = target.rsplit(":", 1)
        sync = self._sync()
        reconcile(sync, repo, user)
        with session_scope(self.engine) as session:
            leases.nudge(session, keys=[f"streams:{repo}"], now=self.clock())
        return UnitResult(f"{repo}: reconciled @{user}: {sync.result.items} items saved")

    def _candidates(self) -> UnitResult:
        run = jobs.candidates(
            self.engine, self.config, self.client, clock=self.clock, should_stop=self.should_stop
        )
        return UnitResult(run.message, ok=run.ok)

    def _deliver(self) -> UnitResult:
        # the lease keeps other workers out; the database lock, `contrib report --send`
        wait = min(self.poll.total_seconds(), 60)
        with runtime.exclusive(self.config, wait_s=wait, what="contrib worker (deliver)"):
            planned, sent = jobs.deliver_due(
                self.engine, self.config, clock=self.clock, sleep=self.sleep
            )
        message = f"{planned} messages planned, {sent.sent} posted"
        if sent.failed:
            problems = "; ".join(f"{name}: {why}" for name, why in sent.problems.items())
            message += f", {sent.failed} failed ({problems})"
        return UnitResult(message, ok=sent.ok)


def unit_keys(specs: Iterable[UnitSpec]) -> list[str]:
    """The keys of `specs` (for logs and tests)."""
    return [s.key for s in specs]
