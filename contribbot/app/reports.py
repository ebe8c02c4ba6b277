"""Making a weekly report end to end: config -> window -> database facts (+ candidates)
-> the pure report -> one format. Candidates and the report meet here, not in each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from contribbot.candidates.service import rank
from contribbot.config import Config
from contribbot.errors import UsageError
from contribbot.report.assemble import assemble
from contribbot.report.facts import Settings
from contribbot.report.model import CandidateRef, WeeklyReport
from contribbot.report.queries import load_facts
from contribbot.report.service import render
from contribbot.report.window import Window, resolve_window
from contribbot.store.reader import Reader

if TYPE_CHECKING:  # rich is imported only when a terminal shows the report, SQLAlchemy
    from rich.console import Console  # only by callers that hand an engine or a session
    from sqlalchemy import Engine
    from sqlmodel import Session

REPORTABLE = ("free", "stale_claim")  # a report suggests only issues one can pick up


def make_report(
    config: Config,
    *,
    db: Reader | Engine,
    week: str | None,
    since: str | None,
    until: str | None,
    users: Sequence[str],
    now: datetime,
) -> WeeklyReport:
    """Build the report model for a window (see resolve_window for the defaults), from a
    reader (the read commands) or an engine (the daemon, workers, demo: one session)."""
    if not users:
        raise UsageError("no users: pass --user LOGIN or set [track] users")
    window = resolve_window(week=week, since=since, until=until, tz=config.report.timezone, now=now)
    if isinstance(db, Reader):
        return build_report(db, config=config, users=users, window=window, now=now)
    from contribbot.store.db import session_scope

    with session_scope(db) as session:
        return build_report(session, config=config, users=users, window=window, now=now)


def build_report(
    db: Reader | Session,
    *,
    config: Config,
    users: Sequence[str],
    window: Window,
    now: datetime,
    with_candidates: bool = True,
) -> WeeklyReport:
    """The report for `users` over `window` from one session (or reader)."""
    facts = load_facts(
        db,
        users=users,
        repos=config.track.repos,
        window=window,
        now=now,
        settings=settings_of(config, users),
    )
    if with_candidates:
        facts = facts.with_candidates(report_candidates(db, config, users, now))
    return assemble(facts, window, now)


def settings_of(config: Config, users: Sequence[str]) -> Settings:
    """What the report takes from the config: goals per user, staleness, candidate count."""
    return Settings(
        goals={login: config.goals_for(login) for login in users},
        stale_after_days=config.report.stale_after_days,
        candidates=config.report.candidates,
    )


def report_candidates(
    db: Reader | Session, config: Config, users: Sequence[str], now: datetime
) -> Mapping[str, list[CandidateRef]]:
    """The report's "next week" picks: each user's best free (or stale-claim) candidates."""
    if config.report.candidates == 0:
        return {}
    ranked = rank(db, config=config, users=users, repos=config.track.repos, now=now)
    return {
        login: [
            CandidateRef(
                repo=r.candidate.repo,
                number=r.candidate.number,
                title=r.candidate.title,
                url=r.candidate.url,
                score=r.candidate.score,
                reasons=r.candidate.reasons,
                status=r.candidate.status,
                new=r.new,
            )
            for r in items
            if r.candidate.status in REPORTABLE
        ][: config.report.candidates]
        for login, items in ranked.items()
    }


def render_report(
    config: Config,
    *,
    db: Reader | Engine,
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
    report = make_report(config, db=db, week=week, since=since, until=until, users=users, now=now)
    if fmt == "terminal" and console is not None:
        from contribbot.report.render_terminal import print_terminal

        print_terminal(report, console)
        return ""
    return render(report, fmt=fmt, front_matter=front_matter)
