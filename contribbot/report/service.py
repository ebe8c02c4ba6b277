"""Making a report end to end: window -> database -> model -> one format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from sqlalchemy import Engine

from contribbot.config import Config
from contribbot.errors import UsageError
from contribbot.report.build import build_report, resolve_window
from contribbot.report.model import WeeklyReport, report_to_json
from contribbot.store.db import session_scope

FORMATS = ("terminal", "markdown", "html", "json")


def make_report(
    config: Config,
    *,
    engine: Engine,
    week: str | None,
    since: str | None,
    until: str | None,
    users: Sequence[str],
    now: datetime,
) -> WeeklyReport:
    """Build the report model for a window (see resolve_window for the defaults)."""
    if not users:
        raise UsageError("no users: pass --user LOGIN or set [track] users")
    window = resolve_window(
        week=week, since=since, until=until, tz_name=config.report.timezone, now=now
    )
    with session_scope(engine) as session:
        from contribbot.candidates.service import report_candidates

        picks = report_candidates(session, config=config, users=users, now=now)
        return build_report(
            session, config=config, users=users, window=window, now=now, candidates=picks
        )


def render(report: WeeklyReport, *, fmt: str, front_matter: bool = False) -> str:
    """One format of the report as text (terminal: plain text, no colour)."""
    if fmt == "json":
        return json.dumps(report_to_json(report), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        from contribbot.report.render_markdown import render_markdown

        return render_markdown(report, front_matter=front_matter)
    if fmt == "html":
        from contribbot.report.render_html import render_html

        return render_html(report)
    if fmt == "terminal":
        from contribbot.report.render_terminal import render_terminal

        console = Console(width=100, color_system=None, force_terminal=False)
        with console.capture() as captured:
            console.print(render_terminal(report))
        return captured.get()
    raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")


def render_report(
    config: Config,
    *,
    engine: Engine,
    week: str | None,
    since: str | None,
    until: str | None,
    users: Sequence[str],
    fmt: str,
    front_matter: bool,
    now: datetime,
    console: Console | None = None,
) -> str:
    """Build and render; a terminal report with a console is printed there (with colour)."""
    report = make_report(
        config, engine=engine, week=week, since=since, until=until, users=users, now=now
    )
    if fmt == "terminal" and console is not None:
        from contribbot.report.render_terminal import print_terminal

        print_terminal(report, console)
        return ""
    return render(report, fmt=fmt, front_matter=front_matter)
