"""One format of a report: WeeklyReport -> text. *Pure*; building it is ``contribbot.app``'s."""

from __future__ import annotations

from contribbot.errors import UsageError
from contribbot.report.model import WeeklyReport

FORMATS = ("terminal", "markdown", "html", "json")


def render(report: WeeklyReport, *, fmt: str, front_matter: bool = False) -> str:
    """One format of the report as text (terminal: plain text, no colour)."""
    if fmt == "json":
        from contribbot.report.render_json import render_json

        return render_json(report)
    if fmt == "markdown":
        from contribbot.report.render_markdown import render_markdown

        return render_markdown(report, front_matter=front_matter)
    if fmt == "html":
        from contribbot.report.render_html import render_html

        return render_html(report)
    if fmt == "terminal":
        from contribbot.report.render_terminal import render_terminal_text

        return render_terminal_text(report)
    raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
