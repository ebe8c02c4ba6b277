"""The plain facts a report is assembled from, as loaded by ``contribbot.report.queries``.

*Pure*: dataclasses only. Tests build these by hand and feed them to
``contribbot.report.assemble``; no database is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from contribbot.report.ball import ReviewEvent
from contribbot.report.model import CandidateRef

if TYPE_CHECKING:  # only the type: importing activity would load SQLAlchemy
    from contribbot.activity import Contribution


@dataclass
class PRFacts:
    """What the ball rules need to know about one PR open at the report's moment."""

    repo: str
    number: int
    title: str
    url: str
    author: str
    opened_at: datetime
    draft: bool
    reviews: list[ReviewEvent] = field(default_factory=list)
    author_replies: list[datetime] = field(default_factory=list)
    reverted_at: datetime | None = None  # landed, then reverted: the revert stands


@dataclass(frozen=True)
class RecentPR:
    """A PR of the speed lookback: where, by whom, opened, merged, first reviewed."""

    repo_id: int
    author: str | None  # lower-cased login when a user of the report wrote it
    opened_at: datetime
    merged_at: datetime | None
    first_review_at: datetime | None


@dataclass(frozen=True)
class Settings:
    """The parts of the config a report follows."""

    goals: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # per login
    stale_after_days: int = 14
    candidates: int = 3  # how many suggestions a user gets at most


@dataclass(frozen=True)
class ReportFacts:
    """Everything `assemble` needs, loaded in a handful of queries."""

    users: tuple[str, ...]
    # every contribution from the previous window's start to the window's end
    contributions: Sequence[Contribution]
    total_of_kind: Mapping[str, str]  # which kind of contribution feeds which total
    # lower-cased login -> the totals of each history week (see window.history_span)
    weekly: Mapping[str, Sequence[Mapping[str, int]]]
    open_prs: Sequence[PRFacts]
    recent_prs: Sequence[RecentPR]
    tracked_repo_ids: frozenset[int]
    data_as_of: datetime | None
    settings: Settings = field(default_factory=Settings)
    candidates: Mapping[str, Sequence[CandidateRef]] = field(default_factory=dict)

    def with_candidates(self, candidates: Mapping[str, Sequence[CandidateRef]]) -> ReportFacts:
        """The same facts with each user's good-first-issue picks (login -> best first)."""
        return replace(self, candidates=candidates)
