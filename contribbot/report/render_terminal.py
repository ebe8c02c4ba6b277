"""The weekly report for a terminal, as rich renderables.

*Pure*. Text from GitHub only ever enters as `rich.text.Text`, never as a
markup string, so "[bold]" or ":tada:" in a title stays literal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from rich import box
from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.table import Table
from rich.text import Text

from contribbot.report import text as t
from contribbot.report.charts import sparkline
from contribbot.report.model import CandidateRef, ItemRef, OpenPR, UserReport, WeeklyReport

SUMMARY_HEADERS = (
    "PRs\nopened",
    "PRs\nmerged",
    "PRs\nclosed",
    "Issues\nopened",
    "Issues\nclosed",
    "Reviews\ngiven",
    "Comments",
)
UP, DOWN = "green", "red"


def _printable(report: WeeklyReport) -> WeeklyReport:
    """The report with every string from GitHub made safe for a terminal."""

    def item(i: ItemRef) -> ItemRef:
        return replace(i, title=t.one_line(i.title))

    def user(u: UserReport) -> UserReport:
        return replace(
            u,
            login=t.one_line(u.login),
            open_prs=tuple(replace(p, title=t.one_line(p.title)) for p in u.open_prs),
            merged_prs=tuple(map(item, u.merged_prs)),
            opened_prs=tuple(map(item, u.opened_prs)),
            reviews=tuple(map(item, u.reviews)),
            issues=tuple(map(item, u.issues)),
            candidates=tuple(
                replace(c, title=t.one_line(c.title), reasons=tuple(map(t.one_line, c.reasons)))
                for c in u.candidates
            ),
        )

    return replace(report, users=tuple(map(user, report.users)))


def render_terminal(report: WeeklyReport) -> Group:
    """The whole report as one rich renderable."""
    report = _printable(report)
    parts: list[RenderableType] = [_header(report)]
    if not report.users:
        parts.append(Text(t.EMPTY_REPORT, style="italic"))
    if len(report.users) > 1:
        parts.append(_summary(report.users))
    for user in report.users:
        parts.extend(_user_section(report, user))
    return Group(*parts)


def render_terminal_text(report: WeeklyReport) -> str:
    """The report as plain text, 100 columns, no colour (for a file)."""
    console = Console(width=100, color_system=None, force_terminal=False)
    with console.capture() as captured:
        console.print(render_terminal(report))
    return captured.get()


def print_terminal(report: WeeklyReport, console: Console) -> None:
    """Print the report on a console."""
    console.print(render_terminal(report))


def _header(report: WeeklyReport) -> Text:
    return Text.assemble(
        (t.heading(report), "bold"),
        "\n",
        (f"{t.window_text(report)} \N{MIDDLE DOT} {t.freshness_text(report)}", "dim"),
        "\n",
    )


def _summary(users: Sequence[UserReport]) -> Table:
    table = Table(title="Summary", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("User")
    for header in SUMMARY_HEADERS:
        table.add_column(header, justify="right")
    table.add_column("Total\n(change)", justify="right")
    table.add_column("Streak", justify="right")
    for user in users:
        table.add_row(
            Text(user.login, style="bold"),
            *(Text(str(v)) for v in t.totals_values(user.totals)),
            Text(t.total_with_delta(user)),
            Text(t.weeks_text(user.streak_weeks)),
        )
    return table


def _user_section(report: WeeklyReport, user: UserReport) -> list[RenderableType]:
    parts: list[RenderableType] = [Rule(Text(user.login, style="bold")), _totals(user)]
    parts.extend(_facts(user))
    if not t.has_week_items(user):
        parts.append(Text(t.EMPTY_WEEK + "\n", style="italic"))
    parts.extend(
        _item_list(title, items, report)
        for title, items in (
            ("Merged this week", user.merged_prs),
            ("Opened this week", user.opened_prs),
        )
        if items
    )
    parts.append(_open_prs(user.open_prs))
    if user.goals:
        parts.append(_goals(user))
    if user.candidates:
        parts.append(_candidates(user.candidates[: t.MAX_CANDIDATES]))
    parts.extend(
        _item_list(title, items, report)
        for title, items in (("Reviews given", user.reviews), ("Issues", user.issues))
        if items
    )
    return parts


def _totals(user: UserReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("This week")
    for header in ("Count", "Last week", "Change"):
        table.add_column(header, justify="right")
    for label, now, before, _ in t.totals_rows(user):
        table.add_row(label, str(now), str(before), _change(now, before))
    now, before = user.totals.total(), user.previous_totals.total()
    table.add_row(Text("Total", style="bold"), str(now), str(before), _change(now, before))
    return table


def _change(now: int, before: int) -> Text:
    return Text(t.delta(now, before), style=UP if now > before else DOWN if now < before else "")


def _facts(user: UserReport) -> list[Text]:
    facts = [_fact("Last 12 weeks", _history_text(user))]
    facts.extend(_fact(label, phrase) for label, phrase in t.user_facts(user))
    facts[-1].append("\n")
    return facts


def _fact(label: str, value: str) -> Text:
    return Text.assemble((f"{label}: ", "bold"), value)


def _history_text(user: UserReport) -> str:
    if not user.history:
        return t.NO_HISTORY
    summary = f"{sparkline(user.history)}  this week {user.history[-1]}, peak {max(user.history)}"
    span = t.history_span(user)
    return f"{summary} ({span})" if span else summary


def _link(label: str, url: str) -> Text:
    return Text(label, style=Style(link=url) if t.is_web_url(url) else "")


def _ref(repo: str, number: int, url: str) -> Text:
    return _link(f"{repo}#{number}", url)


def _bullets(title: str, lines: Iterable[Text]) -> RenderableType:
    # a grid keeps wrapped titles indented under their bullet
    grid = Table.grid(padding=(0, 1))
    grid.title, grid.title_justify, grid.title_style = title, "left", "bold"
    grid.add_column(width=1)
    grid.add_column(ratio=1)
    for line in lines:
        grid.add_row("\N{BULLET}", line)
    return Group(grid, Text())


def _item_list(title: str, items: Sequence[ItemRef], report: WeeklyReport) -> RenderableType:
    return _bullets(title, (_item_line(item, report) for item in items))


def _item_line(item: ItemRef, report: WeeklyReport) -> Text:
    notes = t.item_notes(report, item)
    return Text.assemble(
        _ref(item.repo, item.number, item.url),
        " ",
        Text(item.title),
        (f" \N{MIDDLE DOT} {notes}", "dim"),
    )


def _open_prs(prs: Sequence[OpenPR]) -> RenderableType:
    if not prs:
        return Group(Text("Open PRs", style="bold"), Text(t.NO_OPEN_PRS), Text())
    table = Table(
        title="Open PRs", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, leading=1
    )
    table.add_column("PR", ratio=1)
    table.add_column("Whose move", no_wrap=True)
    for pr in prs:
        move = Text(t.ball_text(pr))
        if pr.stale:
            move.append(f"\n\N{WARNING SIGN} {t.stale_text(pr)}", style="bold red")
        ref = _ref(pr.repo, pr.number, pr.url)
        ref.stylize("dim")
        table.add_row(Text.assemble(Text(pr.title), "\n", ref), move)
    return table


def _goals(user: UserReport) -> Table:
    table = Table(title="Goals", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    for header in ("Goal", "This week", "Hit rate"):
        table.add_column(header)
    for goal in user.goals:
        mark = Text(
            f"\N{CHECK MARK} {t.goal_outcome(goal)}"
            if goal.met
            else f"\N{BALLOT X} {t.goal_outcome(goal)}",
            style=UP if goal.met else DOWN,
        )
        table.add_row(Text(t.goal_label(goal)), mark, t.hit_rate_text(goal))
    return table


def _candidates(candidates: Sequence[CandidateRef]) -> RenderableType:
    lines = []
    for cand in candidates:
        line = Text.assemble(_ref(cand.repo, cand.number, cand.url), " ")
        if cand.new:
            line.append("NEW ", style="bold green")
        line.append(Text(cand.title))
        if cand.reasons:
            line.append(Text(f" \N{MIDDLE DOT} {'; '.join(cand.reasons)}", style="dim"))
        lines.append(line)
    return _bullets("Good first issues for next week", lines)
