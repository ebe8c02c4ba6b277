"""`contrib activity`, `contrib status` and `contrib candidates`: what the database knows."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from contribbot.cli.base import ConfigOpt, TableJson, UsersOpt, app, fail_cleanly, out
from contribbot.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from contribbot.config import Config


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

    The window defaults to the last 7 days. A date alone means midnight in [report] timezone.

    Example: contrib activity --user alice --since 2026-11-16 --format json
    """
    from contribbot.activity import contributions
    from contribbot.app import runtime
    from contribbot.app.windows import activity_window
    from contribbot.cli.console import print_json

    cfg = runtime.load(config)
    users = runtime.tracked(cfg, user)
    start, end = activity_window(since, until, cfg.report.timezone, now=datetime.now(UTC))
    with runtime.reading(cfg) as db:
        items = contributions(db, users=users, since=start, until=end)
    if fmt == "json":
        print_json([item.to_json() for item in items])
        return
    from contribbot.cli.views import print_activity

    print_activity(items, start, end, cfg.report.timezone, out())


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

    cfg = runtime.load(config)
    with runtime.reading(cfg) as db:
        doc = build_status(db, config=cfg)
    if fmt == "json":
        print_json(doc)
        return
    from contribbot.cli.views import print_status

    print_status(doc, out())


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
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Post the digest to destinations with candidates = true (once a day each).",
        ),
    ] = False,
    to: Annotated[str | None, typer.Option("--to", help="Only this destination (by name).")] = None,
) -> None:
    """Good-first issues you can really pick up today: still free, ranked for you, with reasons.

    Example: contrib candidates --user alice --limit 5 --format json

    Example: contrib candidates --send --to team-slack
    """
    from contribbot.app import runtime

    cfg = runtime.load(config)
    repos = repo or cfg.track.repos
    unknown = [r for r in repos if r not in cfg.track.repos]
    if unknown:
        raise UsageError(f"--repo: {unknown[0]} is not in [track] repos of {cfg.path}")
    users = runtime.tracked(cfg, user)
    if send or to:
        if user or repo or fmt != "table" or show_all:
            raise UsageError(
                "--send posts each destination's own digest: "
                "--user, --repo, --format and --all do not apply"
            )
        _send_digest(cfg, to=to)
        return
    if refresh:
        _refresh(cfg, runtime.database(cfg))
    from contribbot.app.candidates import best_first
    from contribbot.candidates.service import rank

    with runtime.reading(cfg) as db:
        ranked = rank(
            db, config=cfg, users=users, repos=repos, now=datetime.now(UTC), show_all=show_all
        )
    rows = best_first(ranked, users, limit=limit)
    if fmt == "json":
        from contribbot.candidates.model import candidate_to_json
        from contribbot.cli.console import print_json

        print_json([candidate_to_json(r.candidate, new=r.new) for r in rows])
    elif fmt == "markdown":
        from contribbot.candidates.render import candidates_markdown

        sys.stdout.write(candidates_markdown(rows, title="Good first issues"))
    elif rows:
        from contribbot.candidates.render import candidates_table

        out().print(candidates_table(rows, title="Good first issues (best first)"))
    else:
        out().print("No candidates yet: run `contrib sync` (it refreshes them once a day).")


def _refresh(cfg: Config, engine: Engine) -> None:
    from contribbot.app import runtime
    from contribbot.candidates.refresh import refresh_candidates

    with runtime.exclusive(cfg, wait_s=60, what="contrib candidates --refresh"):
        refresh_candidates(
            engine=engine,
            client=runtime.github_client(cfg),
            config=cfg,
            clock=lambda: datetime.now(UTC),
        )


def _send_digest(cfg: Config, *, to: str | None) -> None:
    from contribbot.app import runtime
    from contribbot.app.candidates import send_digest
    from contribbot.cli.base import report_send_summary
    from contribbot.cli.console import setup_logging

    if not cfg.destinations:
        raise UsageError(f"{cfg.path}: no [[destinations]] to send to")
    setup_logging()
    now = datetime.now(UTC)
    engine = runtime.database(cfg)
    with runtime.exclusive(cfg, wait_s=60, what="contrib candidates --send"):
        planned, summary = send_digest(
            engine, cfg, now=now, clock=lambda: datetime.now(UTC), only=to
        )
    report_send_summary("today's digest", planned, summary)
