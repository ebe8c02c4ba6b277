"""Review and merge speeds: the bit-set medians against a plain reading of the rules."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from contribbot.report.facts import RecentPR
from contribbot.report.speed import BASELINE_DAYS, Speed, lookback_start, review_speeds

AS_OF = datetime(2026, 11, 16, tzinfo=UTC)
SINCE = AS_OF - timedelta(days=BASELINE_DAYS)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _reference(prs: list[RecentPR], users: list[str], tracked: set[int]) -> dict[str, Speed]:
    """The rules of review_speeds, read literally: a list per user, no bits."""

    def review(pr: RecentPR) -> float | None:
        if pr.first_review_at is None or pr.opened_at < SINCE:
            return None
        return (pr.first_review_at - pr.opened_at).total_seconds() / 3600

    def merge(pr: RecentPR) -> float | None:
        if pr.merged_at is None or not SINCE <= pr.merged_at < AS_OF:
            return None
        return (pr.merged_at - pr.opened_at).total_seconds() / 3600

    out = {}
    for login in users:
        repos = {pr.repo_id for pr in prs if pr.author == login} or tracked
        mine = [pr for pr in prs if pr.author == login]
        others = [pr for pr in prs if pr.author != login and pr.repo_id in repos]
        speeds = [
            _median([h for h in map(measure, group) if h is not None])
            for measure in (review, merge)
            for group in (mine, others)
        ]
        out[login] = Speed(speeds[0], speeds[2], speeds[1], speeds[3])
    return out


def _random_prs(rng: random.Random, users: list[str], count: int) -> list[RecentPR]:
    prs = []
    for _ in range(count):
        opened = lookback_start(AS_OF) + timedelta(hours=rng.randrange(2 * BASELINE_DAYS * 24))
        # whole and half hours: many ties, and even-sized pools with two middles
        reviewed = opened + timedelta(minutes=30 * rng.randrange(1, 200))
        merged = opened + timedelta(minutes=30 * rng.randrange(1, 400))
        prs.append(
            RecentPR(
                repo_id=rng.randrange(1, 9),
                author=rng.choice([*users, None, None, None]),
                opened_at=opened,
                merged_at=merged if rng.random() < 0.7 else None,
                first_review_at=reviewed if rng.random() < 0.8 else None,
            )
        )
    return prs


@pytest.mark.parametrize("seed", range(12))
def test_medians_match_a_plain_reading_of_the_rules(seed):
    rng = random.Random(seed)
    users = [f"user{n}" for n in range(rng.randrange(1, 12))]
    prs = _random_prs(rng, users, rng.randrange(0, 300))
    tracked = set(rng.sample(range(1, 12), 3))
    got = review_speeds(prs, users=[u.upper() for u in users], tracked=tracked, as_of=AS_OF)
    assert got == _reference(prs, users, tracked)


def test_a_user_without_prs_is_compared_with_the_tracked_repos():
    prs = [
        RecentPR(1, None, SINCE, None, SINCE + timedelta(hours=1)),
        RecentPR(2, None, SINCE, None, SINCE + timedelta(hours=3)),
        RecentPR(2, None, SINCE, None, SINCE + timedelta(hours=4)),
        RecentPR(3, None, SINCE, None, SINCE + timedelta(hours=50)),
    ]
    speed = review_speeds(prs, users=["alice"], tracked={1, 2}, as_of=AS_OF)["alice"]
    assert speed == Speed(None, None, 3.0, None)
    nowhere = review_speeds(prs, users=["alice"], tracked=set(), as_of=AS_OF)["alice"]
    assert nowhere == Speed()


def test_an_even_pool_takes_the_mean_of_its_two_middles_without_the_users_own():
    prs = [
        RecentPR(1, "alice", SINCE, SINCE + timedelta(hours=1), SINCE + timedelta(hours=1)),
        RecentPR(1, "bob", SINCE, SINCE + timedelta(hours=2), SINCE + timedelta(hours=2)),
        RecentPR(1, None, SINCE, SINCE + timedelta(hours=5), SINCE + timedelta(hours=5)),
    ]
    speeds = review_speeds(prs, users=["alice", "bob"], tracked=(), as_of=AS_OF)
    assert speeds["alice"] == Speed(1.0, 1.0, 3.5, 3.5)  # bob's 2 h and the 5 h
    assert speeds["bob"] == Speed(2.0, 2.0, 3.0, 3.0)  # alice's 1 h and the 5 h
