"""Pure: how fast PRs get a first review and get merged: a user's own PRs, and everyone
else's in the same repos, over the last BASELINE_DAYS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter

from contribbot.report.facts import RecentPR

BASELINE_DAYS = 90


@dataclass(frozen=True)
class Speed:
    """Median hours for one user's PRs, and for everyone else's PRs in the same repos."""

    first_review: float | None = None
    merge: float | None = None
    others_first_review: float | None = None
    others_merge: float | None = None


class _Pool:
    """Hours of one measure (to first review, or to merge) over the lookback.

    Every PR's hours sit once in `values`, sorted; a set of PRs is an int whose bit i
    stands for values[i]. A user's "everyone else" is then the OR of their repos' bits
    without their own, and its median the middle set bit: no list is copied or merged
    per user, which for a cohort of hundreds over busy repos cost more than the rest.
    """

    def __init__(self, entries: Iterable[tuple[float, int, str | None]]) -> None:
        ordered = sorted(entries, key=itemgetter(0))
        self.values = [hours for hours, _, _ in ordered]
        repos: dict[int, list[int]] = defaultdict(list)
        users: dict[str, list[int]] = defaultdict(list)
        for index, (_, repo_id, login) in enumerate(ordered):
            repos[repo_id].append(index)
            if login is not None:
                users[login].append(index)
        self.repo_bits = {repo_id: _bits(where) for repo_id, where in repos.items()}
        self.user_bits = {login: _bits(where) for login, where in users.items()}
        self.own_values = {login: [self.values[i] for i in where] for login, where in users.items()}

    def own(self, login: str) -> float | None:
        """The median of the user's own PRs."""
        values = self.own_values.get(login)
        return round(_median(values), 1) if values else None

    def others(self, login: str, repos: Collection[int]) -> float | None:
        """The median over `repos`, leaving out the user's own PRs."""
        pool = 0
        for repo_id in repos:
            pool |= self.repo_bits.get(repo_id, 0)
        pool &= ~self.user_bits.get(login, 0)
        size = pool.bit_count()
        if size == 0:
            return None
        upper = _select(pool, size, size // 2)
        middle = self.values[upper]
        if size % 2 == 0:  # the set bit just below the upper middle one
            lower = (pool & ((1 << upper) - 1)).bit_length() - 1
            middle = (self.values[lower] + middle) / 2
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
    reviewed: list[tuple[float, int, str | None]] = []
    merged: list[tuple[float, int, str | None]] = []
    user_repos: dict[str, set[int]] = defaultdict(set)
    for pr in prs:
        author, opened_at, reviewed_at, merged_at = (
            pr.author,
            pr.opened_at,
            pr.first_review_at,
            pr.merged_at,
        )
        if author is not None:
            user_repos[author].add(pr.repo_id)
        if reviewed_at is not None and opened_at >= since:
            reviewed.append(((reviewed_at - opened_at).total_seconds() / 3600, pr.repo_id, author))
        if merged_at is not None and since <= merged_at < as_of:
            merged.append(((merged_at - opened_at).total_seconds() / 3600, pr.repo_id, author))
    review, merge = _Pool(reviewed), _Pool(merged)
    out = {}
    for login in {u.lower() for u in users}:
        where = user_repos.get(login) or tracked
        out[login] = Speed(
            first_review=review.own(login),
            merge=merge.own(login),
            others_first_review=review.others(login, where),
            others_merge=merge.others(login, where),
        )
    return out


def _bits(indexes: Sequence[int]) -> int:
    """An int with the given bits set (built in bytes: shifting one bit at a time into a
    thousands-of-bits int would copy it each time)."""
    buffer = bytearray(indexes[-1] // 8 + 1)
    for index in indexes:
        buffer[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(buffer, "little")


def _select(bits: int, size: int, k: int) -> int:
    """The index of the k-th (from 0) set bit of `bits`, which has `size` of them."""
    low, high = 0, bits.bit_length() - 1
    while low < high:
        middle = (low + high) // 2
        if size - (bits >> (middle + 1)).bit_count() > k:  # set bits at or below middle
            high = middle
        else:
            low = middle + 1
    return low


def _median(values: Sequence[float]) -> float:
    """The median of sorted values (as statistics.median takes it)."""
    half = len(values) // 2
    if len(values) % 2:
        return values[half]
    return (values[half - 1] + values[half]) / 2
