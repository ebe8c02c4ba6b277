"""`contrib daemon`: APScheduler 3 wiring only. The work itself lives in contribbot.jobs."""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable
from datetime import time, tzinfo
from types import FrameType
from typing import TYPE_CHECKING

from contribbot.app import jobs
from contribbot.app.loop import JobHost
from contribbot.github.errors import WaitInterrupted
from contribbot.timeutil import format_duration

if TYPE_CHECKING:  # APScheduler only for `serve` (cron's `daemon --once` needs none of it)
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("contribbot.daemon")


class Daemon(JobHost):
    """The scheduled jobs of one daemon, and a clean way to stop them."""

    def _setup(self) -> None:
        self._busy = threading.Lock()
        self.failures = 0  # one job at a time; shutdown waits for the one in hand

    def _run(self, name: str, work: Callable[[], jobs.JobRun]) -> None:
        if self.stopping.is_set():
            return
        with self._busy:
            if self.stopping.is_set():  # SIGTERM came while it waited for the job in hand
                return
            try:
                run = work()
            except WaitInterrupted:  # SIGTERM ended a rate-limit wait: a stop, not a failure
                log.info("%s: stopped while waiting for GitHub", name)
                return
            except Exception as exc:  # a job failure must not kill the daemon
                self.failures += 1
                trace = traceback.format_exc()
                fields = {"job": name, "ok": False, "traceback": trace}
                log.error("%s failed: %s", name, exc, extra={"fields": fields})
                log.debug("%s failed:\n%s", name, trace.rstrip())  # text logs, with --verbose
                return
        self.failures += not run.ok
        fields = {
            "job": run.job,
            "ok": run.ok,
            "requests": run.requests,
            "spent": run.spent,
            "not_modified": run.not_modified,
            "seconds": round(run.seconds, 2),
        }
        line = f"{run.job}: {run.message}"
        if run.requests:
            line += (
                f"; {run.requests} requests ({run.spent} counted against the rate limit,"
                f" {run.not_modified} unchanged)"
            )
        line += f" in {run.seconds:.1f}s"
        log.log(logging.INFO if run.ok else logging.WARNING, "%s", line, extra={"fields": fields})

    def poll(self, reconcile: bool | None = None) -> None:
        """Sync, then post anything due (this is what catches up after a sleep)."""
        self._run(
            "poll",
            lambda: jobs.poll(
                self.engine,
                self.config,
                self.client,
                clock=self.clock,
                should_stop=self.stopping.is_set,
                reconcile=reconcile,
            ),
        )
        self.deliver()

    def candidates(self) -> None:
        """Refresh candidates on their own schedule."""
        self._run(
            "candidates",
            lambda: jobs.candidates(
                self.engine,
                self.config,
                self.client,
                clock=self.clock,
                should_stop=self.stopping.is_set,
            ),
        )

    def deliver(self) -> None:
        """Plan and post what is due; the outbox makes repeating this harmless."""
        self._run("deliver", self._deliver)

    def _deliver(self) -> jobs.JobRun:
        started = self.clock()
        planned, sent = jobs.deliver_due(
            self.engine, self.config, clock=self.clock, sleep=self.stopping.wait
        )
        problems = "; ".join(f"{name}: {why}" for name, why in sent.problems.items())
        message = f"{planned} messages planned, {sent.sent} posted"
        if sent.resent:
            message += f" ({sent.resent} resent after an interrupted attempt)"
        if sent.failed:
            message += f", {sent.failed} failed ({problems})"
        seconds = (self.clock() - started).total_seconds()
        return jobs.JobRun(job="deliver", message=message, seconds=seconds, ok=sent.ok)

    def once(self) -> bool:
        """What is due, in a row, then return whether it all went well (for cron)."""
        self.failures = 0
        self.poll()
        return self.failures == 0

    def serve(self) -> None:
        """Run the schedule until SIGTERM or SIGINT; the job in hand finishes its page first."""
        scheduler = self._scheduler()
        self._handle_signals(scheduler)
        log.info(
            "daemon started: poll every %s, report %s, candidates every %s (%s)",
            format_duration(self.config.schedule.poll_every),
            self.config.schedule.report,
            format_duration(self.config.schedule.candidates),
            self.config.schedule.timezone,
        )
        scheduler.start()  # returns after shutdown
        with self._busy:  # wait for the job in hand to reach a safe point
            pass
        log.info("daemon stopped")

    def _scheduler(self) -> BlockingScheduler:
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        s = self.config.schedule
        tz = s.timezone
        grace = int(s.misfire_grace.total_seconds())
        scheduler = BlockingScheduler(
            timezone=tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        poll_s = s.poll_every.total_seconds()
        scheduler.add_job(
            self.poll,
            IntervalTrigger(seconds=poll_s, timezone=tz),
            id="poll",
            next_run_time=self.clock(),
        )
        scheduler.add_job(self.deliver, _cron(s.report.weekday, s.report.at, tz), id="report")
        candidates_s = s.candidates.total_seconds()
        scheduler.add_job(
            self.candidates, IntervalTrigger(seconds=candidates_s, timezone=tz), id="candidates"
        )
        if any(d.daily for d in self.config.destinations):
            scheduler.add_job(self.deliver, _cron(None, s.daily, tz), id="daily")
        return scheduler

    def _handle_signals(self, scheduler: BlockingScheduler) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: finishing the page in hand", signal.Signals(signum).name)
            self.stopping.set()
            # shut down from another thread: the handler may interrupt the scheduler's own locks
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def _cron(weekday: int | None, at: time, tz: tzinfo) -> CronTrigger:
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(
        day_of_week=weekday if weekday is not None else "*",
        hour=at.hour,
        minute=at.minute,
        second=at.second,
        timezone=tz,
    )
