"""The `contrib` command line: commands only; a ContribError becomes one line + exit code."""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from contribbot import __version__
from contribbot.errors import ContribError, UsageError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="contrib",
    help="Track your open-source contributions, find free good-first issues, post a weekly report.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
stdout = Console()
stderr = Console(stderr=True, soft_wrap=True)  # an error stays one line, however long

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $CONTRIBBOT_CONFIG, ./contrib.toml)."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress, only errors.")]
UsersOpt = Annotated[
    list[str] | None, typer.Option("--user", "-u", help="Only this login (repeatable).")
]
TableJson = Literal["table", "json"]


def fail_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Print a ContribError as one line on stderr and exit with its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ContribError as exc:
            stderr.print(Text(f"error: {exc}", style="red"))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        stdout.print(f"contribbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Track your open-source contributions, find free good-first issues, post a weekly report.

    Start with `contrib demo` (offline), then `contrib init --user LOGIN --repo OWNER/NAME`.
    """


# -- init / db -------------------------------------------------------------------------


@app.command()
@fail_cleanly
def init(
    user: Annotated[
        list[str], typer.Option("--user", "-u", help="Your GitHub login (repeatable).")
    ],
    repo: Annotated[
        list[str], typer.Option("--repo", "-r", help="owner/name to track (repeatable).")
    ],
    path: Annotated[Path, typer.Option("--path", help="Where to write it.")] = Path("contrib.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config file to start from.

    Example: contrib init --user alice --repo pytorch/pytorch
    """
    from contribbot.cli.starter import write_starter_config

    written = write_starter_config(path, users=user, repos=repo, force=force)
    stdout.print(f"wrote {written}; next: `contrib sync`")


@db_app.command("upgrade")
@fail_cleanly
def db_upgrade(config: ConfigOpt = None) -> None:
    """Create the database or bring it to the newest schema (also done on first use).

    Example: contrib db upgrade --config contrib.toml
    """
    from contribbot.app import runtime
    from contribbot.store.db import make_engine, upgrade

    cfg = runtime.load(config)
    before, after = upgrade(make_engine(cfg.database_url()))
    if before == after:
        stdout.print(f"database is up to date (revision {after})")
    else:
        stdout.print(f"database upgraded from {before or 'empty'} to {after}")


# -- sync --------------------------------------------------------------------------------


@app.command()
@fail_cleanly
def sync(
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait if the daemon is busy with the database.")
    ] = 60.0,
    reconcile: Annotated[
        bool,
        typer.Option(help="Also search for what changed since the last reconciliation."),
    ] = False,
) -> None:
    """Fetch your PRs, issues, reviews and comments from GitHub into the database.

    The first run searches your history; later runs only ask what changed
    (conditional requests: an idle poll costs no rate limit). Safe to interrupt.

    Example: contrib sync --config contrib.toml
    """
    from contribbot.app import runtime
    from contribbot.cli.console import SyncProgress, setup_logging
    from contribbot.sync import Sync

    setup_logging(quiet=quiet, verbose=verbose)
    cfg = runtime.load(config)
    if not cfg.track.repos or not cfg.track.users:
        raise UsageError(f"{cfg.path}: [track] needs at least one user and one repo")
    engine = runtime.database(cfg)
    client = runtime.github_client(cfg)
    with runtime.exclusive(cfg, wait_s=wait, what="contrib sync"):
        with SyncProgress(quiet=quiet) as bar:
            result = Sync(
                engine=engine, client=client, config=cfg, progress=bar, reconcile=reconcile
            ).run()
        if not result.stopped:
            _refresh_candidates_if_due(cfg, engine, client, quiet=quiet)
    if not quiet:
        others = client.usage.sent - result.spend.requests  # the candidates' re-check
        stderr.print(
            f"synced {result.items} items from {len(cfg.track.repos)} repo(s): "
            f"{result.spend.line()}" + (f"; candidates: {others} requests" if others else "")
        )
    for outcome in result.outcomes:
        for problem in [outcome.error, *outcome.problems]:
            if problem:
                stderr.print(Text(f"error: {problem}", style="red"))
    raise typer.Exit(result.exit_code)


def _refresh_candidates_if_due(cfg: Any, engine: Any, client: Any, *, quiet: bool) -> None:
    from contribbot.candidates.refresh import candidates_due, refresh_candidates
    from contribbot.store.db import session_scope

    now = datetime.now(UTC)
    with session_scope(engine) as session:
        if not candidates_due(session, config=cfg, now=now):
            return
    done = refresh_candidates(
        engine=engine, client=client, config=cfg, clock=lambda: datetime.now(UTC)
    )
    if not quiet:
        stderr.print(
            f"candidates: {done.listed} listed, {done.new} new, {done.closed} closed, "
            f"{done.timelines_checked} timelines checked ({done.timelines_changed} changed)"
        )


# -- candidates -----------------------------------------------------------------------------

CandidatesFormat = Literal["table", "json", "markdown"]


@app.command()
@fail_cleanly
def candidates(
    config: ConfigOpt = None,
    user: UsersOpt = None,
    repo: Annotated[
        list[str] | None, typer.Option("--repo", "-r", help="Only this tracked repo (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many per user.")] = 10,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also taken ones, and those given to a better fit.")
    ] = False,
    fmt: Annotated[
        CandidatesFormat, typer.Option("--format", "-f", help="table, json or markdown.")
    ] = "table",
    refresh: Annotated[
        bool,
        typer.Option(help="Fetch candidates from GitHub first (otherwise `contrib sync` does)."),
    ] = False,
) -> None:
    """Good-first issues you can really pick up today: still free, ranked for you, with reasons.

    Example: contrib candidates --user alice --limit 5 --format json
    """
    from contribbot.app import runtime
    from contribbot.candidates.model import candidate_to_json
    from contribbot.candidates.render import candidates_markdown, candidates_table
    from contribbot.candidates.service import rank
    from contribbot.cli.console import print_json, setup_logging
    from contribbot.store.db import session_scope

    setup_logging(quiet=True)
    cfg = runtime.load(config)
    repos = repo or cfg.track.repos
    unknown = [r for r in repos if r not in cfg.track.repos]
    if unknown:
        raise UsageError(f"--repo: {unknown[0]} is not in [track] repos of {cfg.path}")
    users = user or cfg.track.users
    engine = runtime.database(cfg)
    if refresh:
        from contribbot.candidates.refresh import refresh_candidates

        with runtime.exclusive(cfg, wait_s=60, what="contrib candidates --refresh"):
            refresh_candidates(
                engine=engine,
                client=runtime.github_client(cfg),
                config=cfg,
                clock=lambda: datetime.now(UTC),
            )
    with session_scope(engine) as session:
        ranked = rank(
            session, config=cfg, users=users, repos=repos, now=datetime.now(UTC), show_all=show_all
        )
    rows = [r for login in users for r in ranked.get(login, [])[:limit]]
    rows.sort(key=lambda r: (r.candidate.status == "taken", -r.candidate.score))  # best first
    if fmt == "json":
        print_json([candidate_to_json(r.candidate, new=r.new) for r in rows])
    elif fmt == "markdown":
        sys.stdout.write(candidates_markdown(rows, title="Good first issues"))
    elif rows:
        stdout.print(candidates_table(rows, title="Good first issues (best first)"))
    else:
        stdout.print("No candidates yet: run `contrib sync` (it refreshes them once a day).")


# -- activity ------------------------------------------------------------------------------


@app.command()
@fail_cleanly
def activity(
    config: ConfigOpt = None,
    user: UsersOpt = None,
    since: Annotated[
        str | None, typer.Option(help="Start, inclusive (ISO 8601 or a date).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="End, exclusive (default: now).")] = None,
    fmt: Annotated[TableJson, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """What did I do? A stand-up from the database (no network).

    The window defaults to the last 7 days. A date alone means midnight in \\[report] timezone.

    Example: contrib activity --user alice --since 2026-11-16 --format json
    """
    from contribbot.activity import contributions
    from contribbot.app import runtime
    from contribbot.cli.console import print_json
    from contribbot.store.db import session_scope

    cfg = runtime.load(config)
    start, end = _window(since, until, cfg.report.timezone)
    users = user or cfg.track.users
    with session_scope(runtime.database(cfg)) as session:
        items = contributions(session, users=users, since=start, until=end)
    if fmt == "json":
        print_json([item.to_json() for item in items])
        return
    from contribbot.cli.views import print_activity

    print_activity(items, start, end, cfg.report.timezone, stdout)


def _window(since: str | None, until: str | None, tz_name: str) -> tuple[datetime, datetime]:
    from contribbot.timeutil import check_window, parse_time, zone

    tz = zone(tz_name)
    end = parse_time(until, tz, option="--until") if until else datetime.now(UTC)
    start = parse_time(since, tz, option="--since") if since else end - timedelta(days=7)
    check_window(start, end)
    return start, end


# -- report -------------------------------------------------------------------------------

ReportFormat = Literal["terminal", "markdown", "html", "json"]


@app.command()
@fail_cleanly
def report(
    config: ConfigOpt = None,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47.")] = None,
    since: Annotated[str | None, typer.Option(help="Custom window start (inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="Custom window end (exclusive).")] = None,
    user: UsersOpt = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="terminal, markdown, html or json.")
    ] = "terminal",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    front_matter: Annotated[
        bool, typer.Option(help="Markdown: add YAML front matter for Jekyll/Hugo.")
    ] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Post it to the configured destinations (once each).")
    ] = False,
    to: Annotated[str | None, typer.Option("--to", help="Only this destination (by name).")] = None,
) -> None:
    """The weekly report: totals, merged PRs, whose move each open PR is, streaks, goals.

    Default: the last complete ISO week in \\[report] timezone. No network, except --send.

    Example: contrib report --week 2026-W47 --format markdown --front-matter -o week47.md

    Example: contrib report --send --to team-slack
    """
    from contribbot.app import runtime
    from contribbot.app.reports import render_report

    cfg = runtime.load(config)
    if send or to:
        if user or output or fmt != "terminal" or front_matter:
            raise UsageError(
                "--send posts each destination's own report: "
                "--user, --format, --output and --front-matter do not apply"
            )
        _send_report(cfg, week=week, since=since, until=until, to=to)
        return
    text = render_report(
        cfg,
        engine=runtime.database(cfg),
        week=week,
        since=since,
        until=until,
        users=user or cfg.track.users,
        fmt=fmt,
        front_matter=front_matter,
        now=datetime.now(UTC),
        console=stdout if output is None else None,
    )
    if output is not None:
        _write_atomically(output, text)
        stderr.print(f"wrote {output}")
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _send_report(
    cfg: Any, *, week: str | None, since: str | None, until: str | None, to: str | None = None
) -> None:
    from contribbot.app import jobs, runtime
    from contribbot.cli.console import setup_logging
    from contribbot.deliver.service import send_due
    from contribbot.report.window import resolve_window

    if since or until:
        raise UsageError("--send posts a whole ISO week: use --week, not --since/--until")
    if not cfg.destinations:
        raise UsageError(f"{cfg.path}: no [[destinations]] to send to")
    setup_logging()
    now = datetime.now(UTC)
    window = resolve_window(week=week, since=None, until=None, tz_name=cfg.report.timezone, now=now)
    label = window.week
    assert label is not None
    if window.end > now:  # a partial week posted now would stand in for the real one for good
        raise UsageError(
            f"--week {label} is not over yet: send it after {window.end:%Y-%m-%d %H:%M}"
        )
    engine = runtime.database(cfg)
    with runtime.exclusive(cfg, wait_s=60, what="contrib report --send"):
        planned = jobs.deliver_weekly(engine, cfg, week=label, now=now, only=to)
        summary = send_due(engine, config=cfg, only=to, clock=lambda: datetime.now(UTC))
    stderr.print(f"{label}: {planned} messages planned, {summary.sent} posted")
    if planned == 0 and summary.sent == 0 and summary.failed == 0:
        stderr.print("nothing new to post: this week's report already went to every destination")
    for name, problem in summary.problems.items():
        stderr.print(Text(f"error: {name}: {problem}", style="red"))
    if summary.failed:
        raise typer.Exit(1)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ContribError(f"cannot write {path}: {exc.strerror}") from None


# -- deliveries and the daemon ------------------------------------------------------------


@app.command()
@fail_cleanly
def deliveries(
    config: ConfigOpt = None,
    retry: Annotated[bool, typer.Option("--retry", help="Re-send what failed.")] = False,
    fmt: Annotated[TableJson, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The outbox: every post, its status, and why it failed.

    Example: contrib deliveries --retry
    """
    from contribbot.app import runtime
    from contribbot.cli.console import print_json, setup_logging
    from contribbot.cli.views import deliveries_table
    from contribbot.deliver.service import rows_for_listing, send_due

    cfg = runtime.load(config)
    engine = runtime.database(cfg)
    if retry:
        setup_logging()
        with runtime.exclusive(cfg, wait_s=60, what="contrib deliveries --retry"):
            summary = send_due(
                engine, config=cfg, retry_failed=True, clock=lambda: datetime.now(UTC)
            )
        stderr.print(f"{summary.sent} posted, {summary.failed} failed")
        for name, problem in summary.problems.items():
            stderr.print(Text(f"error: {name}: {problem}", style="red"))
    rows = rows_for_listing(engine)
    if fmt == "json":
        print_json(
            [
                {
                    "id": r.id,
                    "destination": r.destination,
                    "kind": r.kind,
                    "subject": r.subject,
                    "period": r.period,
                    "part": r.part,
                    "parts": r.parts,
                    "status": r.status,
                    "attempts": r.attempts,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                    "message_id": r.message_id,
                    "error": r.error,
                }
                for r in rows
            ]
        )
    elif rows:
        stdout.print(deliveries_table(rows))
    else:
        stdout.print("The outbox is empty: nothing has been posted yet.")
    if retry and summary.failed:
        raise typer.Exit(1)


@app.command()
@fail_cleanly
def daemon(
    config: ConfigOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due, then exit (for cron).")
    ] = False,
    log_format: Annotated[
        Literal["text", "json"],
        typer.Option("--log-format", help="text or json (for log collectors)."),
    ] = "text",
) -> None:
    """Poll GitHub, refresh candidates and post reports on the \\[schedule], until stopped.

    One daemon per database. SIGTERM or Ctrl-C finishes the page in hand and exits 0.

    Example: contrib daemon --config ~/.config/contribbot/contrib.toml

    Example (cron): */15 * * * * contrib daemon --once --config /path/contrib.toml
    """
    from contribbot.app import runtime
    from contribbot.app.daemon import Daemon
    from contribbot.cli.console import setup_logging

    setup_logging(json_lines=log_format == "json")
    cfg = runtime.load(config)
    if not cfg.track.repos or not cfg.track.users:
        raise UsageError(f"{cfg.path}: [track] needs at least one user and one repo")
    engine = runtime.database(cfg)
    with runtime.exclusive(cfg, wait_s=0, what="contrib daemon"):
        stopping = threading.Event()
        client = runtime.github_client(cfg, sleep=stopping.wait)
        runner = Daemon(config=cfg, engine=engine, client=client, stopping=stopping)
        if once:
            if not runner.once():
                raise typer.Exit(1)  # so cron notices
        else:
            runner.serve()


# -- status --------------------------------------------------------------------------------


@app.command()
@fail_cleanly
def status(
    config: ConfigOpt = None,
    fmt: Annotated[TableJson, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """When each repo and user last synced, what is stored, and the rate limit left.

    Example: contrib status --format json
    """
    from contribbot.app import runtime
    from contribbot.app.status import status as build_status
    from contribbot.cli.console import print_json
    from contribbot.store.db import session_scope

    cfg = runtime.load(config)
    with session_scope(runtime.database(cfg)) as session:
        doc = build_status(session, config=cfg)
    if fmt == "json":
        print_json(doc)
        return
    from contribbot.cli.views import print_status

    print_status(doc, stdout)


# -- demo ------------------------------------------------------------------------------------


@app.command()
@fail_cleanly
def demo(
    db: Annotated[
        Path | None,
        typer.Option(help="Database file to use (default: a fresh ./contrib-demo/contrib.db)."),
    ] = None,
    quiet: QuietOpt = False,
    post_to: Annotated[
        str | None,
        typer.Option(
            "--post-to",
            help="Also post the report to this Slack-compatible webhook "
            "(e.g. a local `python -m contribbot.fakehub.sink`).",
        ),
    ] = None,
) -> None:
    """See everything offline: a GitHub stand-in, a sync, candidates and a weekly report.

    Example: contrib demo

    Example: python -m contribbot.fakehub.sink --port 9999 & contrib demo --post-to http://127.0.0.1:9999/hook
    """
    from contribbot.app.demo import run_demo
    from contribbot.cli.console import setup_logging

    if post_to is not None and not post_to.startswith(("http://", "https://")):
        raise UsageError(f"--post-to: {post_to!r} is not an http(s) URL")
    setup_logging(quiet=True)
    run_demo(db=db, console=stdout, quiet=quiet, post_to=post_to)


def main() -> None:
    """Entry point of the `contrib` console script."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except BrokenPipeError:  # `contrib activity | head`
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:
        # A bad option or value, raised by the click inside Typer (Typer vendors it and
        # does not export the class): one line, not Typer's box.
        format_message = getattr(exc, "format_message", None)
        if format_message is None or not isinstance(getattr(exc, "exit_code", None), int):
            raise
        context = getattr(exc, "ctx", None)
        where = f" (see `{context.command_path} --help`)" if context is not None else ""
        stderr.print(Text(f"error: {format_message()}{where}", style="red"))
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    sys.exit(code if isinstance(code, int) else 0)
