"""The terminal report on a colour terminal: the codes rich would write, links that hold
together when a title wraps over lines."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from report_fixtures import cohort_report, empty_week_report
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console
from rich.style import Style

from contribbot.report.model import WeeklyReport
from contribbot.report.render_terminal import (
    STYLES,
    print_terminal,
    render_terminal_text,
    terminal_lines,
)

LINK_ID = re.compile(r"\x1b\]8;id=[^;]*;")
OPENED = re.compile(r"\x1b\]8;id=([^;]*);([^\x1b]*)\x1b\\")


def _printed(report: WeeklyReport, width: int, system: str) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system=system)
    print_terminal(report, console)
    return buffer.getvalue()


def _as_rich_writes_it(report: WeeklyReport, width: int, system: ColorSystem) -> str:
    out = []
    for line in terminal_lines(report, width):
        for span in line:
            style = STYLES[span.style] if span.style else Style()
            if span.link:
                style += Style(link=span.link)
            out.append(
                style.render(span.text, color_system=system)
                if span.style or span.link
                else span.text
            )
        out.append("\n")
    return "".join(out)


def _long_title_report() -> WeeklyReport:
    report = cohort_report()
    user = report.users[0]
    # a repo name wider than the line: its link is cut over several lines
    long = replace(user.merged_prs[0], repo="org/" + "a-long-name" * 8, title="wraps " * 20)
    return replace(report, users=(replace(user, merged_prs=(long,)), *report.users[1:]))


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
@pytest.mark.parametrize("make", [cohort_report, empty_week_report, _long_title_report])
def test_the_codes_are_what_rich_writes_but_the_link_ids(make, system):
    report = make()
    expected = _as_rich_writes_it(report, 60, COLOR_SYSTEMS[system])
    assert LINK_ID.sub("", _printed(report, 60, system)) == LINK_ID.sub("", expected)


def test_a_wrapped_links_pieces_share_one_id_and_other_links_differ():
    out = _printed(_long_title_report(), 60, "truecolor")
    ids: dict[str, set[str]] = {}
    for link_id, url in OPENED.findall(out):
        ids.setdefault(url, set()).add(link_id)
    wrapped = cohort_report().users[0].merged_prs[0].url
    assert len(re.findall(re.escape(wrapped), out)) > 1  # the title did wrap
    assert all(len(found) == 1 for found in ids.values())
    assert len({next(iter(found)) for found in ids.values()}) == len(ids)


@pytest.mark.parametrize("make", [cohort_report, empty_week_report, _long_title_report])
def test_without_colour_the_page_is_the_plain_text_recorded_or_not(make):
    report = make()
    buffer = io.StringIO()
    print_terminal(report, Console(file=buffer, width=70, color_system=None))
    recorder = Console(file=io.StringIO(), width=70, color_system=None, record=True)
    print_terminal(report, recorder)
    assert buffer.getvalue() == render_terminal_text(report, 70)
    assert recorder.export_text() == buffer.getvalue()
