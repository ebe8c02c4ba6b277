"""What counts as a contribution, from the database; `activity` and the report share it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from contribbot.store.models import Account, Comment, Issue, PullRequest, Repository, Review
from contribbot.timeutil import utc_z

KINDS = (
    "pr_opened",
    "pr_merged",
    "pr_closed",
    "issue_opened",
    "issue_closed",
    "review",
    "comment",
)
# how each kind feeds the report's totals
TOTAL_OF_KIND = {
    "pr_opened": "prs_opened",
    "pr_merged": "prs_merged",
    "pr_closed": "prs_closed",
    "issue_opened": "issues_opened",
    "issue_closed": "issues_closed",
    "review": "reviews_given",
    "comment": "comments",
}


@dataclass(frozen=True)
class Contribution:
    """One thing a user did: opened a PR, reviewed one, commented..."""

    kind: str
    user: str
    repo: str
    number: int
    title: str
    url: str
    at: datetime
    state: str | None = None  # reviews only
    merged_by_label: bool = False

    def to_json(self) -> dict[str, Any]:
        """The `contrib activity --format json` contract."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "user": self.user,
            "repo": self.repo,
            "number": self.number,
            "title": self.title,
            "url": self.url,
            "at": utc_z(self.at),
        }
        if self.state is not None:
            out["state"] = self.state
        return out


def _window(column: Any, since: datetime, until: datetime) -> Any:
    return and_(column >= since, column < until)


def _item_rows(
    session: Session, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    author = aliased(Account)
    base = (
        select(Issue, PullRequest, author.login, Repository.full_name)
        .join(author, col(Issue.author_id) == author.id)
        .join(Repository, col(Issue.repo_id) == Repository.id)
        .outerjoin(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .where(func.lower(author.login).in_([u.lower() for u in users]))
        .where(
            or_(
                _window(Issue.created_at, since, until),
                _window(Issue.closed_at, since, until),
                _window(PullRequest.merged_at, since, until),
            )
        )
    )
    out: list[Contribution] = []
    for issue, pr, login, repo in session.exec(base):
        for kind, at in _item_events(issue, pr):
            if at is not None and since <= at < until:
                out.append(
                    Contribution(
                        kind=kind,
                        user=login,
                        repo=repo,
                        number=issue.number,
                        title=issue.title,
                        url=issue.html_url,
                        at=at,
                        merged_by_label=bool(pr and pr.merged_by_label and kind == "pr_merged"),
                    )
                )
    return out


def _item_events(issue: Issue, pr: PullRequest | None) -> Iterable[tuple[str, datetime | None]]:
    if not issue.is_pr:
        yield "issue_opened", issue.created_at
        if issue.state == "closed":
            yield "issue_closed", issue.closed_at
        return
    yield "pr_opened", issue.created_at
    if pr is not None and pr.merged_at is not None:
        yield "pr_merged", pr.merged_at
    elif issue.state == "closed":
        yield "pr_closed", issue.closed_at


def _review_rows(
    session: Session, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    reviewer = aliased(Account)
    query = (
        select(Review, Issue, reviewer.login, Repository.full_name)
        .join(Issue, col(Review.pr_id) == Issue.id)
        .join(reviewer, col(Review.reviewer_id) == reviewer.id)
        .join(Repository, col(Issue.repo_id) == Repository.id)
        .where(func.lower(reviewer.login).in_([u.lower() for u in users]))
        .where(_window(Review.submitted_at, since, until))
        .where(col(Review.state) != "PENDING")
        .where(or_(col(Issue.author_id).is_(None), col(Issue.author_id) != col(Review.reviewer_id)))
    )
    return [
        Contribution(
            kind="review",
            user=login,
            repo=repo,
            number=issue.number,
            title=issue.title,
            url=issue.html_url,
            at=_known(review.submitted_at),
            state=review.state,
        )
        for review, issue, login, repo in session.exec(query)
    ]


def _known(moment: datetime | None) -> datetime:
    # the query's time window already excludes NULL
    assert moment is not None
    return moment


def _comment_rows(
    session: Session, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    author = aliased(Account)
    query = (
        select(Comment, Issue, author.login, Repository.full_name)
        .join(Issue, col(Comment.issue_id) == Issue.id)
        .join(author, col(Comment.author_id) == author.id)
        .join(Repository, col(Issue.repo_id) == Repository.id)
        .where(col(Comment.kind) == "issue")
        .where(func.lower(author.login).in_([u.lower() for u in users]))
        .where(_window(Comment.created_at, since, until))
    )
    return [
        Contribution(
            kind="comment",
            user=login,
            repo=repo,
            number=issue.number,
            title=issue.title,
            url=comment.html_url or issue.html_url,
            at=comment.created_at,
        )
        for comment, issue, login, repo in session.exec(query)
    ]


def contributions(
    session: Session, *, users: Sequence[str], since: datetime, until: datetime
) -> list[Contribution]:
    """Every contribution of `users` with since <= at < until, sorted by time."""
    if not users:
        return []
    rows = [
        *_item_rows(session, users, since, until),
        *_review_rows(session, users, since, until),
        *_comment_rows(session, users, since, until),
    ]
    return sorted(rows, key=lambda c: (c.at, c.user, KINDS.index(c.kind), c.repo, c.number))


def totals_by_user(items: Iterable[Contribution]) -> dict[str, dict[str, int]]:
    """Count contributions per user and report total key (prs_opened, ...)."""
    out: dict[str, dict[str, int]] = {}
    for item in items:
        counts = out.setdefault(item.user.lower(), dict.fromkeys(TOTAL_OF_KIND.values(), 0))
        counts[TOTAL_OF_KIND[item.kind]] += 1
    return out
