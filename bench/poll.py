"""What a poll costs: a busy pytorch-like repo against a quiet one, on the stand-in.

The busy repo (pytorch/pytorch) changes between every two polls, 5 minutes of hub time
apart: comments and reviews by others and by the tracked users, a PR landed by the
merge bot (label `Merged`), a revert (label `Reverted` + reopen), reactions, and
reaction churn (ETags that change while `updated_at` stays put). The quiet repo
(pytorch/tutorials) does not change. Each repo is tracked by its own database and
client, so each line is one repo's poll. Prints requests, 304s, rate points counted,
items saved and points per 100 items saved:

    .venv/bin/python bench/poll.py            # 8 polls
    .venv/bin/python bench/poll.py --polls 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contribbot.config import Config, parse_config
from contribbot.fakehub import FakeHub
from contribbot.fakehub.realism import Realism
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Spend, Sync

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "bench-token"
USERS = ("alice", "bob", "carol")
BUSY, QUIET = "pytorch/pytorch", "pytorch/tutorials"
OTHERS = ("dave", "erin", "frank", "grace")


@dataclass
class Tracker:
    """One repo's database and client."""

    config: Config
    client: GitHubClient

    def poll(self, hub: FakeHub) -> tuple[Spend, int, int]:
        """One sync: what it spent, items saved, and the points of the users' event feeds
        (those follow the users, not the repo: tracking both repos in one config reads
        each feed once a poll)."""
        engine = open_database(self.config.database_url())
        sync = Sync(engine=engine, client=self.client, config=self.config, clock=hub.now)
        hub.clear_requests()
        result = sync.run()
        engine.dispose()
        feeds = sum(1 for r in hub.requests if r.path.startswith("/users/") and r.counted)
        return result.spend, result.items, feeds


@dataclass
class Total:
    """Sums over the polls of one repo."""

    spend: Spend = field(default_factory=Spend)
    items: int = 0
    feeds: int = 0

    def add(self, spend: Spend, items: int, feeds: int) -> None:
        """Count one poll."""
        self.spend = Spend(
            self.spend.requests + spend.requests,
            self.spend.not_modified + spend.not_modified,
            self.spend.points + spend.points,
        )
        self.items += items
        self.feeds += feeds


def tracker(hub: FakeHub, folder: Path, repo: str) -> Tracker:
    """A config and a client tracking the three users in `repo` alone."""
    db = folder / f"{repo.replace('/', '_')}.db"
    doc = {
        "github": {"api_url": hub.base_url, "token": TOKEN},
        "database": {"url": f"sqlite:///{db}"},
        "track": {"users": list(USERS), "repos": [repo]},
    }
    config = parse_config(doc, path=folder / "contrib.toml", text="")
    return Tracker(config, GitHubClient(api_url=hub.base_url, token=TOKEN))


def change(hub: FakeHub, turn: int) -> str:
    """Something happens in the busy repo (every turn) and nothing in the quiet one."""
    issues = sorted(hub.dataset.repos[BUSY].issues.values(), key=lambda i: i.number)
    open_prs = [i for i in issues if i.is_pr and i.state == "open"]
    open_issues = [i for i in issues if not i.is_pr and i.state == "open"]
    other = OTHERS[turn % len(OTHERS)]
    pr = open_prs[(turn * 7) % len(open_prs)]
    issue = open_issues[(turn * 11) % len(open_issues)]
    hub.add_comment(BUSY, issue.number, other, f"ping {turn}")
    hub.add_review(BUSY, pr.number, other, "COMMENTED", "a note")
    hub.react(BUSY, issues[turn % len(issues)].number, "rocket")
    done = [f"comment by @{other}", f"review by @{other}", "a reaction"]
    if turn % 2 == 0:
        user = USERS[turn % len(USERS)]
        hub.add_comment(BUSY, issue.number, user, f"I can take this ({turn})")
        done.append(f"comment by @{user}")
    if turn % 3 == 1:
        theirs = next(p for p in open_prs if p.user not in USERS and p.number != pr.number)
        hub.add_review(BUSY, theirs.number, "alice", "APPROVED")
        done.append("approval by @alice")
    if turn % 4 == 2:
        hub.merge_pr(BUSY, pr.number, via_label=True)
        done.append(f"#{pr.number} landed (label Merged)")
    return ", ".join(done)


def row(label: str, spend: Spend, items: int, feeds: int) -> str:
    """One poll's line."""
    per = f"{100 * spend.points / items:7.1f}" if items else "      -"
    return (
        f"{label:<22} {spend.requests:>8} {spend.not_modified:>5} {spend.points:>7} "
        f"{feeds:>6} {items:>6} {per}\n"
    )


def main() -> None:
    """Print one line per repo and poll, then the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=8)
    args = parser.parse_args()
    out = sys.stdout
    realism = Realism.only("reaction_churn")
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeHub(now=NOW, tokens={TOKEN: "alice"}, realism=realism) as hub,
    ):
        busy, quiet = tracker(hub, Path(tmp), BUSY), tracker(hub, Path(tmp), QUIET)
        for name, t in (("busy", busy), ("quiet", quiet)):
            spend, items, _ = t.poll(hub)
            out.write(f"first sync of the {name} repo: {spend.line()}, {items} items\n")
        out.write(f"\n{'poll (5 min apart)':<22} requests   304  points (feeds)  items  pts/100\n")
        totals = {"busy": Total(), "quiet": Total()}
        for turn in range(1, args.polls + 1):
            hub.advance(timedelta(minutes=5))
            what = change(hub, turn)
            for name, t in (("busy", busy), ("quiet", quiet)):
                spend, items, feeds = t.poll(hub)
                totals[name].add(spend, items, feeds)
                out.write(row(f"{turn:>2} {name}", spend, items, feeds))
            out.write(f"   (busy repo: {what})\n")
        out.write("\n")
        for name, total in totals.items():
            out.write(row(f"all {args.polls} {name} polls", total.spend, total.items, total.feeds))
            polls = max(args.polls, 1)
            out.write(
                f"  {name}: {total.spend.points / polls:.1f} points a poll"
                f" ({(total.spend.points - total.feeds) / polls:.1f} for the repo's own lists,"
                f" {total.feeds / polls:.1f} for the users' event feeds),"
                f" {total.spend.requests / polls:.1f} requests\n"
            )


if __name__ == "__main__":
    main()
