"""`contrib report` and `contrib deliveries`: the weekly report, on screen or posted."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from contribbot.cli.base import (
    ConfigOpt,
    TableJson,
    UsersOpt,
    app,
    error_line,
    fail_cleanly,
    out,
    report_send_summary,
    say,
)
from contribbot.errors import UsageError

if TYPE_CHECKING:
    from contribbot.config import Config

ReportFormat = Literal["terminal", "markdown", "html", "json"]


def _week(value: str | None) -> str | None:
    if value and re.fullmatch(r"\s*\d{4}-w\d{2}\s*", value):
        return value.strip().upper()  # 2026-w47 is 2026-W47
    return value


@app.command()
@fail_cleanly
def report(
    config: ConfigOpt = None,
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W47.", callback=_week)
    ] = None,
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

    Default: the last complete ISO week in [report] timezone. No network, except --send.

    Example: contrib report --week 2026-W47 --format markdown --front-matter -o week47.md

    Example: contrib report --send --to team-slack
    """
    from contribbot.app import runtime

    cfg = runtime.load(config)
    if send or to:
        if user or output or fmt != "terminal" or front_matter:
            raise UsageError(
                "--send posts each destination's own report: "
                "--user, --format, --output and --front-matter do not apply"
            )
        if since or until:
            raise UsageError("--send posts a whole ISO week: use --week, not --since/--until")
        _send_report(cfg, week=week, to=to)
        return
    if front_matter and fmt != "markdown":
        raise UsageError(f"--front-matter is for --format markdown, not {fmt}")
    if output is not None and not output.parent.is_dir():
        raise UsageError(
            f"--output: cannot write {output}: directory {output.parent} does not exist"
        )
    users = runtime.tracked(cfg, user)
    from contribbot.app.reports import render_report

    with runtime.reading(cfg) as db:
        text = render_report(
            cfg,
            db=db,
            week=week,
            since=since,
            until=until,
            users=users,
            fmt=fmt,
            front_matter=front_matter,
            now=datetime.now(UTC),
            console=out() if output is None and fmt == "terminal" else None,
        )
    if output is not None:
        _write_atomically(output, text)
        say(f"wrote {output}")
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _send_report(cfg: Config, *, week: str | None, to: str | None) -> None:
    from contribbot.app import runtime
    from contribbot.app.sending import send_weekly, week_to_send
    from contribbot.cli.console import setup_logging

    now = datetime.now(UTC)
    label = week_to_send(cfg, week=week, now=now)
    setup_logging()
    engine = runtime.database(cfg)
    with runtime.exclusive(cfg, wait_s=60, what="contrib report --send"):
        planned, summary = send_weekly(
            engine, cfg, week=label, now=now, clock=lambda: datetime.now(UTC), only=to
        )
    report_send_summary(label, planned, summary)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"--output: cannot write {path}: {exc.strerror}") from None


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
    from contribbot.deliver.outbox import delivery_to_json
    from contribbot.deliver.service import rows_for_listing, send_due

    cfg = runtime.load(config)
    engine = runtime.database(cfg)
    failed = 0
    if retry:
        from contribbot.cli.console import setup_logging

        setup_logging()
        with runtime.exclusive(cfg, wait_s=60, what="contrib deliveries --retry"):
            summary = send_due(
                engine, config=cfg, retry_failed=True, clock=lambda: datetime.now(UTC)
            )
        say(f"{summary.sent} posted, {summary.failed} failed")
        for name, problem in summary.problems.items():
            error_line(f"{name}: {problem}")
        failed = summary.failed
    rows = rows_for_listing(engine)
    if fmt == "json":
        from contribbot.cli.console import print_json

        print_json([delivery_to_json(r) for r in rows])
    elif rows:
        from contribbot.cli.views import deliveries_table

        out().print(deliveries_table(rows))
    else:
        out().print("The outbox is empty: nothing has been posted yet.")
    if failed:
        raise typer.Exit(1)
