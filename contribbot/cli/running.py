"""`contrib sync` and `contrib daemon`: fetching from GitHub, by hand or on a schedule."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Annotated

import typer

from contribbot.cli.base import (
    ConfigOpt,
    LogFormatOpt,
    QuietOpt,
    VerboseOpt,
    app,
    error_line,
    fail_cleanly,
    say,
)
from contribbot.errors import UsageError


@app.command()
@fail_cleanly
def sync(
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait if the daemon is busy with the database.")
    ] = 60.0,
    reconcile: Annotated[
        bool,
        typer.Option(help="Also search for what changed since the last reconciliation."),
    ] = False,
    history: Annotated[
        str | None,
        typer.Option(help="`all`: also load the history before [track] history_since."),
    ] = None,
) -> None:
    """Fetch your PRs, issues, reviews and comments from GitHub into the database.

    The first run searches your history; later runs only ask what changed
    (conditional requests: an idle poll costs no rate limit). Safe to interrupt.

    Example: contrib sync --config contrib.toml
    """
    from contribbot.app import jobs, runtime
    from contribbot.cli.console import SyncProgress, setup_logging

    setup_logging(quiet=quiet, verbose=verbose)
    if history not in (None, "all"):
        raise UsageError(f"--history: {history!r} is not `all`")
    cfg = runtime.load(config)
    if not cfg.track.repos or not cfg.track.users:
        raise UsageError(f"{cfg.path}: [track] needs at least one user and one repo")
    engine = runtime.database(cfg)
    client = runtime.github_client(cfg)
    with runtime.exclusive(cfg, wait_s=wait, what="contrib sync"):
        with SyncProgress(quiet=quiet) as bar:
            done = jobs.sync_and_refresh(
                engine,
                cfg,
                client,
                clock=lambda: datetime.now(UTC),
                reconcile=reconcile,
                progress=bar,
                history_all=history == "all",
                history_pages=None,  # by hand: the whole history now (the daemon: in chunks)
            )
    if not quiet:
        result = done.result
        others = client.usage.sent - result.spend.requests  # the candidates' re-check
        say(
            f"synced {len(cfg.track.repos)} repo(s): {result.items} records saved (issues, PRs, "
            f"reviews, comments; updates of known ones count again); {result.spend.line()}"
            + (f"; candidates: {others} requests" if others else "")
        )
        if done.refreshed is not None:
            r = done.refreshed
            say(
                f"candidates: {r.listed} listed, {r.new} new, {r.closed} closed, "
                f"{r.timelines_checked} timelines checked ({r.timelines_changed} changed)"
            )
    for problem in done.errors:
        error_line(problem)
    raise typer.Exit(done.result.exit_code)


@app.command()
@fail_cleanly
def daemon(
    config: ConfigOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due, then exit (for cron).")
    ] = False,
    log_format: LogFormatOpt = "text",
    verbose: VerboseOpt = False,
) -> None:
    """Poll GitHub, refresh candidates and post reports on the [schedule], until stopped.

    One daemon per database. SIGTERM or Ctrl-C finishes the page in hand and exits 0.

    Example: contrib daemon --config ~/.config/contribbot/contrib.toml

    Example (cron): */15 * * * * contrib daemon --once --config /path/contrib.toml
    """
    from contribbot.app import runtime
    from contribbot.cli.console import setup_logging

    setup_logging(json_lines=log_format == "json", verbose=verbose)
    cfg = runtime.load(config)
    if not cfg.track.repos or not cfg.track.users:
        raise UsageError(f"{cfg.path}: [track] needs at least one user and one repo")
    # the lock first: a twin (or a cron `--once` while a daemon runs) stops before it
    # imports or opens anything more, and only the holder upgrades the database
    with runtime.exclusive(cfg, wait_s=0, what="contrib daemon"):
        from contribbot.app.daemon import Daemon

        engine = runtime.database(cfg)
        stopping = threading.Event()
        client = runtime.github_client(cfg, sleep=stopping.wait)
        runner = Daemon(config=cfg, engine=engine, client=client, stopping=stopping)
        if once:
            if not runner.once():
                raise typer.Exit(1)  # so cron notices
        else:
            runner.serve()


@app.command()
@fail_cleanly
def worker(
    config: ConfigOpt = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once nothing is due (for tests and cron).")
    ] = False,
    log_format: LogFormatOpt = "text",
    verbose: VerboseOpt = False,
) -> None:
    """Do the daemon's work together with any number of other workers on one database.

    Work is cut into units (a repo's streams, a user's events, a first sync, candidates,
    delivery), each claimed with a lease ([workers] lease); one worker at a time also
    schedules. Killed at any moment, its units go to another worker when the lease ends.
    On SQLite, workers take turns at writing: use PostgreSQL to scale out.

    Example: contrib worker --config /etc/contribbot/contrib.toml   # on each machine
    """
    import signal

    from contribbot.app import runtime
    from contribbot.app.budgets import DatabaseBoard
    from contribbot.app.worker import Worker, worker_engine
    from contribbot.cli.console import setup_logging

    setup_logging(json_lines=log_format == "json", verbose=verbose)
    cfg = runtime.load(config)
    if not cfg.track.repos or not cfg.track.users:
        raise UsageError(f"{cfg.path}: [track] needs at least one user and one repo")
    engine = worker_engine(cfg.database_url())
    stopping = threading.Event()
    client = runtime.github_client(cfg, sleep=stopping.wait, board=DatabaseBoard(engine))
    runner = Worker(config=cfg, engine=engine, client=client, stopping=stopping)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    runner.serve(until_idle=until_idle)
