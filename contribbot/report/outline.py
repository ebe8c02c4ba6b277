"""Pure: the outline of a user's report, the one place that says which sections it has
and in what order. Every renderer (terminal, Markdown, HTML, Slack, Zulip) walks it and
only says how each kind of section looks.

A section's text is plain and unescaped: titles and notes may carry text from GitHub,
so each renderer escapes what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from contribbot.report import text as t
from contribbot.report.model import CandidateRef, Goal, ItemRef, OpenPR, UserReport, WeeklyReport

MERGED = "Merged this week"
REVERTED = "Reverted this week"
OPENED = "Opened this week"
OPEN_PRS = "Open PRs"
GOALS = "Goals"
CANDIDATES = "Good first issues for next week"
REVIEWS = "Reviews given"
ISSUES = "Issues"
# review states in the order a grouped line names them; any other state comes last
STATE_ORDER = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED", "COMMENTED")


@dataclass(frozen=True)
class Overview:
    """The week in numbers: totals against last week, the 12-week history, the facts."""

    kind: ClassVar[str] = "overview"

    user: UserReport
    facts: tuple[tuple[str, str], ...]  # (label, phrase): streaks, then the speed medians


@dataclass(frozen=True)
class Note:
    """A line of our own, e.g. "No contributions this week."."""

    kind: ClassVar[str] = "note"

    text: str


@dataclass(frozen=True)
class Entry:
    """One line of a list: a PR or issue, and what follows it ("approved, 2026-11-17")."""

    repo: str
    number: int
    title: str
    url: str
    note: str

    @property
    def ref(self) -> str:
        """ "owner/name#123"."""
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class ItemList:
    """PRs or issues the user did something to this week (merged, opened, reviewed...)."""

    kind: ClassVar[str] = "items"

    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class OpenPRList:
    """The user's open PRs and whose move each one is; shown even when there are none."""

    kind: ClassVar[str] = "open_prs"

    title: str
    prs: tuple[OpenPR, ...]
    empty: str = t.NO_OPEN_PRS


@dataclass(frozen=True)
class GoalList:
    """The user's weekly goals, with this week's result and the hit rate."""

    kind: ClassVar[str] = "goals"

    title: str
    goals: tuple[Goal, ...]


@dataclass(frozen=True)
class CandidateList:
    """Good first issues for next week, best first."""

    kind: ClassVar[str] = "candidates"

    title: str
    candidates: tuple[CandidateRef, ...]


Section = Overview | Note | ItemList | OpenPRList | GoalList | CandidateList


def user_outline(report: WeeklyReport, user: UserReport) -> tuple[Section, ...]:
    """The sections of one user's report, in order; empty lists are left out."""
    sections: list[Section | None] = [
        Overview(user, tuple(t.user_facts(user))),
        None if t.has_week_items(user) else Note(t.EMPTY_WEEK),
        _items(MERGED, [_entry(report, i) for i in user.merged_prs]),
        _items(REVERTED, [_entry(report, i) for i in user.reverted_prs]),
        _items(OPENED, [_entry(report, i) for i in user.opened_prs]),
        OpenPRList(OPEN_PRS, user.open_prs),
        GoalList(GOALS, user.goals) if user.goals else None,
        CandidateList(CANDIDATES, user.candidates[: t.MAX_CANDIDATES]) if user.candidates else None,
        _items(REVIEWS, reviewed_prs(report, user.reviews)),
        _items(ISSUES, [_entry(report, i) for i in user.issues]),
    ]
    return tuple(s for s in sections if s is not None)


def reviewed_prs(report: WeeklyReport, reviews: Sequence[ItemRef]) -> list[Entry]:
    """One entry per reviewed PR, in the order first reviewed: "approved, 2 comments, <date>"."""
    groups: dict[tuple[str, int], list[ItemRef]] = {}
    for review in reviews:
        groups.setdefault((review.repo, review.number), []).append(review)
    entries = []
    for group in groups.values():
        last = max(group, key=lambda r: r.at)
        note = f"{review_states_text([r.state for r in group])}, {t.local_date(report, last.at)}"
        entries.append(Entry(last.repo, last.number, last.title, last.url, note))
    return entries


def review_states_text(states: Sequence[str | None]) -> str:
    """Reviews of one PR in a phrase: "approved", "approved, 2 comments", "commented"."""
    counts: dict[str | None, int] = {}
    for state in sorted(states, key=_state_rank):
        counts[state] = counts.get(state, 0) + 1
    return ", ".join(_state_count(state, n) for state, n in counts.items())


def _state_rank(state: str | None) -> int:
    return STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER)


def _state_count(state: str | None, count: int) -> str:
    if state == "COMMENTED" and count > 1:
        return f"{count} comments"
    word = t.review_state_text(state)
    if count == 1:
        return word
    return f"{word} twice" if count == 2 else f"{word} {count} times"


def _items(title: str, entries: Sequence[Entry]) -> ItemList | None:
    return ItemList(title, tuple(entries)) if entries else None


def _entry(report: WeeklyReport, item: ItemRef) -> Entry:
    return Entry(item.repo, item.number, item.title, item.url, t.item_notes(report, item))
