"""What do PR timelines (landings and reverts) add to a sync's requests?

Runs a first sync of the stand-in's pytorch-like data set for each tracked user, then a
revert and a re-landing between two polls, and prints the requests per phase: all of
them, and the `GET /issues/{n}/timeline` ones among them (with the user's bot-landed PRs,
which are what asks for a timeline).

    .venv/bin/python bench/lifecycle.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contribbot.config import parse_config
from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "bench-token"
REPO = "pytorch/pytorch"


def _sync(hub: FakeHub, db: Path, user: str) -> tuple[int, int, int]:
    """(requests, of which timelines, rate points) of one sync run."""
    config = parse_config(
        {
            "github": {"api_url": hub.base_url, "token": TOKEN, "backoff_factor": 0.01},
            "database": {"url": f"sqlite:///{db}"},
            "track": {"users": [user], "repos": [REPO]},
        },
        path=db.with_suffix(".toml"),
    )
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    before = len(hub.requests)
    engine = open_database(config.database_url())
    Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    new = hub.requests[before:]
    timelines = sum(1 for r in new if r.path.endswith("/timeline"))
    return len(new), timelines, client.usage.spent


def main() -> int:
    """Print the figures for each user of the data set."""
    with FakeHub(now=NOW, tokens={TOKEN: "alice"}) as hub, tempfile.TemporaryDirectory() as tmp:
        for user in ("alice", "bob", "carol"):
            prs = [i for i in hub.dataset.repos[REPO].issues.values() if i.user == user and i.is_pr]
            landed = sum(1 for i in prs if "Merged" in i.labels)
            db = Path(tmp) / f"{user}.db"
            sent, timelines, points = _sync(hub, db, user)
            print(
                f"@{user}: {len(prs)} PRs, {landed} bot-landed | first sync: {sent} requests "
                f"({points} rate points), {timelines} of them timelines"
            )
            open_pr = hub.open_pr(REPO, user, f"bench PR of {user}")
            hub.merge_pr(REPO, open_pr.number, via_label=True)
            hub.advance(timedelta(minutes=30))
            sent, timelines, points = _sync(hub, db, user)
            print(f"  poll after a landing: {sent} requests, {timelines} timelines")
            hub.advance(timedelta(minutes=30))
            hub.revert_pr(REPO, open_pr.number)
            sent, timelines, points = _sync(hub, db, user)
            print(f"  poll after a revert: {sent} requests, {timelines} timelines")
            hub.advance(timedelta(minutes=30))
            sent, timelines, points = _sync(hub, db, user)
            print(f"  idle poll: {sent} requests, {timelines} timelines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
