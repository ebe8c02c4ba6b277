"""A maintainer's whole history, first sync over REST and over GraphQL: what each costs.

    .venv/bin/python bench/history.py            # the maintainer, then alice in the demo
    .venv/bin/python bench/history.py --only demo
    .venv/bin/python bench/history.py --scale 0.2   # a fifth of the maintainer (quicker)

The maintainer's history is built here (3,000 authored issues/PRs, 8,000 reviewed PRs,
15,000 comments across 2 repos, some threads longer than 100 comments) and served by the
stand-in with limits high enough that nothing waits; each mode syncs into a fresh
database. Points: every REST request (core and search) is one, a GraphQL query its cost.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contribbot.config import parse_config
from contribbot.fakehub import FakeHub, build_dataset, ops
from contribbot.fakehub.model import Account, Dataset, Issue, Repo
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "bench-token"
ME = "maint-max"
REPOS = ("bigorg/core", "bigorg/docs")
AUTHORED, REVIEWED, COMMENTS, LONG_THREADS = 3000, 8000, 15000, 20
YEARS = 5
POINTS_PER_HOUR = 5000


def maintainer_history(seed: int = 11, scale: float = 1.0) -> Dataset:
    """The maintainer-sized data set (deterministic); `scale` shrinks every count."""
    authored, reviewed_n, comments_n = (round(n * scale) for n in (AUTHORED, REVIEWED, COMMENTS))
    long_threads, other_issues = max(1, round(LONG_THREADS * scale)), round(2500 * scale)
    rng = random.Random(seed)
    ds = Dataset(now=NOW, seed=seed, size="bench")
    others = [f"dev-{k:03d}" for k in range(200)]
    for ident, login in enumerate([ME, *others, "merge-bot"]):
        ds.accounts[login] = Account(login, 10 + ident, NOW - timedelta(days=4000))
    for ident, full_name in enumerate(REPOS):
        owner, name = full_name.split("/")
        ds.repos[full_name] = Repo(
            owner, name, 500 + ident, name, NOW - timedelta(days=4000), (ME,)
        )
        for label in ("Merged", "bug", "module: nn"):
            ops.ensure_label(ds, full_name, label)
    span = YEARS * 365 * 86400

    def when() -> datetime:
        return NOW - timedelta(days=1, seconds=rng.randrange(span))

    def repo() -> str:
        return REPOS[0] if rng.random() < 0.75 else REPOS[1]

    def opened(login: str, is_pr: bool, at: datetime) -> Issue:
        title = f"{'Fix' if is_pr else 'Bug in'} thing {rng.randrange(10**6)}"
        return ops.open_item(
            ds, repo(), login, title, at, is_pr=is_pr, labels=["bug"], numbered=False
        )

    def later(at: datetime, hours: float) -> datetime:
        return min(at + timedelta(hours=rng.uniform(0.1, hours)), NOW - timedelta(hours=1))

    def finish(item: Issue) -> None:
        end = later(item.created_at, 24 * 20)
        if item.is_pr and rng.random() < 0.8:
            ops.merge(ds, item, "merge-bot", end, via_label=item.repo == REPOS[0])
        elif rng.random() < 0.7:
            ops.close(ds, item, ME, end)

    for k in range(authored):
        item = opened(ME, k % 2 == 0, when())
        for _ in range(rng.randrange(3)):
            reviewer = rng.choice(others)
            if item.is_pr:
                ops.add_review(ds, item, reviewer, "APPROVED", "", later(item.created_at, 48))
            ops.add_comment(ds, item, reviewer, "looks fine", later(item.created_at, 48))
        finish(item)
    reviewed: list[Issue] = []
    for _ in range(reviewed_n):
        pr = opened(rng.choice(others), True, when())
        ops.add_review(
            ds, pr, ME, rng.choice(["APPROVED", "COMMENTED"]), "", later(pr.created_at, 72)
        )
        if rng.random() < 0.3:
            ops.add_review(ds, pr, rng.choice(others), "APPROVED", "", later(pr.created_at, 72))
        reviewed.append(pr)
        finish(pr)
    issues = [opened(rng.choice(others), False, when()) for _ in range(other_issues)]
    targets = reviewed[:other_issues] + issues
    for k in range(comments_n):
        item = targets[k % len(targets)] if k < 2 * len(targets) else rng.choice(targets)
        ops.add_comment(ds, item, ME, f"comment {k}", later(item.created_at, 24 * 30))
    for item in issues[:long_threads]:
        for k in range(130):
            ops.add_comment(
                ds, item, rng.choice(others), f"+1 ({k})", later(item.created_at, 24 * 30)
            )
    for item in targets:
        if item.state == "open" and rng.random() < 0.5:
            finish(item)
    ops.finalize(ds)
    return ds


@dataclass
class Figures:
    """What one first sync cost."""

    requests: int
    points: int
    graphql_points: int
    wall_s: float
    cpu_s: float
    items: int


def first_sync(hub: FakeHub, users: list[str], repos: list[str], mode: str) -> Figures:
    """Sync users x repos from nothing in `mode` ("false" = REST, "true" = GraphQL)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        text = (
            f'[github]\napi_url = "{hub.base_url}"\ntoken = "{TOKEN}"\ngraphql = {mode}\n'
            f'[database]\nurl = "sqlite:///{db}"\n'
            f"[track]\nusers = {users!r}\nrepos = {repos!r}\n".replace("'", '"')
        )
        import tomllib

        config = parse_config(tomllib.loads(text), path=Path(tmp) / "c.toml", text=text)
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
        engine = open_database(config.database_url())
        hub.clear_requests()
        started, cpu = time.perf_counter(), time.process_time()
        result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        if result.exit_code:
            raise SystemExit(f"the {mode} sync failed: {result.outcomes}")
        counted = [r for r in hub.requests if r.counted]
        gql = sum(r.points for r in counted if r.resource == "graphql")
        client.close()
        engine.dispose()
        points = sum(r.points for r in counted)
        return Figures(len(hub.requests), points, gql, wall, cpu, result.items)


def report(title: str, rest: Figures, gql: Figures, touched: int, long: int) -> None:
    """Print the two modes side by side (CPU: this process, the stand-in included)."""
    print(f"\n{title}  ({touched:,} issues/PRs touched, {long} threads longer than 100)")
    print(
        f"{'':10}{'requests':>10}{'points':>10}{'of which GraphQL':>18}"
        f"{'loopback':>10}{'CPU':>9}{'at 5,000/h':>12}{'points/100':>12}"
    )
    for name, f in (("REST", rest), ("GraphQL", gql)):
        hours = f.points / POINTS_PER_HOUR
        per100 = f.points / touched * 100 if touched else 0
        print(
            f"{name:10}{f.requests:>10,}{f.points:>10,}{f.graphql_points:>18,}"
            f"{f.wall_s:>9.1f}s{f.cpu_s:>8.1f}s{hours:>11.2f}h{per100:>12.2f}"
        )
    target = 3 * touched / 100 + long
    print(
        f"GraphQL: {gql.points:,} points against the target of {target:,.0f} (3 per 100 items"
        f" touched + 1 per long thread); REST/GraphQL = "
        f"{rest.points / max(gql.points, 1):.1f}x fewer points"
    )


def touched(ds: Dataset, user: str) -> int:
    """Issues/PRs the user authored, reviewed or commented on (what the searches return)."""
    return sum(
        1
        for repo in ds.repos.values()
        for i in repo.issues.values()
        if i.user == user
        or any(r.user == user for r in i.reviews)
        or any(c.user == user for c in i.comments)
    )


def long_threads(ds: Dataset, user: str) -> int:
    """Touched items with more than 100 comments or reviews (each costs a page more)."""
    return sum(
        1
        for repo in ds.repos.values()
        for i in repo.issues.values()
        if (len(i.comments) > 100 or len(i.reviews) > 100)
        and (
            i.user == user
            or any(r.user == user for r in i.reviews)
            or any(c.user == user for c in i.comments)
        )
    )


def main(argv: list[str]) -> None:
    """Run the bench."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["maintainer", "demo"])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the maintainer")
    parser.add_argument(
        "--graphql-only", action="store_true", help="skip REST (to re-measure GraphQL only)"
    )
    args = parser.parse_args(argv)
    scenarios = []
    if args.only in (None, "maintainer"):
        started = time.perf_counter()
        ds = maintainer_history(scale=args.scale)
        print(f"maintainer history built in {time.perf_counter() - started:.1f}s")
        title = f"maintainer x{args.scale:g} (@maint-max, 2 repos)"
        scenarios.append((title, ds, ME, list(REPOS)))
    if args.only in (None, "demo"):
        ds = build_dataset(NOW)
        scenarios.append(
            (
                "newcomer (@alice in the demo, 2 repos)",
                ds,
                "alice",
                ["pytorch/pytorch", "pytorch/tutorials"],
            )
        )
    for title, ds, user, repos in scenarios:
        with FakeHub(ds, tokens={TOKEN: user}) as hub:
            hub.set_rate_limit(10**9)
            hub.set_rate_limit(10**9, resource="search")
            hub.graphql.set_limit(10**9)
            gql = first_sync(hub, [user], repos, "true")
            skipped = Figures(0, 0, 0, 0.0, 0.0, 0)
            rest = skipped if args.graphql_only else first_sync(hub, [user], repos, "false")
        report(title, rest, gql, touched(ds, user), long_threads(ds, user))


if __name__ == "__main__":
    main(sys.argv[1:])
