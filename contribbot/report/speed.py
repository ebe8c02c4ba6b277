"""Database -> how fast PRs get a first review and get merged: a user's own PRs, and
everyone else's in the same repos, over the last BASELINE_DAYS."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row, func, select, type_coerce
from sqlmodel import Session, col

from contribbot.activity import account_ids
from contribbot.store.models import Issue, PullRequest, Repository, Review, UTCDateTime

BASELINE_DAYS = 90


@dataclass(frozen=True)
class Speed:
    """Median hours for one user's PRs, and for everyone else's PRs in the same repos."""

    first_review: float | None = None
    merge: float | None = None
    others_first_review: float | None = None
    others_merge: float | None = None


@dataclass
class _Pool:
    """Hours of one measure (to first review, or to merge) over the lookback."""

    by_repo: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_user: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, repo_id: int, login: str | None, hours: float) -> None:
        """Record one PR's hours (login: set when a user of the report wrote it)."""
        self.by_repo[repo_id].append(hours)
        if login is not None:
            self.by_user[login].append(hours)

    def sort(self) -> None:
        """Sort every list once, so medians can be found by bisection."""
        for values in (*self.by_repo.values(), *self.by_user.values()):
            values.sort()

    def own(self, login: str) -> float | None:
        """The median of the user's own PRs."""
        values = self.by_user.get(login)
        return round(statistics.median(values), 1) if values else None

    def others(self, login: str, repos: set[int], everything: Sequence[float]) -> float | None:
        """The median over `repos`, leaving out the user's own PRs."""
        pools = [self.by_repo[r] for r in repos if r in self.by_repo]
        own = self.by_user.get(login, [])
        size = sum(len(p) for p in pools) - len(own)
        if size <= 0:
            return None
        middle = _kth(pools, own, everything, size // 2)
        if size % 2 == 0:
            middle = (middle + _kth(pools, own, everything, size // 2 - 1)) / 2
        return round(middle, 1)


def review_speeds(
    session: Session, *, users: Sequence[str], repos: Sequence[str], as_of: datetime
) -> dict[str, Speed]:
    """Per user (lower-cased login): median hours to first review and to merge.

    A PR counts for review speed when opened in the lookback, for merge speed when
    merged in it. "Everyone else" means every other author in the repos the user has
    PRs in; without PRs, in `repos` (the tracked ones).
    """
    accounts = {i: login.lower() for i, login in account_ids(session, users).items()}
    since = as_of - timedelta(days=BASELINE_DAYS)
    review, merge = _Pool(), _Pool()
    user_repos: dict[str, set[int]] = defaultdict(set)
    for repo_id, author_id, created, merged, first in _recent_prs(session, since, as_of):
        login = accounts.get(author_id) if author_id is not None else None
        if login is not None:
            user_repos[login].add(repo_id)
        if first is not None and created >= since:
            review.add(repo_id, login, _hours(first - created))
        if merged is not None and since <= merged < as_of:
            merge.add(repo_id, login, _hours(merged - created))
    review.sort()
    merge.sort()
    tracked = _repo_ids(session, repos)
    everything = (_everything(review), _everything(merge))
    out = {}
    for login in {u.lower() for u in users}:
        where = user_repos.get(login) or tracked
        out[login] = Speed(
            first_review=review.own(login),
            merge=merge.own(login),
            others_first_review=review.others(login, where, everything[0]),
            others_merge=merge.others(login, where, everything[1]),
        )
    return out


def _recent_prs(
    session: Session, since: datetime, as_of: datetime
) -> Sequence[Row[int, int | None, datetime, datetime | None, datetime | None]]:
    """(repo, author, opened, merged, first review) of PRs opened in the two lookbacks.

    Merge speed looks at PRs merged in the lookback, which may have been opened in the
    one before it.
    """
    first_review = (
        select(func.min(Review.submitted_at))
        .where(col(Review.pr_id) == Issue.id, col(Review.submitted_at) < as_of)
        .where(col(Review.reviewer_id) != col(Issue.author_id), col(Review.state) != "PENDING")
        .scalar_subquery()
    )
    query = (
        select(
            col(Issue.repo_id),
            col(Issue.author_id),
            col(Issue.created_at),
            col(PullRequest.merged_at),
            type_coerce(first_review, UTCDateTime),
        )
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .where(col(Issue.created_at) >= since - timedelta(days=BASELINE_DAYS))
        .where(col(Issue.created_at) < as_of)
    )
    return session.execute(query).all()


def _repo_ids(session: Session, names: Sequence[str]) -> set[int]:
    if not names:
        return set()
    rows = session.execute(select(col(Repository.id)).where(col(Repository.full_name).in_(names)))
    return {repo_id for (repo_id,) in rows}


def _everything(pool: _Pool) -> list[float]:
    return sorted(h for values in pool.by_repo.values() for h in values)


def _kth(
    pools: Sequence[Sequence[float]], own: Sequence[float], everything: Sequence[float], k: int
) -> float:
    """The k-th smallest (from 0) value of the sorted pools together, without `own`.

    Bisects over `everything` (all values, sorted) instead of merging the pools, so a
    cohort of hundreds of users over busy repos does not copy the pools per user.
    """
    low, high = 0, len(everything) - 1
    while low < high:
        middle = (low + high) // 2
        value = everything[middle]
        at_most = sum(bisect_right(p, value) for p in pools) - bisect_right(own, value)
        if at_most > k:
            high = middle
        else:
            low = middle + 1
    return everything[low]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
