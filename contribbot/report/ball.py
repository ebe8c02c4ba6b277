"""Pure: whose move is it on an open PR? ("ball in court")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contribbot.report.model import Ball

DECISIVE = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})


@dataclass(frozen=True)
class ReviewEvent:
    """A submitted review on the PR."""

    reviewer: str
    state: str
    at: datetime


@dataclass(frozen=True)
class BallState:
    """Whose move, and since when."""

    ball: Ball
    since: datetime


def ball_in_court(
    *,
    author: str,
    opened_at: datetime,
    draft: bool,
    reviews: Sequence[ReviewEvent],
    author_replies: Sequence[datetime],
    reverted_at: datetime | None = None,
) -> BallState:
    """Decide the ball state of an open PR.

    - a draft is `draft` (since it was opened);
    - no review from anyone but the author: `awaiting_review` (since opened);
    - a reviewer's latest decisive review is CHANGES_REQUESTED, or reviewers only
      commented: the author's move, `changes_requested` (since that review), unless
      the author commented or replied in a review thread after it: `author_replied`;
    - otherwise, with an approval standing: `approved` (since the latest approval);
    - a landed PR that was reverted (and reopened) is the author's move, `reverted` (since
      the revert), until someone reviews it again: reviews before the revert are spent.
    """
    if draft:
        return BallState("draft", opened_at)
    if reverted_at is not None:
        reviews = [r for r in reviews if r.at > reverted_at]
    me = author.lower()
    others = [r for r in reviews if r.reviewer.lower() != me]
    if not others:
        if reverted_at is not None:
            return BallState("reverted", reverted_at)
        return BallState("awaiting_review", opened_at)
    others.sort(key=_at)
    standing: dict[str, ReviewEvent] = {}
    for review in others:
        if review.state in DECISIVE:
            standing[review.reviewer.lower()] = review
    blocking = [r for r in standing.values() if r.state == "CHANGES_REQUESTED"]
    approvals = [r for r in standing.values() if r.state == "APPROVED"]
    if approvals and not blocking:
        return BallState("approved", max(r.at for r in approvals))
    if blocking:
        asked = max(r.at for r in blocking)
    else:
        comments = [r.at for r in others if r.state == "COMMENTED"]
        if not comments:  # every standing review was dismissed: back in the queue
            return BallState("awaiting_review", max(r.at for r in standing.values()))
        asked = max(comments)
    replies = [at for at in author_replies if at > asked]
    if replies:
        return BallState("author_replied", max(replies))
    return BallState("changes_requested", asked)


def _at(review: ReviewEvent) -> datetime:
    return review.at
