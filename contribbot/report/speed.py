"""Pure: how fast PRs get a first review and get merged: a user's own PRs, and everyone
else's in the same repos, over the last BASELINE_DAYS."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat

from contribbot.report.facts import RecentPR

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


def lookback_start(as_of: datetime) -> datetime:
    """The oldest PR opening the speeds need: merged in the lookback, opened before it."""
    return as_of - timedelta(days=2 * BASELINE_DAYS)


def review_speeds(
    prs: Sequence[RecentPR], *, users: Sequence[str], tracked: Collection[int], as_of: datetime
) -> dict[str, Speed]:
    """Per user (lower-cased login): median hours to first review and to merge.

    A PR counts for review speed when opened in the lookback, for merge speed when
    merged in it. "Everyone else" means every other author in the repos the user has
    PRs in; without PRs, in `tracked` (the tracked repos).
    """
    since = as_of - timedelta(days=BASELINE_DAYS)
    review, merge = _Pool(), _Pool()
    user_repos: dict[str, set[int]] = defaultdict(set)
    for pr in prs:
        if pr.author is not None:
            user_repos[pr.author].add(pr.repo_id)
        if pr.first_review_at is not None and pr.opened_at >= since:
            review.add(pr.repo_id, pr.author, _hours(pr.first_review_at - pr.opened_at))
        if pr.merged_at is not None and since <= pr.merged_at < as_of:
            merge.add(pr.repo_id, pr.author, _hours(pr.merged_at - pr.opened_at))
    review.sort()
    merge.sort()
    everything = (_everything(review), _everything(merge))
    out = {}
    for login in {u.lower() for u in users}:
        where = user_repos.get(login) or set(tracked)
        out[login] = Speed(
            first_review=review.own(login),
            merge=merge.own(login),
            others_first_review=review.others(login, where, everything[0]),
            others_merge=merge.others(login, where, everything[1]),
        )
    return out


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
        at_most = sum(map(bisect_right, pools, repeat(value))) - bisect_right(own, value)
        if at_most > k:
            high = middle
        else:
            low = middle + 1
    return everything[low]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
