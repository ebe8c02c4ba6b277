"""The weekly report as one self-contained HTML page: inline CSS, inline SVG, no script.

*Pure*. The page is the Jinja2 template ``templates/report.html.j2`` with autoescape
on, so every string is escaped unless it is marked safe (only the chart's SVG, which
escapes its own text, and `ref`, which escapes each part). Only http(s) URLs become
links. A Content-Security-Policy forbids scripts and remote loads as a second line of
defence.

Each section reaches the template as its kind and a tuple of plain values, a row per
item: the template says how they look. Working the values out here, not in the
template, keeps a 500-user page (thousands of rows) fast: a call from a template, a
macro, or an attribute looked up through Jinja2 each costs several times a Python one.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, NamedTuple, assert_never

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from contribbot.report import text as t
from contribbot.report.charts import history_svg
from contribbot.report.model import CandidateRef, OpenPR, UserReport, WeeklyReport
from contribbot.report.outline import (
    CandidateList,
    Entry,
    GoalList,
    ItemList,
    Note,
    OpenPRList,
    Overview,
    Section,
    user_outline,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SUMMARY_HEADERS = (*t.TOTAL_LABELS.values(), "Total (change)", "Streak")
TEMPLATE = "report.html.j2"


def render_html(report: WeeklyReport) -> str:
    """The whole report as one HTML document."""
    _escaped.cache_clear()  # each page from scratch: what is shared is shared within it
    users = [_user(report, user, _slug(user.login, i)) for i, user in enumerate(report.users)]
    return _template().render(
        csp=Markup(CSP),  # our own constants, not escaped
        style=Markup(_style()),
        heading=t.heading(report),
        meta=f"{t.window_text(report)} \N{MIDDLE DOT} {t.freshness_text(report)}",
        empty_report=t.EMPTY_REPORT,
        no_history=t.NO_HISTORY,
        summary_headers=SUMMARY_HEADERS,
        users=users,
    )


def ref(repo: str, number: int, title: str, url: str) -> Markup:
    """A PR or issue: its title (a link for http and https only), then owner/name#123."""
    name = Markup(f"{_escaped(repo)}#{number}")
    label = escape(title.strip()) or name
    if t.is_web_url(url):
        return Markup(
            f'<a href="{escape(url.strip())}">{label}</a> <span class="ref">{name}</span>'
        )
    return Markup(f'{label} <span class="ref">{name}</span>')


@cache
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("contribbot.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE)


@cache
def _style() -> str:
    return files("contribbot.report").joinpath("templates/report.css").read_text(encoding="utf-8")


def _slug(login: str, index: int) -> str:
    # ids must be unique and plain even if two logins differ only in odd characters
    return f"u{index}-" + re.sub(r"[^A-Za-z0-9_-]", "-", login)


class OverviewValues(NamedTuple):
    """The totals table (a row per metric, then the total), the chart, the facts."""

    rows: list[tuple[str, str, str, str, str]]  # label, count, last week, trend, change
    total: str
    total_before: str
    total_trend: str
    total_change: str
    chart: Markup | None
    facts: tuple[tuple[str, str], ...]


class ListValues(NamedTuple):
    """A titled list or table: a tuple of values per row (see _values)."""

    title: str
    rows: list[tuple[Any, ...]]
    empty: str = ""


def _user(
    report: WeeklyReport, user: UserReport, slug: str
) -> tuple[UserReport, str, list[tuple[str, str]], list[tuple[str, Any]]]:
    """(user, its anchor, its summary cells, its sections as (kind, values))."""
    values = [
        *map(str, t.totals_values(user.totals)),
        t.total_with_delta(user),
        t.weeks_text(user.streak_weeks),
    ]
    cells = list(zip(SUMMARY_HEADERS, values, strict=True))
    sections = [(section.kind, _values(section, slug)) for section in user_outline(report, user)]
    return user, slug, cells, sections


def _values(section: Section, slug: str) -> OverviewValues | ListValues | str:
    """What the template shows of each kind of section (plain text; links as `ref`)."""
    match section:
        case Overview(user=user, facts=facts):
            return _overview(user, facts, slug)
        case Note(text=text):
            return text
        case ItemList(title=title, entries=entries):
            return ListValues(title, [(_ref(e), e.note) for e in entries])
        case OpenPRList(title=title, prs=prs, empty=empty):
            moves = [(_ref(p), _css_name(p.ball), t.ball_text(p), t.stale_text(p)) for p in prs]
            return ListValues(title, moves, empty)
        case GoalList(title=title, goals=goals):
            rows = [(t.goal_label(g), g.met, t.goal_outcome(g), t.hit_rate_text(g)) for g in goals]
            return ListValues(title, rows)
        case CandidateList(title=title, candidates=candidates):
            return ListValues(title, [(c.new, _ref(c), c.reasons) for c in candidates])
    assert_never(section)


def _ref(item: Entry | OpenPR | CandidateRef) -> Markup:
    return ref(item.repo, item.number, item.title, item.url)


def _overview(user: UserReport, facts: tuple[tuple[str, str], ...], slug: str) -> OverviewValues:
    rows = [
        (label, str(now), str(before), _trend(now, before), change)
        for label, now, before, change in t.totals_rows(user)
    ]
    now, before = user.totals.total(), user.previous_totals.total()
    return OverviewValues(
        rows,
        str(now),
        str(before),
        _trend(now, before),
        t.delta(now, before),
        _chart(user, slug),
        facts,
    )


def _chart(user: UserReport, slug: str) -> Markup | None:
    if not user.history:
        return None
    span = t.history_span(user)
    title = f"Contributions per week by {user.login}" + (f", {span}" if span else "")
    # history_svg escapes every string it is given
    return Markup(
        history_svg(user.history, user.history_weeks, title=title, chart_id=f"{slug}-chart")
    )


@lru_cache(maxsize=1024)
def _escaped(text: str) -> Markup:
    """Text that repeats on a page (a repo's name), escaped once."""
    return escape(text)


@lru_cache(maxsize=64)
def _css_name(name: str) -> str:
    return re.sub(r"[^a-z_]", "", name)


def _trend(now: int, before: int) -> str:
    return "up" if now > before else "down" if now < before else "same"
