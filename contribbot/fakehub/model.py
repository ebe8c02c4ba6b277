"""The stand-in's data: plain dataclasses plus the few primitives that change them.

Both the generator (dataset.py) and the server's mutation API go through the same
primitives, so a generated comment and a comment added by a test leave identical traces
(timeline entry, `updated_at` bump). Nothing here reads the clock: callers pass times.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

# Review states GitHub reports; PENDING reviews are drafts only their author sees.
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING")
MEMBER = "MEMBER"
# GitHub numbers a PR twice: the issues API's `id` (/issues, /search/issues) and the pulls
# API's (/pulls, GraphQL's PullRequest.databaseId/fullDatabaseId), from separate sequences,
# so the two always differ. The stand-in's pulls id is its issue id plus this.
PULL_ID_OFFSET = 700_000_000


@dataclass(slots=True)
class Account:
    """A GitHub user or bot."""

    login: str
    id: int
    created_at: datetime
    name: str | None = None
    kind: str = "User"  # GitHub's `type`: "User" or "Bot"


@dataclass(slots=True)
class Label:
    """A repository label."""

    name: str
    id: int
    color: str
    description: str | None = None


@dataclass(slots=True)
class FileChange:
    """One file of a pull request's diff."""

    filename: str
    additions: int
    deletions: int
    status: str = "modified"


class _OnIssue:
    """What is said on an issue or PR knows its repository."""

    __slots__ = ()
    issue: Issue

    @property
    def repo(self) -> str:
        """owner/name of the repository."""
        return self.issue.repo


class _OnPull(_OnIssue):
    """What is said on a PR (a review, an inline comment) knows its number."""

    __slots__ = ()

    @property
    def pr_number(self) -> int:
        """Number of the PR."""
        return self.issue.number


@dataclass(slots=True)
class Comment(_OnIssue):
    """A conversation comment on an issue or PR."""

    id: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime
    issue: Issue = field(repr=False, compare=False)

    @property
    def issue_number(self) -> int:
        """Number of the issue or PR commented on."""
        return self.issue.number


@dataclass(slots=True)
class Review(_OnPull):
    """A pull request review; `submitted_at` is None while PENDING."""

    id: int
    user: str
    state: str
    body: str
    created_at: datetime
    submitted_at: datetime | None
    issue: Issue = field(repr=False, compare=False)


@dataclass(slots=True)
class ReviewComment(_OnPull):
    """An inline review comment; it always belongs to a review."""

    id: int
    user: str
    body: str
    path: str
    line: int
    created_at: datetime
    updated_at: datetime
    issue: Issue = field(repr=False, compare=False)
    review: Review = field(repr=False, compare=False)
    reply_to: ReviewComment | None = field(default=None, repr=False, compare=False)

    @property
    def review_id(self) -> int:
        """Id of the review this comment belongs to."""
        return self.review.id

    @property
    def in_reply_to_id(self) -> int | None:
        """Id of the comment this one answers, if any."""
        return None if self.reply_to is None else self.reply_to.id


@dataclass(slots=True)
class TimelineEntry:
    """A stored issue event: labeled, unlabeled, assigned, unassigned, closed, reopened,
    merged or cross-referenced (comments and reviews join the timeline when served)."""

    id: int
    kind: str
    actor: str
    created_at: datetime
    label: str | None = None
    assignee: str | None = None
    source: Issue | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Issue:
    """An issue or a pull request (`is_pr`), with everything hanging off it."""

    repo: str
    number: int
    id: int
    user: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    is_pr: bool = False
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    draft: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    head_ref: str = ""
    base_ref: str = "main"
    files: list[FileChange] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    fixes: Issue | None = field(default=None, repr=False, compare=False)
    comments: list[Comment] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    review_comments: list[ReviewComment] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    reactions: dict[str, int] = field(default_factory=dict)  # content -> count

    @property
    def pull_id(self) -> int:
        """The pulls API's id of a PR (never equal to any issue id: see PULL_ID_OFFSET)."""
        return PULL_ID_OFFSET + self.id

    @property
    def merged(self) -> bool:
        """Merged through GitHub (merged_at set), as `is:merged` means it."""
        return self.merged_at is not None

    @property
    def merged_by_label(self) -> bool:
        """Closed with the `Merged` label: how PyTorch's merge bot lands PRs."""
        return self.state == "closed" and "Merged" in self.labels

    def bump(self, at: datetime) -> None:
        """Move `updated_at` forward to at (never backwards)."""
        if at > self.updated_at:
            self.updated_at = at


@dataclass(slots=True)
class Repo:
    """A repository and its issues (keyed by number)."""

    owner: str
    name: str
    id: int
    description: str
    created_at: datetime
    members: tuple[str, ...]
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    pending: list[Issue] = field(default_factory=list)  # built but not yet numbered

    @property
    def full_name(self) -> str:
        """owner/name."""
        return f"{self.owner}/{self.name}"


@dataclass
class Dataset:
    """Everything the stand-in serves, anchored at `now`."""

    now: datetime
    seed: int
    size: str
    accounts: dict[str, Account] = field(default_factory=dict)
    repos: dict[str, Repo] = field(default_factory=dict)
    # Good-first-issue candidates in pytorch/pytorch by kind (see dataset.py).
    candidates_by_kind: dict[str, int] = field(default_factory=dict)
    # alice's open PRs in pytorch/pytorch by review situation.
    alice_open_prs: dict[str, int] = field(default_factory=dict)
    # Other named items the tests and demo point at, e.g. "xss_pr", "tutorials_help_wanted".
    landmarks: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Monday (UTC) of alice's busiest week.
    alice_busiest_week: datetime | None = None
    next_id: int = 1
    _merged_authors: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def new_id(self) -> int:
        """A fresh object id."""
        value = self.next_id
        self.next_id += 1
        return value

    def account(self, login: str, at: datetime | None = None, *, kind: str = "User") -> Account:
        """The account for login, created on first use (mutations may name new users)."""
        found = self.accounts.get(login)
        if found is None:
            found = Account(login, 1000 + len(self.accounts), at or self.now, kind=kind)
            self.accounts[login] = found
        return found

    def rename_account(self, old: str, new: str) -> None:
        """A user renames their account: same id, and every item of theirs now names `new`
        (GitHub answers with the current login everywhere; the old one is free, a 404)."""
        account = self.accounts.pop(old)
        account.login = new
        self.accounts[new] = account
        swap = functools.partial(_swap, old, new)
        for repo in self.repos.values():
            repo.members = tuple(map(swap, repo.members))
            for issue in [*repo.issues.values(), *repo.pending]:
                issue.user = swap(issue.user)
                issue.closed_by = _swap_none(old, new, issue.closed_by)
                issue.merged_by = _swap_none(old, new, issue.merged_by)
                issue.assignees = list(map(swap, issue.assignees))
                issue.requested_reviewers = list(map(swap, issue.requested_reviewers))
                items: list[Comment | Review | ReviewComment] = [
                    *issue.comments,
                    *issue.reviews,
                    *issue.review_comments,
                ]
                for item in items:
                    item.user = swap(item.user)
                for entry in issue.timeline:
                    entry.actor = swap(entry.actor)
                    entry.assignee = _swap_none(old, new, entry.assignee)
        self.forget_associations()

    def issue(self, repo: str, number: int) -> Issue:
        """The issue or PR `number` of repo; KeyError when missing."""
        return self.repos[repo].issues[number]

    def association(self, repo: str, login: str) -> str:
        """GitHub's author_association of login in repo."""
        if login in self.repos[repo].members:
            return MEMBER
        merged = self._merged_authors.get(repo)
        if merged is None:
            merged = {i.user for i in self.repos[repo].issues.values() if _landed(i)}
            self._merged_authors[repo] = merged
        return "CONTRIBUTOR" if login in merged else "NONE"

    def forget_associations(self) -> None:
        """Drop the author_association cache after a merge."""
        self._merged_authors.clear()


def _landed(issue: Issue) -> bool:
    return issue.is_pr and (issue.merged or issue.merged_by_label)


def mentions(text: str) -> list[str]:
    """Logins @-mentioned in text."""
    return re.findall(r"(?<![\w`])@([A-Za-z0-9][A-Za-z0-9-]*(?:\[bot\])?)", text)


def _swap(old: str, new: str, login: str) -> str:
    return new if login == old else login


def _swap_none(old: str, new: str, login: str | None) -> str | None:
    return None if login is None else _swap(old, new, login)
