"""Whose move is it on an open PR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contribbot.report.ball import ReviewEvent, ball_in_court

T0 = datetime(2026, 11, 10, 9, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def ball(reviews=(), replies=(), draft=False):
    return ball_in_court(
        author="alice",
        opened_at=T0,
        draft=draft,
        reviews=list(reviews),
        author_replies=list(replies),
    )


def test_no_reviews_awaits_review_since_opened():
    state = ball()
    assert (state.ball, state.since) == ("awaiting_review", T0)


def test_authors_own_review_does_not_count_as_a_review():
    assert ball([ReviewEvent("alice", "COMMENTED", at(1))]).ball == "awaiting_review"


def test_draft_wins():
    assert ball([ReviewEvent("bob", "APPROVED", at(1))], draft=True).ball == "draft"


def test_changes_requested_then_author_reply():
    reviews = [ReviewEvent("maint", "CHANGES_REQUESTED", at(1))]
    assert ball(reviews).ball == "changes_requested"
    state = ball(reviews, replies=[at(2)])
    assert (state.ball, state.since) == ("author_replied", at(2))
    assert ball(reviews, replies=[at(0.5)]).ball == "changes_requested"  # reply came before


def test_approval_after_changes_requested_by_the_same_reviewer():
    reviews = [
        ReviewEvent("maint", "CHANGES_REQUESTED", at(1)),
        ReviewEvent("maint", "APPROVED", at(3)),
    ]
    state = ball(reviews)
    assert (state.ball, state.since) == ("approved", at(3))


def test_one_blocking_reviewer_outweighs_an_approval():
    reviews = [ReviewEvent("a", "APPROVED", at(1)), ReviewEvent("b", "CHANGES_REQUESTED", at(2))]
    assert ball(reviews).ball == "changes_requested"


def test_a_comment_after_approval_does_not_undo_it():
    reviews = [ReviewEvent("a", "APPROVED", at(1)), ReviewEvent("a", "COMMENTED", at(2))]
    assert ball(reviews).ball == "approved"


def test_only_comments_mean_the_author_should_answer():
    state = ball([ReviewEvent("a", "COMMENTED", at(1))])
    assert (state.ball, state.since) == ("changes_requested", at(1))
    assert ball([ReviewEvent("a", "COMMENTED", at(1))], replies=[at(2)]).ball == "author_replied"


def test_dismissed_review_puts_it_back_in_the_queue():
    state = ball(
        [ReviewEvent("a", "CHANGES_REQUESTED", at(1)), ReviewEvent("a", "DISMISSED", at(2))]
    )
    assert (state.ball, state.since) == ("awaiting_review", at(2))


def test_reverted_is_the_authors_move_until_someone_reviews_again():
    approved = [ReviewEvent("maint", "APPROVED", at(1))]
    state = ball_in_court(
        author="alice",
        opened_at=T0,
        draft=False,
        reviews=approved,
        author_replies=[],
        reverted_at=at(3),
    )
    assert (state.ball, state.since) == ("reverted", at(3))  # the approval before is spent
    again = [*approved, ReviewEvent("maint", "CHANGES_REQUESTED", at(4))]
    state = ball_in_court(
        author="alice",
        opened_at=T0,
        draft=False,
        reviews=again,
        author_replies=[],
        reverted_at=at(3),
    )
    assert (state.ball, state.since) == ("changes_requested", at(4))
