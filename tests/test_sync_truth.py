"""End to end against an unkind stand-in: with each realism switch on, and with all at once,
a first sync and then incremental polls (the hub's clock advancing and GitHub changing
between them) give recall = precision = 1.000 of `contrib activity --format json` against
the ground truth computed from the data set itself (contribbot.fakehub.truth).

Each switch alone runs over REST; every switch at once runs both ways (REST, then GraphQL
with `[github] graphql = true`, where the first sync goes over GraphQL and the polls stay
on REST). The stand-in's GraphQL endpoint has no faults of its own: in a GraphQL run the
switches hit the same REST requests (the first sync's follow-ups and event walks, every
poll) that the all-at-once case puts them all on together. Both runs of that case are
checked against the same truth, so passing both means REST and GraphQL end with the same
activity (each equals the truth, hence each other).

The world includes, where the switch calls for it, a PR reverted before the first sync,
one landed, reverted between two polls and landed again, and an approval whose event
arrives three hours late, behind a newer comment already read.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import TLS, TOKEN, cli, load, world_copy, write_config

from contribbot.fakehub import FakeHub
from contribbot.fakehub.events import EVENT_ID_BASE
from contribbot.fakehub.realism import Realism
from contribbot.fakehub.reverts import add_reverts
from contribbot.fakehub.truth import Fact, expected_contributions, recall_precision
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync

USERS = ("alice", "bob", "carol")
PT = "pytorch/pytorch"
REST, GRAPHQL = "false", "true"
# (case, `[github] graphql`): each switch over REST, all of them both ways
CASES = [
    *(pytest.param(c, REST, id=f"rest-{c}") for c in (*Realism.switches(), "all")),
    pytest.param("all", GRAPHQL, id="graphql-all"),
]


class Wall:
    """One fake wall clock for the stand-in's rate-limit windows and every wait of the
    sync: a wait moves it on instead of sleeping (a 3 s window resets, a 60 s secondary
    backoff or a search's retry pause passes), so no run sleeps for real."""

    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        """Seconds since the epoch, on this clock."""
        return self.t

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass at once."""
        self.t += seconds


class World:
    """The hub, the config, and one sync per poll."""

    def __init__(self, hub: FakeHub, path: Path) -> None:
        self.hub = hub
        self.path = path
        self.config = load(path)
        self.engine = open_database(self.config.database_url())
        self.wall = Wall()
        hub._limiter.clock = self.wall.now  # the windows reset on this clock only
        self.client = GitHubClient(
            api_url=hub.base_url,
            token=TOKEN,
            backoff_factor=0.01,
            sleep=self.wall.sleep,
            clock=lambda: datetime.fromtimestamp(self.wall.t, UTC),
        )
        self.polls: list[str] = []

    def poll(self) -> None:
        """One `contrib sync`: what it spent goes in the test's output."""
        sent, spent = self.client.usage.sent, self.client.usage.spent
        result = Sync(
            engine=self.engine,
            client=self.client,
            config=self.config,
            clock=self.hub.now,
            sleep=self.wall.sleep,
        ).run()
        errors = [e for o in result.outcomes for e in (o.error, *o.problems) if e]
        assert not result.stopped and not errors, errors
        self.polls.append(
            f"{self.client.usage.sent - sent} requests, {self.client.usage.spent - spent} spent"
        )

    def activity(self) -> list[Fact]:
        """What `contrib activity --format json` says, every user, all time."""
        until = (self.hub.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        args = ["activity", "--config", str(self.path), "--format", "json"]
        args += ["--since", "2000-01-01T00:00:00Z", "--until", until]
        for user in USERS:
            args += ["--user", user]
        code, out, err = cli(*args)
        assert code == 0, err
        return [
            Fact(r["kind"], r["user"], r["repo"], r["number"], _parse(r["at"]))
            for r in json.loads(out)
        ]

    def check(self, when: str) -> None:
        """recall = precision = 1.000 against the truth, and nothing doubled."""
        found = self.activity()
        truth = expected_contributions(self.hub.dataset, USERS)
        recall, precision = recall_precision(found, truth)
        sys.stdout.write(
            f"{when}: recall {recall:.3f} precision {precision:.3f} "
            f"({len(truth)} contributions; polls: {'; '.join(self.polls)})\n"
        )
        missing = sorted(truth - set(found), key=lambda f: f.at)[:5]
        extra = sorted(set(found) - truth, key=lambda f: f.at)[:5]
        assert (recall, precision) == (1.0, 1.0), f"missing {missing}; extra {extra}"
        assert len(found) == len(set(found)), "a contribution was reported twice"


def _parse(stamp: str):  # type: ignore[no-untyped-def]
    from contribbot.timeutil import parse_github_time

    return parse_github_time(stamp)


def _burn_quota(hub: FakeHub) -> None:
    """Another tool on the same token spends what is left, so our next request is refused."""
    with httpx.Client(
        base_url=hub.base_url, headers={"Authorization": f"token {TOKEN}"}, verify=TLS
    ) as c:
        while c.get("/rate_limit").json()["resources"]["core"]["remaining"] > 0:
            c.get("/repos/pytorch/pytorch")


def _landed_by_bot(hub: FakeHub, user: str) -> int:
    prs = [
        pr
        for pr in hub.dataset.repos[PT].issues.values()
        if pr.user == user and pr.merged_by_label and "Reverted" not in pr.labels
    ]
    return max(prs, key=lambda pr: pr.number).number


@pytest.mark.parametrize(("case", "sync_mode"), CASES)
def test_first_sync_and_polls_find_every_contribution(
    case: str, sync_mode: str, tmp_path: Path
) -> None:
    realism = Realism.all() if case == "all" else Realism.only(case)
    dataset = world_copy("small")
    if realism.reverts:
        add_reverts(dataset, realism.seed)
    with FakeHub(dataset, tokens={TOKEN: "alice"}, realism=realism) as hub:
        hub.set_rate_limit(1000, window_s=60, resource="search")  # waits are tested elsewhere
        if realism.primary_429:
            hub.set_rate_limit(60, window_s=3)
        config = write_config(tmp_path, hub.base_url, users=list(USERS), graphql=sync_mode)
        world = World(hub, config)
        if realism.reverts:
            hub.revert_pr(PT, _landed_by_bot(hub, "alice"))  # reverted before the first sync
        world.poll()
        world.check("first sync")

        # GitHub changes between polls, and the clock moves on
        hub.advance(timedelta(minutes=20))
        pr = hub.open_pr(PT, "alice", "Speed up conv2d on CPU")
        approval = hub.add_review(PT, pr.number, "bob", "APPROVED", "LGTM")
        if realism.late_events:
            hub.delay_event(approval.id, timedelta(hours=3))  # behind the newer comment
        hub.add_comment(PT, pr.number, "bob", "Thanks, nice speed-up!")
        issue = hub.open_issue(PT, "carol", "conv2d is slow on CPU")
        hub.add_comment(PT, issue.number, "alice", "I can take this one.")
        if realism.reverts:
            hub.merge_pr(PT, pr.number, via_label=True)
        hub.advance(timedelta(minutes=2))
        if realism.primary_429:
            _burn_quota(hub)
        world.poll()

        hub.advance(timedelta(minutes=30))
        if realism.reverts:
            hub.revert_pr(PT, pr.number)  # reverted between two polls
        bob_pr = hub.open_pr(PT, "bob", "Docs: conv2d")
        hub.add_review(PT, bob_pr.number, "alice", "CHANGES_REQUESTED", "One nit")
        hub.close_issue(PT, issue.number)
        hub.react(PT, pr.number, "heart")
        world.poll()

        if realism.late_events:  # the approval is still hidden behind bob's newer comment
            assert str(EVENT_ID_BASE + approval.id) not in _event_ids(hub, "bob")
        hub.advance(timedelta(hours=7))  # every late event has shown up by now
        if realism.reverts:
            hub.reland_pr(PT, pr.number)
        world.poll()
        world.check(f"{case}: after {len(world.polls)} polls")
        sys.stdout.write(f"{case}/{sync_mode}: faults served {dict(hub.unkind)}\n")
        faults = ["primary_429", "secondary_no_retry_after"]  # REST polls hit them either way
        if sync_mode == "false":
            # /search/issues only: the GraphQL first sync cannot see incomplete pages (the
            # stand-in's GraphQL `search` has no such switch) and the REST polls here don't search
            faults.append("incomplete_search")
        for switch in faults:
            if getattr(realism, switch):  # the fault really happened
                assert hub.unkind[switch] >= 1, switch


def _event_ids(hub: FakeHub, login: str) -> set[str]:
    with httpx.Client(
        base_url=hub.base_url, headers={"Authorization": f"token {TOKEN}"}, verify=TLS
    ) as c:
        return {e["id"] for e in c.get(f"/users/{login}/events/public").json()}
