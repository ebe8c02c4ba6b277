"""Between the database rows (a stored issue: the table's row, or the read path's plain
row) and the pure candidate types."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from contribbot.candidates.model import CandidateIssue, TimelineEntry
from contribbot.timeutil import parse_github_time, utc_z


class StoredIssue(Protocol):
    """What a candidate needs of a stored issue (store.models.Issue has it all)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def html_url(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def state(self) -> str: ...
    @property
    def assignees(self) -> list[str]: ...
    @property
    def comments(self) -> int: ...
    @property
    def body(self) -> str: ...


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


def labeled_at(issue: StoredIssue, timeline: Sequence[TimelineEntry]) -> datetime | None:
    """When one of the issue's current labels was last added (its "freshness")."""
    current = {label.lower() for label in issue.labels}
    stamps = [
        e.at for e in timeline if e.event == "labeled" and e.label and e.label.lower() in current
    ]
    return max(stamps) if stamps else None


def candidate_issue(
    issue: StoredIssue, repo: str, author: str, timeline: Sequence[TimelineEntry]
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
        author=author,
        comments=issue.comments,
        body=issue.body,
        labeled_at=labeled_at(issue, timeline),
    )
