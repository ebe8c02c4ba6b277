"""One format of a report: WeeklyReport -> text. *Pure*; building it is ``contribbot.app``'s."""

from __future__ import annotations

import json

from contribbot.errors import UsageError
from contribbot.report.model import WeeklyReport, report_to_json

FORMATS = ("terminal", "markdown", "html", "json")


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
        from contribbot.report.render_terminal import render_terminal_text

        return render_terminal_text(report)
    raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
