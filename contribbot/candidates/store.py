"""Between the database rows and the pure candidate types."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contribbot.candidates.model import CandidateIssue, TimelineEntry
from contribbot.store.models import Account, Issue
from contribbot.timeutil import parse_github_time, utc_z

_TIME_FIELDS = frozenset({"at", "source_updated_at"})


def timeline_to_json(entries: Sequence[TimelineEntry]) -> list[dict[str, Any]]:
    """Timeline entries as JSON-safe dicts for the candidate row."""
    out = []
    for entry in entries:
        row = dataclasses.asdict(entry)
        for key in _TIME_FIELDS:
            if isinstance(row.get(key), datetime):
                row[key] = utc_z(row[key])
        out.append(row)
    return out


def load_timeline(rows: Sequence[dict[str, Any]] | None) -> list[TimelineEntry]:
    """The stored timeline back as entries (empty before the first check)."""
    entries = []
    for row in rows or ():
        values = dict(row)
        for key in _TIME_FIELDS:
            if values.get(key):
                values[key] = parse_github_time(values[key])
        entries.append(TimelineEntry(**values))
    return entries


def labeled_at(issue: Issue, timeline: Sequence[TimelineEntry]) -> datetime | None:
    """When one of the issue's current labels was last added (its "freshness")."""
    current = {label.lower() for label in issue.labels}
    stamps = [
        e.at for e in timeline if e.event == "labeled" and e.label and e.label.lower() in current
    ]
    return max(stamps) if stamps else None


def candidate_issue(
    issue: Issue, repo: str, author: Account | None, timeline: Sequence[TimelineEntry]
) -> CandidateIssue:
    """The pure view of a stored issue."""
    return CandidateIssue(
        repo=repo,
        number=issue.number,
        title=issue.title,
        url=issue.html_url,
        created_at=issue.created_at,
        updated_at=issue.updated_at,
        labels=tuple(issue.labels),
        state=issue.state,
        assignees=tuple(issue.assignees),
        author=author.login if author else "",
        comments=issue.comments,
        body=issue.body,
        labeled_at=labeled_at(issue, timeline),
    )
