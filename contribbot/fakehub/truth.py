"""Ground truth: the contributions a data set holds, by the README's rules (pure).

An oracle for end-to-end tests, written from the stand-in's own objects (never from
what contribbot stored), so a sync that loses, doubles or misdates anything shows up
as recall or precision below 1:

- `pr_opened`, `issue_opened`: at creation;
- `pr_merged`: each landing, at its time: GitHub's merge, or a close while a merged
  label is on (PyTorch's bot); a re-landed PR lands again;
- `pr_reverted`: each revert of a landed PR (the bot's `Reverted` label and reopen,
  one revert at the first of them);
- `pr_closed`: a PR closed now whose last close was no landing;
- `issue_closed`: an issue closed now, at its close;
- `review`: each submitted review (not PENDING) on someone else's PR, dismissed ones too;
- `comment`: each conversation comment.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from contribbot.fakehub.model import Dataset, Issue, TimelineEntry


class Fact(NamedTuple):
    """One contribution, as `contrib activity --format json` reports it."""

    kind: str
    user: str
    repo: str
    number: int
    at: datetime


def expected_contributions(
    ds: Dataset,
    users: Collection[str],
    *,
    merged_labels: Iterable[str] = ("Merged",),
    reverted_labels: Iterable[str] = ("Reverted",),
    hidden: Collection[str] = (),
) -> set[Fact]:
    """Every contribution of `users` in the data set, by the README's rules."""
    wanted = {u.lower() for u in users}
    merged = {x.lower() for x in merged_labels}
    reverted = {x.lower() for x in reverted_labels}
    facts: set[Fact] = set()
    for name, repo in ds.repos.items():
        if name in hidden:
            continue
        for issue in repo.issues.values():
            if issue.user.lower() in wanted:
                facts.update(_authored(issue, merged, reverted))
            facts.update(_reviews(issue, wanted))
            facts.update(
                Fact("comment", c.user, issue.repo, issue.number, c.created_at)
                for c in issue.comments
                if c.user.lower() in wanted
            )
    return facts


def _authored(issue: Issue, merged: set[str], reverted: set[str]) -> Iterator[Fact]:
    kind = "pr" if issue.is_pr else "issue"
    yield Fact(f"{kind}_opened", issue.user, issue.repo, issue.number, issue.created_at)
    if not issue.is_pr:
        if issue.state == "closed" and issue.closed_at is not None:
            yield Fact("issue_closed", issue.user, issue.repo, issue.number, issue.closed_at)
        return
    landings, reverts, last_close_landed = lifecycle(issue.timeline, merged, reverted)
    for at in landings:
        yield Fact("pr_merged", issue.user, issue.repo, issue.number, at)
    for at in reverts:
        yield Fact("pr_reverted", issue.user, issue.repo, issue.number, at)
    if issue.state == "closed" and issue.closed_at is not None and not last_close_landed:
        yield Fact("pr_closed", issue.user, issue.repo, issue.number, issue.closed_at)


def lifecycle(
    timeline: Iterable[TimelineEntry], merged: set[str], reverted: set[str]
) -> tuple[list[datetime], list[datetime], bool]:
    """(landing times, revert times, whether the last close was a landing) of a PR."""
    labels: set[str] = set()
    landings: list[datetime] = []
    reverts: list[datetime] = []
    landed = last_close_landed = False
    for entry in sorted(timeline, key=lambda e: (e.created_at, e.id)):
        label = (entry.label or "").lower()
        if entry.kind == "labeled":
            labels.add(label)
        elif entry.kind == "unlabeled":
            labels.discard(label)
        if entry.kind == "merged" and not landed:
            landings.append(entry.created_at)
            landed = last_close_landed = True
        elif entry.kind == "closed":
            if not landed and labels & merged:
                landings.append(entry.created_at)
                landed = True
            last_close_landed = landed
        elif landed and (
            entry.kind == "reopened" or (entry.kind == "labeled" and label in reverted)
        ):
            reverts.append(entry.created_at)
            landed = last_close_landed = False
        elif entry.kind == "reopened":
            last_close_landed = False
    return landings, reverts, last_close_landed


def _reviews(issue: Issue, wanted: set[str]) -> Iterator[Fact]:
    for review in issue.reviews:
        if (
            review.user.lower() in wanted
            and review.user != issue.user
            and review.state != "PENDING"
            and review.submitted_at is not None
        ):
            yield Fact("review", review.user, issue.repo, issue.number, review.submitted_at)


def recall_precision(found: Collection[Fact], truth: Collection[Fact]) -> tuple[float, float]:
    """(recall, precision) of `found` against `truth` (1.0 each when both are empty)."""
    hits = len(set(found) & set(truth))
    recall = hits / len(truth) if truth else 1.0
    precision = hits / len(found) if found else 1.0
    return recall, precision
