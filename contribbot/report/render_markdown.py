"""The weekly report as GitHub-flavoured Markdown, optionally with blog front matter.

*Pure*. Every string from GitHub goes through `escape_markdown`, so emphasis,
links, table pipes, raw HTML and Jekyll/Hugo template tags in a title stay
literal text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import assert_never
from urllib.parse import quote

from contribbot.report import text as t
from contribbot.report.charts import sparkline
from contribbot.report.model import CandidateRef, Goal, UserReport, WeeklyReport
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

FRONT_MATTER_TAGS = ("open-source", "weekly")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones
# GitHub gives a meaning to inside a line (emphasis, links, code, tables, math).
# "(", "!" and "#" need no escape: without a literal "[" they open no link or
# image, and escaped text never starts a line.
BACKSLASHED = frozenset("\\`*_[]|~$")
# entities, not backslashes: "<" must never open raw HTML, and "{" must never
# open a Liquid ({{ }}, {% %}) or Hugo shortcode tag when the file lands in a blog
ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "{": "&#123;", "}": "&#125;"}
_ESCAPES = {ord(char): "\\" + char for char in BACKSLASHED} | {
    ord(char): entity for char, entity in ENTITIES.items()
}
URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"
SUMMARY_HEADERS = ("User", *t.TOTAL_LABELS.values(), "Total (change)", "Streak")


def escape_markdown(text: str) -> str:
    """Untrusted text as literal inline Markdown (safe in link text and table cells)."""
    return " ".join(text.split()).translate(_ESCAPES)  # titles stay on one line


def markdown_link(label: str, url: str) -> str:
    """`[label](url)` with the label escaped; just the label when the URL is not http(s)."""
    if not t.is_web_url(url):
        return escape_markdown(label)
    return f"[{escape_markdown(label)}]({quote(url.strip(), safe=URL_SAFE)})"


def render_markdown(report: WeeklyReport, *, front_matter: bool = False) -> str:
    """The whole report as one Markdown document."""
    blocks = [_front_matter(report)] if front_matter else []
    blocks.append(f"# {escape_markdown(t.heading(report))}")
    blocks.append(escape_markdown(f"{t.window_text(report)} · {t.freshness_text(report)}"))
    if not report.users:
        blocks.append(f"_{t.EMPTY_REPORT}_")
    if len(report.users) > 1:
        blocks.append(_summary(report.users))
    blocks.extend(_user_section(report, user) for user in report.users)
    return "\n\n".join(blocks) + "\n"


def _front_matter(report: WeeklyReport) -> str:
    # JSON strings are valid YAML scalars, and json.dumps escapes quotes and newlines
    tags = ", ".join(FRONT_MATTER_TAGS)
    return "\n".join(
        [
            "---",
            f"title: {json.dumps(t.heading(report), ensure_ascii=False)}",
            f"date: {t.local_date(report, report.start)}",
            f"tags: [{tags}]",
            "---",
        ]
    )


def _table(headers: Sequence[str], aligns: str, rows: Sequence[Sequence[str]]) -> str:
    """A GFM table; `aligns` has one letter per column, "l" or "r"."""
    marks = {"l": "---", "r": "---:"}
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(marks[a] for a in aligns) + " |",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _summary(users: Sequence[UserReport]) -> str:
    rows = [
        [
            escape_markdown(user.login),
            *(str(v) for v in t.totals_values(user.totals)),
            t.total_with_delta(user),
            t.weeks_text(user.streak_weeks),
        ]
        for user in users
    ]
    return "## Summary\n\n" + _table(SUMMARY_HEADERS, "l" + "r" * (len(SUMMARY_HEADERS) - 1), rows)


def _user_section(report: WeeklyReport, user: UserReport) -> str:
    blocks = [f"## {escape_markdown(user.login)}"]
    blocks.extend(_section(section) for section in user_outline(report, user))
    return "\n\n".join(blocks)


def _section(section: Section) -> str:
    """How each kind of section looks in Markdown."""
    match section:
        case Overview(user=user, facts=facts):
            return f"{_totals(user)}\n\n{_facts(user, facts)}"
        case Note(text=text):
            return f"_{text}_"
        case ItemList(title=title, entries=entries):
            return f"### {title}\n\n" + "\n".join(f"- {_entry_line(e)}" for e in entries)
        case OpenPRList():
            return _open_prs(section)
        case GoalList(title=title, goals=goals):
            return _goals(title, goals)
        case CandidateList(title=title, candidates=candidates):
            return _candidates(title, candidates)
    assert_never(section)


def _totals(user: UserReport) -> str:
    rows = [
        [label, str(now), str(before), change] for label, now, before, change in t.totals_rows(user)
    ]
    now, before = user.totals.total(), user.previous_totals.total()
    rows.append(["**Total**", f"**{now}**", str(before), t.delta(now, before)])
    return _table(("This week", "Count", "Last week", "Change"), "lrrr", rows)


def _facts(user: UserReport, facts: Sequence[tuple[str, str]]) -> str:
    lines = [f"- **Last 12 weeks:** {_history(user)}"]
    lines.extend(f"- **{label}:** {phrase}" for label, phrase in facts)
    return "\n".join(lines)


def _history(user: UserReport) -> str:
    if not user.history:
        return t.NO_HISTORY
    span = escape_markdown(t.history_span(user))
    counts = ", ".join(str(v) for v in user.history)
    return f"`{sparkline(user.history)}` {counts}" + (f" ({span})" if span else "")


def _ref(repo: str, number: int, title: str, url: str) -> str:
    # the title is the link text: GitHub neither autolinks nor @-mentions inside links
    ref = f"{repo}#{number}"
    return f"{markdown_link(title.strip() or ref, url)} ({escape_markdown(ref)})"


def _entry_line(entry: Entry) -> str:
    notes = escape_markdown(entry.note)  # a review state comes from GitHub
    return f"{_ref(entry.repo, entry.number, entry.title, entry.url)} · {notes}"


def _open_prs(section: OpenPRList) -> str:
    if not section.prs:
        return f"### {section.title}\n\n{section.empty}"
    rows = []
    for pr in section.prs:
        move = t.ball_text(pr)
        if pr.stale:
            move += f" · **\N{WARNING SIGN} {t.stale_text(pr)}**"
        rows.append([_ref(pr.repo, pr.number, pr.title, pr.url), move])
    return f"### {section.title}\n\n" + _table(("PR", "Whose move"), "ll", rows)


def _goals(title: str, goals: Sequence[Goal]) -> str:
    rows = [
        [
            escape_markdown(t.goal_label(goal)),
            ("\N{WHITE HEAVY CHECK MARK} " if goal.met else "\N{CROSS MARK} ")
            + t.goal_outcome(goal),
            t.hit_rate_text(goal),
        ]
        for goal in goals
    ]
    return f"### {title}\n\n" + _table(("Goal", "This week", "Hit rate"), "lll", rows)


def _candidates(title: str, candidates: Sequence[CandidateRef]) -> str:
    lines = []
    for cand in candidates:
        badge = "**new** " if cand.new else ""
        reasons = escape_markdown("; ".join(cand.reasons))
        line = f"- {badge}{_ref(cand.repo, cand.number, cand.title, cand.url)}"
        lines.append(line + (f" · {reasons}" if reasons else ""))
    return f"### {title}\n\n" + "\n".join(lines)
