"""Database -> the report's open PRs: which PRs were open at a moment, and whose move each is."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CompoundSelect, select, union_all
from sqlmodel import Session, col

from contribbot.activity import account_ids
from contribbot.report.ball import ReviewEvent, ball_in_court
from contribbot.report.model import OpenPR
from contribbot.store.models import Account, Comment, Issue, PullRequest, Repository, Review


@dataclass
class _PRFacts:
    """What the ball rules need to know about one open PR."""

    repo: str
    number: int
    title: str
    url: str
    author: str
    opened_at: datetime
    draft: bool
    reviews: list[ReviewEvent] = field(default_factory=list)
    author_replies: list[datetime] = field(default_factory=list)


def open_prs(
    session: Session, *, users: Sequence[str], as_of: datetime, stale_after_days: int
) -> dict[str, list[OpenPR]]:
    """Per user (lower-cased login): their PRs open at `as_of`, oldest first."""
    accounts = account_ids(session, users)
    if not accounts:
        return {}
    ids = _open_pr_ids(list(accounts), as_of)
    facts = _pr_facts(session, ids, accounts, as_of)
    if not facts:
        return {}
    _add_reviews(session, facts, ids, as_of)
    _add_author_comments(session, facts, ids, as_of)
    out: dict[str, list[OpenPR]] = defaultdict(list)
    for fact in sorted(facts.values(), key=lambda f: (f.opened_at, f.repo, f.number)):
        out[fact.author.lower()].append(_open_pr(fact, as_of, stale_after_days))
    return dict(out)


def _open_pr_ids(user_ids: Sequence[int], as_of: datetime) -> CompoundSelect[tuple[int]]:
    """Ids of the users' PRs not closed by `as_of`, including ones opened after it.

    Two lookups on the (author_id, closed_at) index; "opened before as_of" is left to
    the caller, or SQLite may walk the users' whole history by created_at instead.
    """
    authored = select(col(Issue.id)).where(col(Issue.author_id).in_(user_ids), col(Issue.is_pr))
    still_open = authored.where(col(Issue.closed_at).is_(None), col(Issue.state) == "open")
    closed_later = authored.where(col(Issue.closed_at) >= as_of)
    return union_all(still_open, closed_later)


def _pr_facts(
    session: Session, ids: CompoundSelect[tuple[int]], accounts: dict[int, str], as_of: datetime
) -> dict[int, _PRFacts]:
    rows = session.execute(
        select(
            col(Issue.id),
            col(Repository.full_name),
            col(Issue.number),
            col(Issue.title),
            col(Issue.html_url),
            col(Issue.author_id),
            col(Issue.created_at),
            col(PullRequest.draft),
        )
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .join(Repository, col(Repository.id) == Issue.repo_id)
        .where(col(Issue.id).in_(ids), col(Issue.created_at) < as_of)
    )
    return {
        pr_id: _PRFacts(repo, number, title, url, accounts[author_id], opened_at, draft)
        for pr_id, repo, number, title, url, author_id, opened_at, draft in rows
    }


def _add_reviews(
    session: Session, facts: dict[int, _PRFacts], ids: CompoundSelect[tuple[int]], as_of: datetime
) -> None:
    """Submitted reviews before as_of; the author's own count as replies (review threads)."""
    rows = session.execute(
        select(col(Review.pr_id), col(Account.login), col(Review.state), col(Review.submitted_at))
        .join(Account, col(Account.id) == Review.reviewer_id)
        .where(col(Review.pr_id).in_(ids), col(Review.submitted_at) < as_of)
        .where(col(Review.state) != "PENDING")  # not submitted: nobody has seen it
    )
    for pr_id, reviewer, state, at in rows:
        fact = facts.get(pr_id)
        if fact is None:  # opened after as_of
            continue
        fact.reviews.append(ReviewEvent(reviewer, state, at))
        if reviewer.lower() == fact.author.lower():
            fact.author_replies.append(at)


def _add_author_comments(
    session: Session, facts: dict[int, _PRFacts], ids: CompoundSelect[tuple[int]], as_of: datetime
) -> None:
    """The author's conversation and inline comments before as_of: replies to reviewers."""
    rows = session.execute(
        select(col(Comment.issue_id), col(Comment.created_at))
        .join(Issue, col(Issue.id) == Comment.issue_id)
        .where(col(Comment.issue_id).in_(ids), col(Comment.created_at) < as_of)
        .where(col(Comment.author_id) == col(Issue.author_id))
    )
    for pr_id, at in rows:
        if pr_id in facts:  # not opened after as_of
            facts[pr_id].author_replies.append(at)


def _open_pr(fact: _PRFacts, as_of: datetime, stale_after_days: int) -> OpenPR:
    state = ball_in_court(
        author=fact.author,
        opened_at=fact.opened_at,
        draft=fact.draft,
        reviews=fact.reviews,
        author_replies=fact.author_replies,
    )
    last_change = max([fact.opened_at, *(r.at for r in fact.reviews), *fact.author_replies])
    idle = max(0, (as_of - last_change).days)
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
