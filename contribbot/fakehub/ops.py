"""Primitives that change a Dataset: the generator and the mutation API share them.

Each stamps the time it is given, appends the trace GitHub would keep (timeline entry,
review, ...) and moves the parent issue's `updated_at` forward.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from contribbot.fakehub.model import (
    REVIEW_STATES,
    Comment,
    Dataset,
    FileChange,
    Issue,
    Label,
    Review,
    ReviewComment,
    TimelineEntry,
)

MERGED_LABEL = "Merged"
# First id handed out by finalize(): large like GitHub's, and clear of account ids.
FIRST_OBJECT_ID = 1_000_001


def ensure_label(ds: Dataset, repo: str, name: str) -> Label:
    """The repo's label `name`, created with a stable colour when new."""
    labels = ds.repos[repo].labels
    if name not in labels:
        color = hashlib.sha1(name.encode()).hexdigest()[:6]
        labels[name] = Label(name, ds.new_id(), color)
    return labels[name]


def open_item(
    ds: Dataset,
    repo: str,
    login: str,
    title: str,
    at: datetime,
    *,
    body: str = "",
    is_pr: bool = False,
    labels: Iterable[str] = (),
    label_actor: str | None = None,
    draft: bool = False,
    files: Sequence[FileChange] = (),
    numbered: bool = True,
) -> Issue:
    """Open an issue or PR; unnumbered items wait for `number_pending` (the generator)."""
    ds.account(login, at)
    issue = Issue(repo, 0, ds.new_id(), login, title, body, at, at, is_pr=is_pr, draft=draft)
    if is_pr:
        issue.files = list(files)
        issue.head_ref = f"{login}/patch-{issue.id}"
    for name in labels:
        add_label(ds, issue, name, label_actor or login, at)
    target = ds.repos[repo]
    if numbered:
        issue.number = max(target.issues, default=0) + 1
        target.issues[issue.number] = issue
    else:
        target.pending.append(issue)
    return issue


def add_comment(ds: Dataset, issue: Issue, login: str, body: str, at: datetime) -> Comment:
    """Add a conversation comment."""
    ds.account(login, at)
    comment = Comment(ds.new_id(), login, body, at, at, issue)
    issue.comments.append(comment)
    issue.bump(at)
    return comment


def add_review(
    ds: Dataset, issue: Issue, login: str, state: str, body: str, at: datetime
) -> Review:
    """Submit a review (or keep a PENDING draft, which changes nothing visible)."""
    if state not in REVIEW_STATES:
        raise ValueError(f"unknown review state {state!r}")
    ds.account(login, at)
    submitted = None if state == "PENDING" else at
    review = Review(ds.new_id(), login, state, body, at, submitted, issue)
    issue.reviews.append(review)
    if submitted is not None:
        issue.bump(at)
        if login in issue.requested_reviewers:
            issue.requested_reviewers.remove(login)
    return review


def dismiss_review(review: Review, at: datetime) -> None:
    """Dismiss a submitted review (its submitted_at stays)."""
    review.state = "DISMISSED"
    review.issue.bump(at)


def add_review_comment(
    ds: Dataset,
    review: Review,
    body: str,
    path: str,
    at: datetime,
    *,
    line: int = 1,
    reply_to: ReviewComment | None = None,
) -> ReviewComment:
    """Add an inline comment to a review, by the review's author."""
    issue = review.issue
    inline = ReviewComment(
        ds.new_id(), review.user, body, path, line, at, at, issue, review, reply_to
    )
    issue.review_comments.append(inline)
    if review.submitted_at is not None:
        issue.bump(at)
    return inline


def _record(ds: Dataset, issue: Issue, kind: str, actor: str, at: datetime) -> TimelineEntry:
    entry = TimelineEntry(ds.new_id(), kind, actor, at)
    issue.timeline.append(entry)
    issue.bump(at)
    return entry


def add_label(ds: Dataset, issue: Issue, name: str, actor: str, at: datetime) -> None:
    """Label an issue (no-op when already labelled)."""
    if name in issue.labels:
        return
    ensure_label(ds, issue.repo, name)
    issue.labels.append(name)
    _record(ds, issue, "labeled", actor, at).label = name


def remove_label(ds: Dataset, issue: Issue, name: str, actor: str, at: datetime) -> None:
    """Remove a label (no-op when absent)."""
    if name not in issue.labels:
        return
    issue.labels.remove(name)
    _record(ds, issue, "unlabeled", actor, at).label = name


def close(
    ds: Dataset, issue: Issue, actor: str, at: datetime, reason: str | None = "completed"
) -> None:
    """Close an issue or PR (PRs carry no state_reason)."""
    issue.state = "closed"
    issue.closed_at = at
    issue.closed_by = actor
    issue.state_reason = None if issue.is_pr else reason
    _record(ds, issue, "closed", actor, at)


def reopen(ds: Dataset, issue: Issue, actor: str, at: datetime) -> None:
    """Reopen a closed issue or PR."""
    issue.state = "open"
    issue.closed_at = None
    issue.closed_by = None
    issue.state_reason = "reopened"
    _record(ds, issue, "reopened", actor, at)


def merge(ds: Dataset, pr: Issue, actor: str, at: datetime, *, via_label: bool) -> None:
    """Land a PR: through GitHub (merged_at set) or PyTorch-style (close + `Merged`)."""
    if not pr.is_pr:
        raise ValueError(f"{pr.repo}#{pr.number} is not a pull request")
    if via_label:
        add_label(ds, pr, MERGED_LABEL, actor, at)
    else:
        pr.merged_at = at
        pr.merged_by = actor
        _record(ds, pr, "merged", actor, at)
    pr.draft = False
    close(ds, pr, actor, at)
    ds.forget_associations()


def assign(ds: Dataset, issue: Issue, login: str, actor: str, at: datetime) -> None:
    """Assign login (no-op when already assigned)."""
    if login in issue.assignees:
        return
    ds.account(login, at)
    issue.assignees.append(login)
    _record(ds, issue, "assigned", actor, at).assignee = login


def unassign(ds: Dataset, issue: Issue, login: str, actor: str, at: datetime) -> None:
    """Remove an assignee (no-op when not assigned)."""
    if login not in issue.assignees:
        return
    issue.assignees.remove(login)
    _record(ds, issue, "unassigned", actor, at).assignee = login


def cross_reference(ds: Dataset, target: Issue, source: Issue, at: datetime) -> None:
    """Record on target that source (usually a PR) mentioned it."""
    entry = _record(ds, target, "cross-referenced", source.user, at)
    entry.source = source
    if source.is_pr and source.fixes is None:
        source.fixes = target


def finalize(ds: Dataset) -> None:
    """Number pending items by creation time, then re-issue ids in time order."""
    for repo in ds.repos.values():
        number_pending(repo.issues, repo.pending)
        repo.pending.clear()
    objects: list[Issue | Comment | Review | ReviewComment | TimelineEntry] = []
    for repo in ds.repos.values():
        for issue in repo.issues.values():
            objects.append(issue)
            objects.extend(issue.comments)
            objects.extend(issue.reviews)
            objects.extend(issue.review_comments)
            objects.extend(issue.timeline)
    objects.sort(key=lambda o: (o.created_at, o.id))
    for offset, obj in enumerate(objects):
        obj.id = FIRST_OBJECT_ID + offset
    ds.next_id = FIRST_OBJECT_ID + len(objects)


def number_pending(issues: dict[int, Issue], pending: list[Issue]) -> None:
    """Give pending items numbers in creation order after the existing ones, then fill
    the `#N` references generated bodies left as `{ref}`."""
    start = max(issues, default=0) + 1
    ordered = sorted(pending, key=lambda i: (i.created_at, i.id))
    for offset, issue in enumerate(ordered):
        issue.number = start + offset
        issues[issue.number] = issue
    for issue in ordered:
        ref = f"#{issue.fixes.number}" if issue.fixes is not None else ""
        issue.body = issue.body.replace("{ref}", ref)


REVERTED_LABEL = "Reverted"


def revert(ds: Dataset, pr: Issue, actor: str, at: datetime) -> None:
    """PyTorch's merge bot reverts a landed PR: label `Reverted`, then reopen it."""
    if not pr.is_pr or pr.state != "closed":
        raise ValueError(f"{pr.repo}#{pr.number} is not a closed pull request")
    add_label(ds, pr, REVERTED_LABEL, actor, at)
    reopen(ds, pr, actor, at)
    pr.state_reason = None
    ds.forget_associations()


def reland(ds: Dataset, pr: Issue, actor: str, at: datetime) -> None:
    """Land a reverted PR again: closed by the bot; `Merged` and `Reverted` both stay."""
    if not pr.is_pr or pr.state != "open":
        raise ValueError(f"{pr.repo}#{pr.number} is not an open pull request")
    add_label(ds, pr, MERGED_LABEL, actor, at)
    close(ds, pr, actor, at)
    ds.forget_associations()
