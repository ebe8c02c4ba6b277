"""A user's public events, derived from their activity in the data set (pure).

GitHub keeps at most 300 events from the last 30 days (90 before January 2025);
deriving them (instead of storing them) means mutations show up without extra
bookkeeping. With `Realism.late_events` an event shows up 30 s to 6 h after it
happened (so it can land behind newer ones) and the window is 30 days.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from contribbot.fakehub.model import Comment, Dataset, Issue, Review, ReviewComment
from contribbot.fakehub.realism import EVENT_WINDOW_REAL, Realism, event_delay

MAX_EVENTS = 300
EVENT_WINDOW = timedelta(days=90)
# Event ids are numeric strings that grow with time, like GitHub's.
EVENT_ID_BASE = 40_000_000_000


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One entry of /users/{u}/events/public."""

    id: str
    type: str
    actor: str
    action: str
    created_at: datetime
    issue: Issue
    comment: Comment | None = None
    review: Review | None = None
    review_comment: ReviewComment | None = None


def user_events(
    ds: Dataset,
    login: str,
    now: datetime,
    hidden: Collection[str] = (),
    realism: Realism | None = None,
    delays: Mapping[str, timedelta] | None = None,
) -> list[UserEvent]:
    """login's public events visible at now, newest first, at most 300 from the window.

    `delays` pins how late given event ids appear (tests); with late events on, the
    others get a seeded delay of 30 s to 6 h."""
    late = realism is not None and realism.late_events
    since = now - (EVENT_WINDOW_REAL if late else EVENT_WINDOW)
    pinned = delays or {}

    def visible(event: UserEvent) -> bool:
        delay = pinned.get(event.id)
        if delay is None and late:
            assert realism is not None
            delay = event_delay(realism.seed, event.id)
        return since <= event.created_at and event.created_at + (delay or timedelta(0)) <= now

    found = [
        event
        for name, repo in ds.repos.items()
        if name not in hidden
        for issue in repo.issues.values()
        for event in _issue_events(issue, login)
        if visible(event)
    ]
    found.sort(key=lambda e: (e.created_at, int(e.id)), reverse=True)
    return found[:MAX_EVENTS]


def event_id(object_id: int) -> str:
    """The public event id of the comment, review or timeline entry `object_id`."""
    return _event_id(object_id)


def _event_id(object_id: int) -> str:
    return str(EVENT_ID_BASE + object_id)


def _issue_events(issue: Issue, login: str) -> Iterator[UserEvent]:
    kind = "PullRequestEvent" if issue.is_pr else "IssuesEvent"
    if issue.user == login:
        yield UserEvent(_event_id(issue.id), kind, login, "opened", issue.created_at, issue)
    for entry in issue.timeline:
        if entry.actor == login and entry.kind in ("closed", "reopened"):
            yield UserEvent(_event_id(entry.id), kind, login, entry.kind, entry.created_at, issue)
    for comment in issue.comments:
        if comment.user == login:
            yield UserEvent(
                _event_id(comment.id),
                "IssueCommentEvent",
                login,
                "created",
                comment.created_at,
                issue,
                comment=comment,
            )
    for review in issue.reviews:
        if review.user == login and review.submitted_at is not None:
            yield UserEvent(
                _event_id(review.id),
                "PullRequestReviewEvent",
                login,
                "created",
                review.submitted_at,
                issue,
                review=review,
            )
    for inline in issue.review_comments:
        if inline.user == login and inline.review.submitted_at is not None:
            yield UserEvent(
                _event_id(inline.id),
                "PullRequestReviewCommentEvent",
                login,
                "created",
                inline.created_at,
                issue,
                review_comment=inline,
            )
