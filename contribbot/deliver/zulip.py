"""Zulip messages for the weekly report (pure): one topic per user, mentions neutralised, split.

`split_markdown` knows nothing about the weekly report, so other kinds of message
(a daily check-in, a candidates digest) reuse the same byte limit and splitting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import assert_never

from contribbot.deliver.escape import clean, zulip_link, zulip_text
from contribbot.report import text as t
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

MAX_CONTENT_BYTES = 10_000
MAX_TOPIC_CHARS = 60
DEFAULT_TOPIC_TEMPLATE = "{login}: weekly"
_PLACEHOLDER = re.compile(r"\{(login|week)\}")
_MARKER_MARGIN = 16  # room for three-digit message counts in the continuation line


@dataclass(frozen=True)
class ZulipMessage:
    """One message to post: its topic and its Markdown content."""

    topic: str
    content: str


@dataclass(frozen=True)
class MarkdownBlock:
    """Lines that may be split between messages; `head` is repeated before each part.

    A table's head is its title and header rows, so a continued table stays a table.
    Lines must already be escaped.
    """

    lines: tuple[str, ...]
    head: tuple[str, ...] = ()


def render_zulip(
    report: WeeklyReport, *, topic_template: str = DEFAULT_TOPIC_TEMPLATE
) -> list[ZulipMessage]:
    """The weekly report as Zulip messages: one topic per user, each part within Zulip's limits."""
    week = report.week or report.title
    messages: list[ZulipMessage] = []
    for user in report.users:
        topic = render_topic(topic_template, login=user.login, week=week)
        title = f"**{zulip_text(user.login, 100)}** · {zulip_text(report.title)}"
        blocks = _user_blocks(report, user, title)
        contents = split_markdown(blocks, continued=_continued(title))
        messages.extend(ZulipMessage(topic=topic, content=content) for content in contents)
    return messages


def render_topic(template: str, *, login: str, week: str) -> str:
    """The topic from a template with `{login}` and `{week}`, one line of at most 60 characters."""
    values = {"login": login, "week": week}
    topic = _PLACEHOLDER.sub(lambda match: values[match[1]], template)  # one pass: no re-expansion
    return clean(topic, MAX_TOPIC_CHARS) or "weekly report"


def split_markdown(
    blocks: Sequence[MarkdownBlock],
    *,
    continued: Callable[[int, int], str],
    limit: int = MAX_CONTENT_BYTES,
) -> list[str]:
    """Join blocks into contents of at most `limit` UTF-8 bytes, split between whole lines.

    Parts after the first start with `continued(index, count)`, e.g. "(continued 2/3)";
    a block's head is repeated wherever the block continues.
    """
    reserved = _size(continued(99, 99)) + 2 + _MARKER_MARGIN
    pages = _pack(blocks, limit - reserved)
    count = len(pages)
    return [
        "\n".join(lines if index == 1 else [continued(index, count), "", *lines])
        for index, lines in enumerate(pages, 1)
    ]


def _continued(title: str) -> Callable[[int, int], str]:
    return lambda index, count: f"{title} (continued {index}/{count})"


def _size(line: str) -> int:
    return len(line.encode("utf-8")) + 1  # with its newline


def _pack(blocks: Sequence[MarkdownBlock], budget: int) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    used = 0
    for block in blocks:
        for position, row in enumerate(block.lines):
            piece = [*block.head, row] if position == 0 else [row]
            if position == 0 and pages[-1]:
                piece.insert(0, "")  # a blank line between blocks
            size = sum(_size(line) for line in piece)
            if used + size > budget:
                piece = [*block.head, row]
                size = sum(_size(line) for line in piece)
                if size > budget:
                    raise ValueError("a single Markdown line is larger than a whole Zulip message")
                pages.append([])
                used = 0
            pages[-1].extend(piece)
            used += size
    return pages


def _user_blocks(report: WeeklyReport, user: UserReport, title: str) -> list[MarkdownBlock]:
    total, before = user.totals.total(), user.previous_totals.total()
    headline = f"{title} · {total} contributions ({t.delta(total, before)} vs last week)"
    blocks = [MarkdownBlock((headline,))]
    for part in user_outline(report, user):
        blocks.extend(_section_blocks(part))
    freshness = f"{t.freshness_text(report)} ({report.timezone})"
    blocks.append(MarkdownBlock((f"*{clean(freshness, 500)}*",)))  # our own words
    return blocks


def _section_blocks(part: Section) -> list[MarkdownBlock]:
    """How each kind of section of the outline looks in Zulip."""
    match part:
        case Overview(user=user, facts=facts):
            lines = tuple(f"- **{label}:** {zulip_text(phrase, 400)}" for label, phrase in facts)
            return [_totals_table(user), MarkdownBlock(lines)]
        case Note(text=text):
            return [MarkdownBlock((f"*{zulip_text(text)}*",))]
        case ItemList(title=title, entries=entries):
            return [_list(title, [_entry_line(e) for e in entries])]
        case OpenPRList(title=title, prs=prs, empty=empty):
            if not prs:
                return [MarkdownBlock((f"**{title}**", "", empty))]
            head = (f"**{title} ({len(prs)})**", "", "| PR | Title | Whose move |", "|:--|:--|:--|")
            return [MarkdownBlock(tuple(_open_row(pr) for pr in prs), head)]
        case GoalList(title=title, goals=goals):
            return [_list(title, [_goal_line(goal) for goal in goals])]
        case CandidateList(title=title, candidates=candidates):
            return [_list(title, [_candidate_line(c) for c in candidates])]
    assert_never(part)


def _totals_table(user: UserReport) -> MarkdownBlock:
    rows = tuple(
        f"| {label} | {now} | {before} | {change} |"
        for label, now, before, change in t.totals_rows(user)
    )
    return MarkdownBlock(rows, ("| | This week | Last week | Change |", "|:--|--:|--:|--:|"))


def _list(heading: str, lines: Sequence[str]) -> MarkdownBlock:
    return MarkdownBlock(tuple(lines), (f"**{heading} ({len(lines)})**", ""))


def _entry_line(entry: Entry) -> str:
    tail = f" — {zulip_text(entry.note, 400)}" if entry.note else ""
    return f"- {zulip_link(entry.url, entry.ref)} {zulip_text(entry.title)}{tail}"


def _open_row(pr: OpenPR) -> str:
    ref = zulip_link(pr.url, f"{pr.repo}#{pr.number}")
    move = zulip_text(t.ball_text(pr), 400)
    if pr.stale:
        move += f" · ⚠️ {zulip_text(t.stale_text(pr), 400)}"
    return f"| {ref} | {zulip_text(pr.title)} | {move} |"


def _goal_line(goal: Goal) -> str:
    mark = "✅" if goal.met else "❌"
    outcome = f"{t.goal_outcome(goal)}, hit {t.hit_rate_text(goal)}"
    return f"- {mark} {zulip_text(t.goal_label(goal))}: {zulip_text(outcome)}"


def _candidate_line(candidate: CandidateRef) -> str:
    ref = zulip_link(candidate.url, f"{candidate.repo}#{candidate.number}")
    badge = "**new** " if candidate.new else ""
    reasons = "; ".join(candidate.reasons)
    tail = f" — {zulip_text(reasons, 400)}" if reasons else ""
    return f"- {badge}{ref} {zulip_text(candidate.title)}{tail}"
