"""The weekly report for a terminal: plain lines, wrapped to the width, a few colours.

*Pure* up to `print_terminal`. Lines are built as (text, style, link) spans and wrapped
here, not laid out by rich's tables: a 500-user cohort is 2 MB of text, which rich's
table layout took over ten seconds to measure. Nothing is wider than the width asked
for (80 columns by default), and every string from GitHub goes through `one_line`, so
an escape sequence, a bidi override or "[bold]" in a title stays inert text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple, assert_never

from rich.cells import cell_len, get_character_cell_size
from rich.color import ColorSystem
from rich.console import COLOR_SYSTEMS, Console
from rich.style import Style

from contribbot.report import text as t
from contribbot.report.charts import sparkline
from contribbot.report.model import CandidateRef, Goal, OpenPR, UserReport, WeeklyReport
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

WIDTH = 80
MIN_WIDTH = 40
BULLET = "\N{BULLET} "
INDENT = "  "
RULE = "\N{BOX DRAWINGS LIGHT HORIZONTAL}"
SUMMARY_COLUMNS = (  # two header lines each; the numbers are right-aligned under them
    ("PRs", "opened"),
    ("PRs", "merged"),
    ("PRs", "closed"),
    ("Issues", "opened"),
    ("Issues", "closed"),
    ("Reviews", "given"),
    ("", "Comments"),
    ("Total", "(change)"),
    ("", "Streak"),
)
STYLES = {
    "bold": Style(bold=True),
    "dim": Style(dim=True),
    "italic": Style(italic=True),
    "up": Style(color="green"),
    "down": Style(color="red"),
    "new": Style(bold=True, color="green"),
    "stale": Style(bold=True, color="red"),
}


class Span(NamedTuple):
    """A piece of a line: text, a style name from STYLES, a link (a tuple: 50,000 a page)."""

    text: str
    style: str | None = None
    link: str | None = None


Line = tuple[Span, ...]


def terminal_lines(report: WeeklyReport, width: int = WIDTH) -> list[Line]:
    """The whole report as lines of at most `width` cells."""
    width = max(width, MIN_WIDTH)
    for cached in (_total_line, _fact_lines, _note_lines, one):
        cached.cache_clear()  # each page from scratch: what is shared is shared within it
    lines = [
        (Span(t.heading(report), "bold"),),
        *_meta(report, width),
        (),
    ]
    if not report.users:
        lines.append((Span(t.EMPTY_REPORT, "italic"),))
    if len(report.users) > 1:
        lines.extend(_summary(report.users, width))
    for user in report.users:
        lines.extend(_user(report, user, width))
    return lines


def _meta(report: WeeklyReport, width: int) -> list[Line]:
    """The window and the data's freshness: one line, or one each when that is too wide."""
    parts = [t.window_text(report), t.freshness_text(report)]
    joined = " \N{MIDDLE DOT} ".join(parts)
    if _cells(joined) <= width:
        return [(Span(joined, "dim"),)]
    return [line for part in parts for line in _wrap([Span(part, "dim")], width, INDENT)]


def render_terminal_text(report: WeeklyReport, width: int = WIDTH) -> str:
    """The report as plain text (for a file, or a terminal without colour)."""
    return "".join(_plain(line) + "\n" for line in terminal_lines(report, width))


def print_terminal(report: WeeklyReport, console: Console) -> None:
    """Print the report on a console, in colour (and with links) when it has them."""
    lines = terminal_lines(report, console.width)
    if console.no_color or console.color_system is None:
        text = "".join(_plain(line) + "\n" for line in lines)
        if console.record:  # export_text() reads only what went through rich
            console.out(text, end="", highlight=False)
        else:  # rich's rendering of a megabyte of plain text took longer than making it
            console.file.write(text)
            console.file.flush()
        return
    system = COLOR_SYSTEMS[console.color_system]
    links: dict[str, int] = {}  # a link's pieces (wrapped over lines) share an id
    out: list[str] = []
    for line in lines:
        for text, style, link in line:
            if not text:
                continue
            if style is not None:
                before, after = _codes(style, system)
                text = f"{before}{text}{after}"
            if link:  # OSC 8, as rich writes it
                number = links.setdefault(link, len(links) + 1)
                text = f"\x1b]8;id={number};{link}\x1b\\{text}\x1b]8;;\x1b\\"
            out.append(text)
        out.append("\n")
    console.file.write("".join(out))
    console.file.flush()


def _plain(line: Line) -> str:
    return "".join([span.text for span in line]).rstrip()


@lru_cache(maxsize=64)
def _codes(style: str, system: ColorSystem) -> tuple[str, str]:
    """What rich writes before and after a text in this style (the same for any text)."""
    before, _, after = STYLES[style].render("\0", color_system=system).partition("\0")
    return before, after


# -- the summary -------------------------------------------------------------------------


def _summary(users: Sequence[UserReport], width: int) -> list[Line]:
    rows = [(one(user.login), _summary_cells(user)) for user in users]
    name = max(4, *(cell_len(login) for login, _ in rows))
    cols = [
        max(len(top), len(bottom), *(len(cells[i]) for _, cells in rows))
        for i, (top, bottom) in enumerate(SUMMARY_COLUMNS)
    ]
    lines: list[Line] = [(Span("Summary", "bold"),)]
    if name + 1 + sum(c + 1 for c in cols) > width:  # too wide: a stacked paragraph a user
        for login, values in rows:
            lines.extend(_wrap([Span(login, "bold"), Span(" " + _stacked(values))], width, INDENT))
        return [*lines, ()]
    for header in (0, 1):
        heads = "".join(f" {SUMMARY_COLUMNS[i][header]:>{c}}" for i, c in enumerate(cols))
        lines.append((Span(f"{'User' if header else '':<{name}} {heads}", "bold"),))
    for login, values in rows:
        cells = "".join(f" {v:>{c}}" for v, c in zip(values, cols, strict=True))
        lines.append((Span(login, "bold"), Span(" " * (name - cell_len(login) + 1) + cells)))
    return [*lines, ()]


def _summary_cells(user: UserReport) -> list[str]:
    totals, counts = user.totals, []
    for key in t.TOTAL_LABELS:  # reverts go beside merges ("2 (1 reverted)"): 80 columns
        if key != "prs_reverted":
            reverted = f" ({totals.prs_reverted} reverted)" if totals.prs_reverted else ""
            counts.append(f"{getattr(totals, key)}{reverted if key == 'prs_merged' else ''}")
    return [*counts, t.total_with_delta(user), t.weeks_text(user.streak_weeks)]


def _stacked(cells: Sequence[str]) -> str:
    pairs = [f"{top} {bottom}".strip() for top, bottom in SUMMARY_COLUMNS]
    return " \N{MIDDLE DOT} ".join(
        f"{label} {value}" for label, value in zip(pairs, cells, strict=True)
    )


# -- a user's sections -------------------------------------------------------------------


def _user(report: WeeklyReport, user: UserReport, width: int) -> Iterator[Line]:
    login = f" {one(user.login)} "
    side = max(2, (width - cell_len(login)) // 2)
    yield (Span(RULE * side), Span(login, "bold"), Span(RULE * (width - side - cell_len(login))))
    for section in user_outline(report, user):
        yield from _section(section, report, width)
        yield ()


def _section(section: Section, report: WeeklyReport, width: int) -> list[Line]:
    """How each kind of section looks in a terminal."""
    match section:
        case Overview(user=user, facts=facts):
            return _overview(user, facts, width)
        case Note(text=text):
            return [(Span(text, "italic"),)]
        case ItemList(title=title, entries=entries):
            return _bullets(title, (_entry(e) for e in entries), width)
        case OpenPRList():
            return _open_prs(section, width)
        case GoalList(title=title, goals=goals):
            return _bullets(title, (_goal(g) for g in goals), width)
        case CandidateList(title=title, candidates=candidates):
            return _bullets(title, (_candidate(c) for c in candidates), width)
    assert_never(section)


def _overview(user: UserReport, facts: Sequence[tuple[str, str]], width: int) -> list[Line]:
    rows = [(name, now, before) for name, now, before, _ in t.totals_rows(user)]
    rows.append(("Total", user.totals.total(), user.previous_totals.total()))
    label = max(len(name) for name, _, _ in rows[:-1])
    lines: list[Line] = [
        (Span(f"{'This week':<{label}}  {'Count':>5}  {'Last week':>9}  {'Change':>6}", "bold"),)
    ]
    lines.extend(_total_line(name, label, now, before) for name, now, before in rows)
    lines.extend(_fact_lines("Last 12 weeks", _history(user), width))
    for name, phrase in facts:
        lines.extend(_fact_lines(name, phrase, width))
    return lines


@lru_cache(maxsize=4096)
def _total_line(name: str, label: int, now: int, before: int) -> Line:
    """A row of the totals table (the same counts recur from user to user)."""
    return (
        Span(f"{name:<{label}}", "bold" if name == "Total" else None),
        Span(f"  {now:>5}  {before:>9}  "),
        _change(now, before),
    )


@lru_cache(maxsize=4096)
def _fact_lines(name: str, phrase: str, width: int) -> tuple[Line, ...]:
    """ "Streak: 5 weeks in a row...", wrapped (users share many of these phrases)."""
    return tuple(_wrap([Span(f"{name}: ", "bold"), Span(one(phrase))], width, INDENT))


def _change(now: int, before: int) -> Span:
    style = "up" if now > before else "down" if now < before else None
    return Span(f"{t.delta(now, before):>6}", style)


def _history(user: UserReport) -> str:
    if not user.history:
        return t.NO_HISTORY
    summary = f"{sparkline(user.history)}  this week {user.history[-1]}, peak {max(user.history)}"
    span = t.history_span(user)
    return f"{summary} ({span})" if span else summary


def _ref(repo: str, number: int, url: str) -> Span:
    return Span(f"{one(repo)}#{number}", None, url.strip() if t.is_web_url(url) else None)


def _entry(entry: Entry) -> list[Span]:
    return [
        _ref(entry.repo, entry.number, entry.url),
        Span(f" {one(entry.title)}"),
        Span(f" \N{MIDDLE DOT} {one(entry.note)}", "dim"),
    ]


def _open_prs(section: OpenPRList, width: int) -> list[Line]:
    if not section.prs:
        return [(Span(section.title, "bold"),), (Span(section.empty),)]
    return _bullets(section.title, (_open_pr(pr) for pr in section.prs), width, moves=section.prs)


def _open_pr(pr: OpenPR) -> list[Span]:
    return [_ref(pr.repo, pr.number, pr.url), Span(f" {one(pr.title)}")]


def _goal(goal: Goal) -> list[Span]:
    mark = "\N{CHECK MARK}" if goal.met else "\N{BALLOT X}"
    return [
        Span(f"{one(t.goal_label(goal))}: "),
        Span(f"{mark} {t.goal_outcome(goal)}", "up" if goal.met else "down"),
        Span(f" \N{MIDDLE DOT} hit {t.hit_rate_text(goal)}", "dim"),
    ]


def _candidate(cand: CandidateRef) -> list[Span]:
    spans = [_ref(cand.repo, cand.number, cand.url), Span(" ")]
    if cand.new:
        spans.append(Span("NEW ", "new"))
    spans.append(Span(one(cand.title)))
    if cand.reasons:
        spans.append(Span(f" \N{MIDDLE DOT} {'; '.join(map(one, cand.reasons))}", "dim"))
    return spans


def _bullets(
    title: str,
    items: Iterable[list[Span]],
    width: int,
    *,
    moves: Sequence[OpenPR] = (),
) -> list[Line]:
    lines: list[Line] = [(Span(title, "bold"),)]
    for index, spans in enumerate(items):
        lines.extend(_wrap([Span(BULLET), *spans], width, INDENT))
        if index < len(moves):  # an open PR: whose move it is, on the lines below
            pr = moves[index]
            lines.extend(_note_lines(INDENT + t.ball_text(pr), None, width))
            if pr.stale:
                warning = f"{INDENT}\N{WARNING SIGN} {t.stale_text(pr)}"
                lines.extend(_note_lines(warning, "stale", width))
    return lines


@lru_cache(maxsize=4096)
def _note_lines(text: str, style: str | None, width: int) -> tuple[Line, ...]:
    """One styled phrase, wrapped (whose move it is: thousands of PRs, a few phrases)."""
    return tuple(_wrap([Span(text, style)], width, INDENT))


# -- wrapping ----------------------------------------------------------------------------


def _wrap(spans: Sequence[Span], width: int, indent: str = "") -> list[Line]:
    """Spans as lines of at most `width` cells, broken at spaces; later lines indented."""
    if _cells("".join([span.text for span in spans])) <= width:
        return [tuple(spans)]
    lines: list[list[Span]] = [[]]
    used = 0
    for span in spans:
        for word in _words(span.text):
            size = _cells(word)
            if used + size > width and used > len(indent) and not word.isspace():
                lines.append([Span(indent)])
                used = len(indent)
                word = word.lstrip(" ")
                size = _cells(word)
            while used + size > width:  # a word longer than a line: cut it
                room = _fit(word, width - used)
                lines[-1].append(Span(word[:room], span.style, span.link))
                lines.append([Span(indent)])
                used, word = len(indent), word[room:]
                size = _cells(word)
            if word:
                lines[-1].append(Span(word, span.style, span.link))
                used += size
    return [tuple(line) for line in lines]


def _words(text: str) -> Iterator[str]:
    """The text in pieces that each start with the spaces before a word."""
    start = 0
    while start < len(text):
        end = start
        while end < len(text) and text[end] == " ":
            end += 1
        while end < len(text) and text[end] != " ":
            end += 1
        yield text[start:end]
        start = end


def _fit(word: str, room: int) -> int:
    """How many characters of `word` fit in `room` cells (at least one)."""
    used = 0
    for index, char in enumerate(word):
        used += _cells(char)
        if used > room:
            return max(index, 1)
    return len(word)


def _cells(text: str) -> int:
    """Terminal cells of `text`, as rich counts them, measuring only the characters that
    may not be one cell wide (every bullet line has one: rich measured the whole line)."""
    if text.isascii():
        return len(text)
    if "\u200d" in text or "\ufe0f" in text:  # joined or emoji-styled: rich's grapheme rules
        return cell_len(text)
    others = _MAYBE_NOT_ONE_CELL.findall(text)
    return len(text) - len(others) + sum(map(get_character_cell_size, others))


# a subset of what rich itself counts as one cell wide without measuring
_MAYBE_NOT_ONE_CELL = re.compile("[^\x20-\x7e\xa0-\xac\xae-\u02ff]")


@lru_cache(maxsize=4096)
def one(text: str) -> str:
    """Untrusted text as one printable line (see text.one_line); cached, titles repeat."""
    return t.one_line(text)
