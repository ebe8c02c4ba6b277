"""The units of work the daemon schedules (and `contrib daemon --once` runs in a row)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from contribbot.candidates.refresh import RefreshResult, candidates_due, refresh_candidates
from contribbot.config import Config
from contribbot.github.client import GitHubClient
from contribbot.store import save
from contribbot.store.db import session_scope
from contribbot.store.keys import failed_key, synced_key
from contribbot.sync import Progress, Sync, SyncResult
from contribbot.timeutil import (
    last_daily_fire,
    last_weekly_fire,
    parse_github_time,
    shift_week,
    utc_z,
    week_bounds,
    week_of,
)

if TYPE_CHECKING:  # the report and delivery code is imported when something is to be sent
    from contribbot.deliver.service import SendSummary

Clock = Callable[[], datetime]
RECONCILED_KEY = "reconcile:last_at"
RECONCILE_EVERY = timedelta(days=1)
log = logging.getLogger("contribbot.jobs")
# A long history loads at most this many pages per poll (a GraphQL page of 29-49 items
# costs 1 point; over REST a search page or a follow-up fetch), and at most
# sync.plan.CHUNK_TIME of them, so new activity and the weekly report never wait behind it.
HISTORY_PAGES_PER_POLL = 100


@dataclass(frozen=True)
class JobRun:
    """One line about one job run, for the log."""

    job: str
    message: str
    requests: int = 0
    spent: int = 0
    not_modified: int = 0
    seconds: float = 0.0
    ok: bool = True


@dataclass(frozen=True)
class Polled:
    """What one sync (and the candidates refresh it triggered, if due) did."""

    result: SyncResult
    refreshed: RefreshResult | None
    reconciled: bool

    @property
    def errors(self) -> list[str]:
        """One line per repo or user that failed."""
        return self.result.errors


def sync_and_refresh(
    engine: Engine,
    config: Config,
    client: GitHubClient,
    *,
    clock: Clock,
    should_stop: Callable[[], bool] = lambda: False,
    reconcile: bool | None = None,
    progress: Progress | None = None,
    history_all: bool = False,
    history_pages: int | None = HISTORY_PAGES_PER_POLL,
) -> Polled:
    """Sync what changed (reconciling by search once a day, or when asked), then refresh
    the candidates when due. `contrib sync`, the daemon and workers all run this.
    A history loads `history_pages` GraphQL pages per run (None: all of it)."""
    if reconcile is None:
        reconcile = _reconcile_due(engine, clock())
    result = Sync(
        engine=engine,
        client=client,
        config=config,
        should_stop=should_stop,
        clock=clock,
        reconcile=reconcile,
        progress=progress,
        history_all=history_all,
        history_pages=history_pages,
    ).run()
    # done even when a repo or user failed (a 404 repo, a 422 user): those fail again
    # tomorrow, while retrying on every poll re-ran every other pair's searches. A pair
    # whose search came back incomplete keeps its progress and resumes next time
    if reconcile and not result.stopped:
        with session_scope(engine) as session:
            save.set_state(session, key=RECONCILED_KEY, value=utc_z(clock()), now=clock())
    refreshed = None
    if not result.stopped:
        with session_scope(engine) as session:
            due = candidates_due(session, config=config, now=clock())
        if due:
            refreshed = refresh_candidates(
                engine=engine, client=client, config=config, clock=clock, should_stop=should_stop
            )
    return Polled(result=result, refreshed=refreshed, reconciled=reconcile)


def poll(
    engine: Engine,
    config: Config,
    client: GitHubClient,
    *,
    clock: Clock,
    should_stop: Callable[[], bool],
    reconcile: bool | None = None,
) -> JobRun:
    """The daemon's poll: `sync_and_refresh`, as one log line."""
    started, sent, spent = time.monotonic(), client.usage.sent, client.usage.spent
    unchanged = client.usage.not_modified
    done = sync_and_refresh(
        engine,
        config,
        client,
        clock=clock,
        should_stop=should_stop,
        reconcile=reconcile,
        history_pages=HISTORY_PAGES_PER_POLL,
    )
    extra = ""
    if done.refreshed is not None:
        extra = (
            f"; candidates: {done.refreshed.listed} listed, "
            f"{done.refreshed.timelines_changed} timelines changed"
        )
    errors = done.errors
    return JobRun(
        job="reconcile" if done.reconciled else "poll",
        message=f"{done.result.items} items saved{extra}"
        + (" (stopped early)" if done.result.stopped else "")
        + (f"; {'; '.join(errors)}" if errors else ""),
        requests=client.usage.sent - sent,
        spent=client.usage.spent - spent,
        not_modified=client.usage.not_modified - unchanged,
        seconds=time.monotonic() - started,
        ok=not errors,
    )


def candidates(
    engine: Engine,
    config: Config,
    client: GitHubClient,
    *,
    clock: Clock,
    should_stop: Callable[[], bool],
) -> JobRun:
    """Refresh the good-first-issue candidates and their timelines."""
    started, sent, spent = time.monotonic(), client.usage.sent, client.usage.spent
    unchanged = client.usage.not_modified
    done = refresh_candidates(
        engine=engine, client=client, config=config, clock=clock, should_stop=should_stop
    )
    return JobRun(
        job="candidates",
        message=f"{done.listed} listed, {done.new} new, {done.closed} closed, "
        f"{done.timelines_changed} of {done.timelines_checked} timelines changed",
        requests=client.usage.sent - sent,
        spent=client.usage.spent - spent,
        not_modified=client.usage.not_modified - unchanged,
        seconds=time.monotonic() - started,
    )


def _reconcile_due(engine: Engine, now: datetime) -> bool:
    """A day after the last reconciliation; never on the very first run (it just searched)."""
    with session_scope(engine) as session:
        last = parse_github_time(save.get_state(session, key=RECONCILED_KEY))
        if last is None:
            save.set_state(session, key=RECONCILED_KEY, value=utc_z(now), now=now)
            return False
    return now - last >= RECONCILE_EVERY


def ready_to_report(engine: Engine, config: Config, moment: datetime, what: str) -> bool:
    """True when every tracked repo was synced at or after `moment`, or its sync failed
    after it (a repo that keeps failing, say a 404, must not hold every report back for
    good: the report goes out, and its "data as of" is that repo's last sync)."""
    waiting: list[str] = []
    stale: list[str] = []
    with session_scope(engine) as session:
        for repo in config.track.repos:
            synced = parse_github_time(save.get_state(session, key=synced_key(repo)))
            failed = parse_github_time(save.get_state(session, key=failed_key(repo)))
            if synced is not None and synced >= moment:
                continue
            (stale if failed is not None and failed >= moment else waiting).append(repo)
    if waiting:
        log.info("the %s waits for a sync of %s after it ended", what, ", ".join(waiting))
        return False
    if stale:
        log.warning(
            "the %s goes out without fresh data for %s: its sync failed (see the log above)",
            what,
            ", ".join(stale),
        )
    return True


def weekly_due(config: Config, now: datetime) -> str | None:
    """The week whose report should go out now: the last report time passed within the grace."""
    fire = last_weekly_fire(now, config.schedule.report, config.schedule.timezone)
    if now - fire > config.schedule.misfire_grace:
        return None
    report_tz = config.report.timezone
    return shift_week(week_of(fire, report_tz), -1, report_tz)


def daily_due(config: Config, now: datetime) -> date | None:
    """The day whose check-in should go out now (yesterday, once the daily time has passed)."""
    fire = last_daily_fire(now, config.schedule.daily, config.schedule.timezone)
    if now - fire > config.schedule.misfire_grace:
        return None
    return fire.astimezone(config.report.timezone).date() - timedelta(days=1)


def deliver_weekly(
    engine: Engine, config: Config, *, week: str, now: datetime, only: str | None = None
) -> int:
    """Plan last week's report for every destination that wants it; returns messages planned."""
    return _plan(
        engine, config, kind="weekly", period=week, week=week, day=None, now=now, only=only
    )


def deliver_daily(
    engine: Engine, config: Config, *, day: date, now: datetime, only: str | None = None
) -> int:
    """Plan a check-in about `day` for destinations with daily = true."""
    return _plan(
        engine, config, kind="daily", period=day.isoformat(), week=None, day=day, now=now, only=only
    )


def plan_candidates(
    engine: Engine,
    config: Config,
    *,
    period: str,
    week: str,
    now: datetime,
    only: str | None = None,
) -> int:
    """Plan the good-first-issue digest (with `week`'s report) for destinations that want it."""
    return _plan(
        engine,
        config,
        kind="candidates",
        period=period,
        week=week,
        day=None,
        now=now,
        only=only,
    )


def _plan(
    engine: Engine,
    config: Config,
    *,
    kind: str,
    period: str,
    week: str | None,
    day: date | None,
    now: datetime,
    only: str | None,
) -> int:
    from contribbot.app.reports import make_report
    from contribbot.deliver import outbox
    from contribbot.deliver.service import audience, destinations, plan_report

    targets = destinations(config, kind=kind, only=only)
    with session_scope(engine) as session:
        targets = [
            d
            for d in targets
            if not any(
                outbox.already_planned(
                    session, destination=d.name, kind=kind, subject=s, period=period
                )
                for s in (*audience(config, d), "cohort")
            )
        ]
    if not targets:
        return 0
    users = sorted({u for d in targets for u in audience(config, d)}, key=str.lower)
    since = until = None
    if day is not None:
        since, until = day.isoformat(), (day + timedelta(days=1)).isoformat()
    report = make_report(
        config, db=engine, week=week, since=since, until=until, users=users, now=now
    )
    planned = 0
    for destination in targets:
        wanted = {u.lower() for u in audience(config, destination)}
        mine = dataclasses.replace(
            report, users=tuple(u for u in report.users if u.login.lower() in wanted)
        )
        planned += plan_report(
            engine, destination=destination, kind=kind, period=period, report=mine, now=now
        )
    return planned


def deliver_due(
    engine: Engine,
    config: Config,
    *,
    clock: Clock,
    sleep: Callable[[float], object] = time.sleep,
) -> tuple[int, SendSummary]:
    """Plan whatever is due (weekly, daily) and send everything pending. Safe to repeat."""
    from contribbot.deliver.service import SendSummary, send_due

    if not config.destinations:
        return 0, SendSummary()  # nobody to plan for or send to
    now = clock()
    planned = 0
    week = weekly_due(config, now)
    report_tz = config.report.timezone
    if week is not None and not ready_to_report(
        engine, config, week_bounds(week, report_tz)[1], f"{week} report"
    ):
        week = None
    if week is not None:
        planned += deliver_weekly(engine, config, week=week, now=now)
        # the digest goes out with the weekly report, labelled with the week it is for
        this_week = shift_week(week, 1, report_tz)
        planned += plan_candidates(engine, config, period=this_week, week=week, now=now)
    day = daily_due(config, now)
    if day is not None and not ready_to_report(
        engine,
        config,
        datetime.combine(day + timedelta(days=1), dt_time(0), tzinfo=report_tz),
        f"{day} daily report",
    ):
        day = None
    if day is not None:
        planned += deliver_daily(engine, config, day=day, now=now)
    return planned, send_due(engine, config=config, clock=clock, sleep=sleep)
