"""The weekly report as GitHub-flavoured Markdown, optionally with blog front matter.

*Pure*. Every string from GitHub goes through `escape_markdown`, so emphasis,
links, table pipes, raw HTML and Jekyll/Hugo template tags in a title stay
literal text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote

from contribbot.report import text as t
from contribbot.report.charts import sparkline
from contribbot.report.model import CandidateRef, ItemRef, OpenPR, UserReport, WeeklyReport

FRONT_MATTER_TAGS = ("open-source", "weekly")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones
# GitHub gives a meaning to inside a line (emphasis, links, code, tables, math).
# "(", "!" and "#" need no escape: without a literal "[" they open no link or
# image, and escaped text never starts a line.
BACKSLASHED = frozenset("\\`*_[]|~$")
# entities, not backslashes: "<" must never open raw HTML, and "{" must never
# open a Liquid ({{ }}, {% %}) or Hugo shortcode tag when the file lands in a blog
ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "{": "&#123;", "}": "&#125;"}
URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"
SUMMARY_HEADERS = ("User", *t.TOTAL_LABELS.values(), "Total (change)", "Streak")


def escape_markdown(text: str) -> str:
    """Untrusted text as literal inline Markdown (safe in link text and table cells)."""
    out = []
    for char in " ".join(text.split()):  # titles stay on one line
        if char in ENTITIES:
            out.append(ENTITIES[char])
        elif char in BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


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
    blocks = [f"## {escape_markdown(user.login)}", _totals(user), _facts(user)]
    if not t.has_week_items(user):
        blocks.append(f"_{t.EMPTY_WEEK}_")
    for title, items in (
        ("Merged this week", user.merged_prs),
        ("Opened this week", user.opened_prs),
    ):
        if items:
            blocks.append(_item_list(title, items, report))
    blocks.append(_open_prs(user.open_prs))
    if user.goals:
        blocks.append(_goals(user))
    if user.candidates:
        blocks.append(_candidates(user.candidates[: t.MAX_CANDIDATES]))
    for title, items in (("Reviews given", user.reviews), ("Issues", user.issues)):
        if items:
            blocks.append(_item_list(title, items, report))
    return "\n\n".join(blocks)


def _totals(user: UserReport) -> str:
    rows = [
        [label, str(now), str(before), change] for label, now, before, change in t.totals_rows(user)
    ]
    now, before = user.totals.total(), user.previous_totals.total()
    rows.append(["**Total**", f"**{now}**", str(before), t.delta(now, before)])
    return _table(("This week", "Count", "Last week", "Change"), "lrrr", rows)


def _facts(user: UserReport) -> str:
    lines = [f"- **Last 12 weeks:** {_history(user)}"]
    lines.extend(f"- **{label}:** {phrase}" for label, phrase in t.user_facts(user))
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


def _item_list(title: str, items: Sequence[ItemRef], report: WeeklyReport) -> str:
    return f"### {title}\n\n" + "\n".join(f"- {_item_line(i, report)}" for i in items)


def _item_line(item: ItemRef, report: WeeklyReport) -> str:
    notes = escape_markdown(t.item_notes(report, item))  # a review state comes from GitHub
    return f"{_ref(item.repo, item.number, item.title, item.url)} · {notes}"


def _open_prs(prs: Sequence[OpenPR]) -> str:
    if not prs:
        return f"### Open PRs\n\n{t.NO_OPEN_PRS}"
    rows = []
    for pr in prs:
        move = t.ball_text(pr)
        if pr.stale:
            move += f" · **\N{WARNING SIGN} {t.stale_text(pr)}**"
        rows.append([_ref(pr.repo, pr.number, pr.title, pr.url), move])
    return "### Open PRs\n\n" + _table(("PR", "Whose move"), "ll", rows)


def _goals(user: UserReport) -> str:
    rows = [
        [
            escape_markdown(t.goal_label(goal)),
            ("\N{WHITE HEAVY CHECK MARK} " if goal.met else "\N{CROSS MARK} ")
            + t.goal_outcome(goal),
            t.hit_rate_text(goal),
        ]
        for goal in user.goals
    ]
    return "### Goals\n\n" + _table(("Goal", "This week", "Hit rate"), "lll", rows)


def _candidates(candidates: Sequence[CandidateRef]) -> str:
    lines = []
    for cand in candidates:
        badge = "**new** " if cand.new else ""
        reasons = escape_markdown("; ".join(cand.reasons))
        line = f"- {badge}{_ref(cand.repo, cand.number, cand.title, cand.url)}"
        lines.append(line + (f" · {reasons}" if reasons else ""))
    return "### Good first issues for next week\n\n" + "\n".join(lines)
