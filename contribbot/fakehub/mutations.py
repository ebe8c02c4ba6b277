"""The mutation API tests use to make GitHub change between two polls.

Every call takes the state lock, stamps the server clock (strictly later than any earlier
stamp), and goes through the same primitives as the generator, so timelines, user events
and `updated_at` move exactly as they do for generated activity.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import datetime

from contribbot.fakehub import ops
from contribbot.fakehub.model import Comment, Dataset, FileChange, Issue, Review, ReviewComment
from contribbot.fakehub.vocab import MERGE_BOT

ISSUE_REF = re.compile(r"(?<![\w/])#(\d+)\b")


class Mutations:
    """Mixed into FakeHub; needs `dataset`, `_lock` and `_stamp()`."""

    dataset: Dataset
    _lock: threading.RLock

    def _stamp(self) -> datetime:
        raise NotImplementedError

    def _item(self, repo: str, number: int) -> Issue:
        return self.dataset.issue(repo, number)

    def _maintainer(self, repo: str) -> str:
        return self.dataset.repos[repo].members[0]

    def add_comment(self, repo: str, number: int, login: str, body: str) -> Comment:
        """Comment on an issue or PR."""
        with self._lock:
            return ops.add_comment(
                self.dataset, self._item(repo, number), login, body, self._stamp()
            )

    def add_review(self, repo: str, number: int, login: str, state: str, body: str = "") -> Review:
        """Submit a review (APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING)."""
        with self._lock:
            pr = self._pull(repo, number)
            return ops.add_review(self.dataset, pr, login, state, body, self._stamp())

    def add_review_comment(
        self,
        repo: str,
        number: int,
        login: str,
        body: str,
        path: str = "x.py",
        review_state: str = "COMMENTED",
    ) -> ReviewComment:
        """Add an inline comment, inside a new review of review_state."""
        with self._lock:
            pr = self._pull(repo, number)
            at = self._stamp()
            review = ops.add_review(self.dataset, pr, login, review_state, "", at)
            return ops.add_review_comment(self.dataset, review, body, path, at)

    def merge_pr(self, repo: str, number: int, via_label: bool) -> Issue:
        """Land a PR: via_label closes it and adds `Merged` (merged_at stays null)."""
        with self._lock:
            pr = self._pull(repo, number)
            actor = MERGE_BOT if via_label else self._maintainer(repo)
            ops.merge(self.dataset, pr, actor, self._stamp(), via_label=via_label)
            return pr

    def revert_pr(self, repo: str, number: int) -> Issue:
        """The merge bot reverts a landed PR: label `Reverted`, then reopen it."""
        with self._lock:
            pr = self._pull(repo, number)
            ops.revert(self.dataset, pr, MERGE_BOT, self._stamp())
            return pr

    def reland_pr(self, repo: str, number: int) -> Issue:
        """The merge bot lands a reverted PR again (it keeps `Merged` and `Reverted`)."""
        with self._lock:
            pr = self._pull(repo, number)
            ops.reland(self.dataset, pr, MERGE_BOT, self._stamp())
            return pr

    def react(self, repo: str, number: int, content: str = "+1") -> Issue:
        """Someone reacts to an issue or PR: its ETag changes, its `updated_at` does not."""
        with self._lock:
            issue = self._item(repo, number)
            issue.reactions[content] = issue.reactions.get(content, 0) + 1
            return issue

    def close_issue(self, repo: str, number: int, actor: str | None = None) -> Issue:
        """Close an issue or PR (by a maintainer unless actor is given)."""
        with self._lock:
            issue = self._item(repo, number)
            ops.close(self.dataset, issue, actor or self._maintainer(repo), self._stamp())
            return issue

    def open_pr(
        self,
        repo: str,
        login: str,
        title: str,
        body: str = "",
        labels: Iterable[str] = (),
        draft: bool = False,
    ) -> Issue:
        """Open a PR; `#N` in the body cross-references issue N, as on GitHub."""
        with self._lock:
            at = self._stamp()
            pr = ops.open_item(
                self.dataset,
                repo,
                login,
                title,
                at,
                body=body,
                is_pr=True,
                labels=labels,
                draft=draft,
                files=[FileChange("README.md", 1, 0)],
            )
            self._cross_reference(pr, at)
            return pr

    def open_issue(
        self, repo: str, login: str, title: str, body: str = "", labels: Iterable[str] = ()
    ) -> Issue:
        """Open an issue."""
        with self._lock:
            at = self._stamp()
            issue = ops.open_item(self.dataset, repo, login, title, at, body=body, labels=labels)
            self._cross_reference(issue, at)
            return issue

    def assign(self, repo: str, number: int, login: str) -> Issue:
        """Assign login to an issue or PR (a maintainer does it)."""
        with self._lock:
            issue = self._item(repo, number)
            ops.assign(self.dataset, issue, login, self._maintainer(repo), self._stamp())
            return issue

    def _pull(self, repo: str, number: int) -> Issue:
        pr = self._item(repo, number)
        if not pr.is_pr:
            raise ValueError(f"{repo}#{number} is not a pull request")
        return pr

    def _cross_reference(self, source: Issue, at: datetime) -> None:
        issues = self.dataset.repos[source.repo].issues
        for ref in dict.fromkeys(int(n) for n in ISSUE_REF.findall(source.body)):
            target = issues.get(ref)
            if target is not None and target is not source:
                ops.cross_reference(self.dataset, target, source, at)
