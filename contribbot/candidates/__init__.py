"""Good-first-issue candidates: availability rules, ranking and the cohort split (pure).

Fetching issues and timelines and storing them lives in `refresh`; everything
re-exported here takes plain data and `now`, and does no I/O.
"""

from __future__ import annotations

from contribbot.candidates.model import (
    Availability,
    Candidate,
    CandidateIssue,
    PastPR,
    Profile,
    PullRef,
    RepoStats,
    Rules,
    Scored,
    Status,
    TimelineEntry,
    build_candidate,
    candidate_to_json,
    timeline_entry_from_json,
)
from contribbot.candidates.rules import assess
from contribbot.candidates.scoring import (
    assign_cohort,
    evaluate,
    score,
    sort_candidates,
    visible_to,
)

__all__ = [
    "Availability",
    "Candidate",
    "CandidateIssue",
    "PastPR",
    "Profile",
    "PullRef",
    "RepoStats",
    "Rules",
    "Scored",
    "Status",
    "TimelineEntry",
    "assess",
    "assign_cohort",
    "build_candidate",
    "candidate_to_json",
    "evaluate",
    "score",
    "sort_candidates",
    "timeline_entry_from_json",
    "visible_to",
]
