"""Pure: ranked candidates as a rich table or Markdown (JSON is candidate_to_json).

Titles, logins and reasons (which quote comments) come from GitHub. Both formats
reach a terminal, and rich passes ESC sequences through even in a plain `Text`,
so every such string goes through `one_line` first; Markdown is escaped on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from contribbot.candidates.service import Ranked
from contribbot.report.render_markdown import escape_markdown, markdown_link
from contribbot.report.text import WIDE_TERMINAL, one_line

STATUS_TEXT = {
    "free": "free",
    "stale_claim": "free (ask first)",
    "taken": "taken",
    "mine": "yours",
}


def candidates_table(rows: Sequence[Ranked], *, title: str) -> Candidates:
    """The candidates for a terminal: a table when it is wide, a stacked list when not."""
    return Candidates(tuple(rows), title)


@dataclass(frozen=True)
class Candidates:
    """Decides at print time: at 80 columns a five-column table folded issue numbers
    ("pytorch/pytorch#288" over "6") and reasons a word a line."""

    rows: tuple[Ranked, ...]
    title: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The table or the list, for the width at hand."""
        if options.max_width >= WIDE_TERMINAL:
            yield self.table()
            return
        yield Text(self.title, style="bold")
        for row in self.rows:
            c = row.candidate
            head = Text(f"{c.score:.2f}  ")
            head.append(f"{one_line(c.repo)}#{c.number}", style="bold")
            head.append(f"  for {one_line(c.user)} · {STATUS_TEXT[c.status]}")
            if row.new:
                head.append(" · NEW", style="green bold")
            yield Text("")
            yield head
            yield Padding(Text(one_line(c.title)), (0, 0, 0, 6))
            for reason in c.reasons:
                yield Padding(Text(f"• {one_line(reason)}", style="dim"), (0, 0, 0, 6))

    def table(self) -> Table:
        """One row per candidate, with its reasons."""
        table = Table(title=self.title, title_justify="left", show_lines=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("for", no_wrap=True)
        table.add_column("issue", overflow="fold", ratio=2)
        table.add_column("status", no_wrap=True)
        table.add_column("why", overflow="fold", ratio=3)
        for row in self.rows:
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
