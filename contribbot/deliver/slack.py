"""Slack Block Kit messages for the weekly report (pure): escaped, within Slack's limits, split.

`split_blocks` and `text_sections` know nothing about the weekly report, so other
kinds of message (a daily check-in, a candidates digest) reuse the same limits,
splitting and escaping.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, assert_never

from contribbot.deliver.escape import clean, slack_link, slack_text
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

Block = dict[str, Any]
Payload = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_MESSAGE_CHARS = 12_000
MAX_FALLBACK_CHARS = 300
CONTINUED = " (continued {index}/{count})"
_WIDEST_CONTINUED = CONTINUED.format(index=99, count=99)
_SKELETON_MARGIN = 16


def render_slack(report: WeeklyReport) -> list[Payload]:
    """The weekly report as Slack webhook payloads `{"text", "blocks"}`, split to fit Slack."""
    groups = [_user_blocks(report, user) for user in report.users]
    if not groups:
        groups = [[section(f"_{t.EMPTY_REPORT}_")]]
    footer = context(f"{t.freshness_text(report)} ({report.timezone})")
    return split_blocks(groups, title=t.heading(report), footer=footer)


def section(text: str) -> Block:
    """A mrkdwn section block; `text` must already be escaped and at most 3,000 characters."""
    if len(text) > MAX_SECTION_TEXT:
        raise ValueError(f"section text of {len(text)} characters exceeds {MAX_SECTION_TEXT}")
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    """A context block holding one line of (our own) text, escaped here."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_text(text, 2000)}]}


def text_sections(heading: str, lines: Sequence[str], limit: int = MAX_SECTION_TEXT) -> list[Block]:
    """Sections holding `heading` then whole `lines`, as many as it takes to stay under `limit`."""
    chunks: list[list[str]] = []
    size = limit  # forces a first chunk
    for line in lines:
        if len(heading) + len(_WIDEST_CONTINUED) + 1 + len(line) > limit:
            raise ValueError(f"a line of {len(line)} characters cannot fit a Slack section")
        if size + 1 + len(line) > limit:
            chunks.append([])
            size = len(heading) + len(_WIDEST_CONTINUED)
        chunks[-1].append(line)
        size += 1 + len(line)
    return [
        section("\n".join([_numbered(heading, index, len(chunks)), *chunk]))
        for index, chunk in enumerate(chunks, 1)
    ]


def split_blocks(
    groups: Sequence[Sequence[Block]],
    *,
    title: str,
    footer: Block | None = None,
    fallback: str | None = None,
    max_blocks: int = MAX_BLOCKS,
    max_chars: int = MAX_MESSAGE_CHARS,
) -> list[Payload]:
    """Pack groups of blocks into webhook payloads within Slack's limits.

    Every message gets a header (`title`, numbered when there are several) and a
    fallback `text`; the last one gets `footer`. A group stays in one message when
    it fits in one; blocks themselves are never cut.
    """
    reserved = _skeleton_chars(title, footer, fallback)
    pages = _pack(groups, _Page(max_blocks=max_blocks - 2, max_chars=max_chars - reserved))
    count = len(pages)
    return [
        _message(page.blocks, title, fallback, footer if index == count else None, index, count)
        for index, page in enumerate(pages, 1)
    ]


def payload_chars(payload: Payload) -> int:
    """The size of a payload as Slack sees it: its JSON, non-ASCII characters counted once."""
    return len(json.dumps(payload, ensure_ascii=False))


@dataclass
class _Page:
    max_blocks: int
    max_chars: int
    blocks: list[Block] = field(default_factory=list)
    chars: int = 0

    def fits(self, blocks: Sequence[Block]) -> bool:
        size = sum(_block_chars(block) for block in blocks)
        room = len(self.blocks) + len(blocks) <= self.max_blocks
        return room and self.chars + size <= self.max_chars

    def add(self, blocks: Sequence[Block]) -> None:
        self.blocks.extend(blocks)
        self.chars += sum(_block_chars(block) for block in blocks)

    def fresh(self) -> _Page:
        return _Page(max_blocks=self.max_blocks, max_chars=self.max_chars)


def _pack(groups: Sequence[Sequence[Block]], first: _Page) -> list[_Page]:
    pages = [first]
    for group in groups:
        if pages[-1].fits(group):
            pages[-1].add(group)
        elif first.fresh().fits(group):
            pages.append(first.fresh())
            pages[-1].add(group)
        else:  # too big for any message: fall back to block by block
            for block in group:
                if not pages[-1].fits([block]):
                    pages.append(first.fresh())
                    if not pages[-1].fits([block]):
                        raise ValueError("a single block is larger than a whole Slack message")
                pages[-1].add([block])
    return [page for page in pages if page.blocks] or [first]


def _block_chars(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False)) + 2  # the ", " joining it to the next


def _numbered(title: str, index: int, count: int) -> str:
    return title if count == 1 or index == 1 else title + CONTINUED.format(index=index, count=count)


def _header(title: str, index: int, count: int) -> Block:
    text = _numbered(clean(title, MAX_HEADER - len(_WIDEST_CONTINUED)), index, count)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _fallback(title: str, fallback: str | None, index: int, count: int) -> str:
    suffix = "" if count == 1 else f" ({index}/{count})"
    return slack_text(fallback or title, MAX_FALLBACK_CHARS - len(_WIDEST_CONTINUED)) + suffix


def _message(
    blocks: list[Block],
    title: str,
    fallback: str | None,
    footer: Block | None,
    index: int,
    count: int,
) -> Payload:
    tail = [footer] if footer is not None else []
    return {
        "text": _fallback(title, fallback, index, count),
        "blocks": [_header(title, index, count), *blocks, *tail],
    }


def _skeleton_chars(title: str, footer: Block | None, fallback: str | None) -> int:
    # Message 99 of 99 has the longest header and text; the margin covers three-digit counts.
    return payload_chars(_message([], title, fallback, footer, 99, 99)) + _SKELETON_MARGIN


def _user_blocks(report: WeeklyReport, user: UserReport) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}]
    for part in user_outline(report, user):
        blocks.extend(_section_blocks(part))
    return blocks


def _section_blocks(part: Section) -> list[Block]:
    """How each kind of section of the outline looks in Slack."""
    match part:
        case Overview(user=user, facts=facts):
            return [_totals_section(user, facts)]
        case Note(text=text):
            return [section(f"_{slack_text(text)}_")]
        case ItemList(title=title, entries=entries):
            return _listed(title, [_entry_line(e) for e in entries])
        case OpenPRList(title=title, prs=prs, empty=empty):
            return _listed(title, [_open_line(pr) for pr in prs]) if prs else [section(empty)]
        case GoalList(title=title, goals=goals):
            return _listed(title, [_goal_line(goal) for goal in goals])
        case CandidateList(title=title, candidates=candidates):
            return _listed(title, [_candidate_line(c) for c in candidates])
    assert_never(part)


def _listed(title: str, lines: Sequence[str]) -> list[Block]:
    return text_sections(f"*{title}* ({len(lines)})", lines)


def _totals_section(user: UserReport, facts: Sequence[tuple[str, str]]) -> Block:
    total, before = user.totals.total(), user.previous_totals.total()
    lines = [
        f"*{slack_text(user.login, 100)}* · {total} contributions "
        f"({t.delta(total, before)} vs last week)",
        *(f"*{label}:* {slack_text(phrase, 400)}" for label, phrase in facts),
    ]
    block = section("\n".join(lines))
    block["fields"] = [
        {"type": "mrkdwn", "text": f"*{label}*\n{now} ({change})"}
        for label, now, _, change in t.totals_rows(user)[:MAX_FIELDS]
    ]
    return block


def _line(url: str, ref: str, title: str, note: str, *, badge: str = "") -> str:
    tail = f" — {slack_text(note, 400)}" if note else ""
    return f"• {badge}{slack_link(url, ref)} {slack_text(title)}{tail}"


def _entry_line(entry: Entry) -> str:
    return _line(entry.url, entry.ref, entry.title, entry.note)


def _open_line(pr: OpenPR) -> str:
    line = _line(pr.url, f"{pr.repo}#{pr.number}", pr.title, t.ball_text(pr))
    return f"{line} · :warning: {slack_text(t.stale_text(pr))}" if pr.stale else line


def _goal_line(goal: Goal) -> str:
    mark = ":white_check_mark:" if goal.met else ":x:"
    outcome = f"{t.goal_outcome(goal)}, hit {t.hit_rate_text(goal)}"
    return f"• {mark} {slack_text(t.goal_label(goal))}: {slack_text(outcome)}"


def _candidate_line(candidate: CandidateRef) -> str:
    ref = f"{candidate.repo}#{candidate.number}"
    badge = "*new* " if candidate.new else ""
    return _line(candidate.url, ref, candidate.title, "; ".join(candidate.reasons), badge=badge)
