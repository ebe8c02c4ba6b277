"""Pure: ranked candidates as a rich table or Markdown (JSON is candidate_to_json).

Titles, logins and reasons (which quote comments) come from GitHub. Both formats
reach a terminal, and rich passes ESC sequences through even in a plain `Text`,
so every such string goes through `one_line` first; Markdown is escaped on top.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from contribbot.candidates.service import Ranked
from contribbot.report.render_markdown import escape_markdown, markdown_link
from contribbot.report.text import one_line

STATUS_TEXT = {
    "free": "free",
    "stale_claim": "free (ask first)",
    "taken": "taken",
    "mine": "yours",
}


def candidates_table(rows: Sequence[Ranked], *, title: str) -> Table:
    """One row per candidate, with its reasons."""
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("for", no_wrap=True)
    table.add_column("issue", overflow="fold", ratio=2)
    table.add_column("status", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3)
    for row in rows:
        c = row.candidate
        issue = Text(f"{c.repo}#{c.number} ", style="bold")
        issue.append(Text(one_line(c.title)))
        if row.new:
            issue.append(" NEW", style="green bold")
        table.add_row(
            f"{c.score:.2f}",
            Text(one_line(c.user)),
            issue,
            STATUS_TEXT[c.status],
            Text("\n".join(f"• {one_line(reason)}" for reason in c.reasons)),
        )
    return table


def candidates_markdown(rows: Sequence[Ranked], *, title: str) -> str:
    """A Markdown list, ready for a post."""
    lines = [f"## {escape_markdown(title)}", ""]
    if not rows:
        lines.append("No free candidates right now.")
    for row in rows:
        c = row.candidate
        new = " **new**" if row.new else ""
        label = one_line(f"{c.repo}#{c.number}: {c.title}")
        lines.append(
            f"- {markdown_link(label, c.url)} ({STATUS_TEXT[c.status]}, score {c.score:.2f}, "
            f"for @{escape_markdown(one_line(c.user))}){new}"
        )
        lines.extend(f"  - {escape_markdown(one_line(reason))}" for reason in c.reasons)
    return "\n".join(lines) + "\n"
