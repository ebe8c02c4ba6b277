"""Pure: the report's open PRs, with whose move each one is and how long it has been idle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from contribbot.report.ball import ball_in_court
from contribbot.report.facts import PRFacts
from contribbot.report.model import OpenPR

_OLDEST_FIRST = attrgetter("opened_at", "repo", "number")


def open_prs(
    facts: Sequence[PRFacts], *, as_of: datetime, stale_after_days: int
) -> dict[str, list[OpenPR]]:
    """Per author (lower-cased login): their PRs open at `as_of`, oldest first."""
    out: dict[str, list[OpenPR]] = defaultdict(list)
    for fact in sorted(facts, key=_OLDEST_FIRST):
        out[fact.author.lower()].append(open_pr(fact, as_of, stale_after_days))
    return dict(out)


def open_pr(fact: PRFacts, as_of: datetime, stale_after_days: int) -> OpenPR:
    """One open PR as the report shows it."""
    state = ball_in_court(
        author=fact.author,
        opened_at=fact.opened_at,
        draft=fact.draft,
        reviews=fact.reviews,
        author_replies=fact.author_replies,
        reverted_at=fact.reverted_at,
    )
    idle = max(0, (as_of - _last_change(fact)).days)
    return OpenPR(
        repo=fact.repo,
        number=fact.number,
        title=fact.title,
        url=fact.url,
        ball=state.ball,
        days=max(0, (as_of - state.since).days),
        opened_at=fact.opened_at,
        idle_days=idle,
        stale=idle >= stale_after_days,
    )


def _last_change(fact: PRFacts) -> datetime:
    """When the PR last moved: opened, reviewed, answered by its author, or reverted."""
    last = fact.opened_at
    for review in fact.reviews:
        if review.at > last:
            last = review.at
    for moment in fact.author_replies:
        if moment > last:
            last = moment
    if fact.reverted_at is not None and fact.reverted_at > last:
        last = fact.reverted_at
    return last
