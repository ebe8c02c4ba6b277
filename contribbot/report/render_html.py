"""The weekly report as one self-contained HTML page: inline CSS, inline SVG, no script.

*Pure*. The page is the Jinja2 template ``templates/report.html.j2`` with autoescape
on, so every string is escaped unless it is marked safe (only the chart's SVG, which
escapes its own text). Only http(s) URLs become links. A Content-Security-Policy
forbids scripts and remote loads as a second line of defence.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from contribbot.report import text as t
from contribbot.report.charts import history_svg
from contribbot.report.model import UserReport, WeeklyReport
from contribbot.report.outline import user_outline

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SUMMARY_HEADERS = (*t.TOTAL_LABELS.values(), "Total (change)", "Streak")
TEMPLATE = "report.html.j2"


def render_html(report: WeeklyReport) -> str:
    """The whole report as one HTML document."""
    users = [
        (user, _slug(user.login, i), user_outline(report, user))
        for i, user in enumerate(report.users)
    ]
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


@cache
def _template() -> Template:
    env = Environment(
        loader=PackageLoader("contribbot.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["css_name"] = lambda name: re.sub(r"[^a-z_]", "", str(name))
    env.filters["trend"] = _trend  # a filter: called directly, cheaper than a global
    env.globals.update(
        ref=ref,
        delta=t.delta,
        totals_rows=t.totals_rows,
        ball_text=t.ball_text,
        stale_text=t.stale_text,
        goal_label=t.goal_label,
        goal_outcome=t.goal_outcome,
        hit_rate_text=t.hit_rate_text,
        summary_cells=_summary_cells,
        chart=_chart,
        unknown_section=_unknown_section,
    )
    return env.get_template(TEMPLATE)


@cache
def _style() -> str:
    return files("contribbot.report").joinpath("templates/report.css").read_text(encoding="utf-8")


def _slug(login: str, index: int) -> str:
    # ids must be unique and plain even if two logins differ only in odd characters
    return f"u{index}-" + re.sub(r"[^A-Za-z0-9_-]", "-", login)


def _summary_cells(user: UserReport) -> list[tuple[str, Any]]:
    values = [
        *t.totals_values(user.totals),
        t.total_with_delta(user),
        t.weeks_text(user.streak_weeks),
    ]
    return list(zip(SUMMARY_HEADERS, values, strict=True))


def _chart(user: UserReport, slug: str) -> Markup:
    span = t.history_span(user)
    title = f"Contributions per week by {user.login}" + (f", {span}" if span else "")
    # history_svg escapes every string it is given
    return Markup(
        history_svg(user.history, user.history_weeks, title=title, chart_id=f"{slug}-chart")
    )


def ref(repo: str, number: int, title: str, url: str) -> Markup:
    """A PR or issue: its title (a link for http and https only), then owner/name#123.

    Markup's % escapes every argument, as the template's autoescape would.
    """
    name = f"{repo}#{number}"
    label = title.strip() or name
    if t.is_web_url(url):
        return _LINK % (url.strip(), label, name)
    return _NO_LINK % (label, name)


_LINK = Markup('<a href="%s">%s</a> <span class="ref">%s</span>')
_NO_LINK = Markup('%s <span class="ref">%s</span>')


def _trend(now: int, before: int) -> str:
    return "up" if now > before else "down" if now < before else "same"


def _unknown_section(section: object) -> str:
    raise TypeError(f"the HTML template has no look for {type(section).__name__}")
