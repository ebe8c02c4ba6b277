"""Reverts end to end against the stand-in: timelines fetched by the sync, landings and
reverts at the times they happened, the ball, and re-derivation without requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from conftest import NOW, TOKEN, cli, load, world_copy, write_config

from contribbot.activity import account_ids, contributions
from contribbot.activity.history import rederive_if_changed
from contribbot.fakehub import FakeHub
from contribbot.fakehub.model import Issue
from contribbot.github.client import GitHubClient
from contribbot.report.pulls import open_prs
from contribbot.report.queries import open_pr_facts
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync

REPO = "pytorch/pytorch"
EPOCH = datetime(2000, 1, 1, tzinfo=NOW.tzinfo)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The small world (the same stories, a ninth of the issues): these tests follow the PRs
    they open themselves, so the rest of the world only has to be there, not be big."""
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


def _sync(config, hub: FakeHub) -> Sync:
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    engine = open_database(config.database_url())
    sync = Sync(engine=engine, client=client, config=config, clock=hub.now)
    sync.run()
    assert sync.result.exit_code == 0
    return sync


def _times(pr: Issue, kind: str, label: str | None = None) -> list[datetime]:
    return [e.created_at for e in pr.timeline if e.kind == kind and e.label == label]


def _lifecycle_rows(config, number: int) -> list[tuple[str, datetime]]:
    with session_scope(open_database(config.database_url())) as session:
        items = contributions(session, users=["alice"], since=EPOCH, until=NOW + timedelta(days=9))
    return [
        (c.kind, c.at)
        for c in items
        if c.number == number and c.kind in ("pr_merged", "pr_reverted", "pr_closed")
    ]


def _timeline_requests(hub: FakeHub) -> int:
    return sum(1 for r in hub.requests if r.path.endswith("/timeline"))


def test_reverted_before_first_sync_and_between_polls(tmp_path, hub):
    config = load(write_config(tmp_path, hub.base_url, users=["alice"], repos=[REPO]))
    early = hub.open_pr(REPO, "alice", "Reverted before the first sync")
    hub.merge_pr(REPO, early.number, via_label=True)
    hub.advance(timedelta(hours=5))
    hub.revert_pr(REPO, early.number)
    later = hub.open_pr(REPO, "alice", "Reverted between two polls")
    hub.merge_pr(REPO, later.number, via_label=True)

    _sync(config, hub)
    (early_landing,) = _times(early, "closed")
    (early_revert,) = _times(early, "labeled", "Reverted")
    assert _lifecycle_rows(config, early.number) == [
        ("pr_merged", early_landing),
        ("pr_reverted", early_revert),
    ]
    (later_landing,) = _times(later, "closed")
    assert _lifecycle_rows(config, later.number) == [("pr_merged", later_landing)]
    with session_scope(open_database(config.database_url())) as session:
        accounts = account_ids(session, ["alice"])
        facts = open_pr_facts(session, accounts=accounts, as_of=hub.now())
    pulls = open_prs(facts, as_of=hub.now(), stale_after_days=14)
    ball = {p.number: p.ball for p in pulls["alice"]}
    assert ball[early.number] == "reverted"
    assert later.number not in ball

    # between two polls: `later` is reverted, `early` lands again
    hub.advance(timedelta(hours=2))
    hub.revert_pr(REPO, later.number)
    hub.advance(timedelta(hours=2))
    hub.reland_pr(REPO, early.number)
    before = _timeline_requests(hub)
    _sync(config, hub)
    assert _timeline_requests(hub) - before == 2  # one per changed PR, no more
    (later_revert,) = _times(later, "labeled", "Reverted")
    assert _lifecycle_rows(config, later.number) == [
        ("pr_merged", later_landing),  # a reverted landing keeps its week
        ("pr_reverted", later_revert),
    ]
    early_landings = _times(early, "closed")
    assert len(early_landings) == 2
    assert _lifecycle_rows(config, early.number) == [
        ("pr_merged", early_landings[0]),
        ("pr_reverted", early_revert),
        ("pr_merged", early_landings[1]),
    ]

    # an idle poll asks for no timeline
    before = _timeline_requests(hub)
    _sync(config, hub)
    assert _timeline_requests(hub) == before


def test_changed_label_rules_re_derive_without_requests(tmp_path, hub):
    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=[REPO])
    config = load(path)
    pr = hub.open_pr(REPO, "alice", "Landed, then reverted")
    hub.merge_pr(REPO, pr.number, via_label=True)
    hub.advance(timedelta(hours=1))
    hub.revert_pr(REPO, pr.number)
    _sync(config, hub)
    assert [k for k, _ in _lifecycle_rows(config, pr.number)] == ["pr_merged", "pr_reverted"]

    sent = len(hub.requests)
    changed = load(
        write_config(
            tmp_path,
            hub.base_url,
            users=["alice"],
            repos=[REPO],
            extra=f'[repos."{REPO}"]\nmerged_labels = ["Landed"]\nreverted_labels = []\n',
        )
    )
    with session_scope(open_database(changed.database_url())) as session:
        assert rederive_if_changed(session, config=changed, now=hub.now()) > 0
    # no merged label any more: the PR never landed, so nothing was reverted either
    assert _lifecycle_rows(changed, pr.number) == []
    with session_scope(open_database(config.database_url())) as session:
        rederive_if_changed(session, config=config, now=hub.now())
        assert rederive_if_changed(session, config=config, now=hub.now()) == 0  # unchanged
    assert [k for k, _ in _lifecycle_rows(config, pr.number)] == ["pr_merged", "pr_reverted"]
    assert len(hub.requests) == sent

    # the same through the CLI: opening the database re-derives with the file's rules
    write_config(
        tmp_path,
        hub.base_url,
        users=["alice"],
        repos=[REPO],
        extra=f'[repos."{REPO}"]\nreverted_labels = ["Backed out"]\n',
    )
    code, out, _ = cli(
        "activity", "--config", str(path), "--since", "2026-11-01", "--format", "json"
    )
    assert code == 0
    kinds = [row["kind"] for row in json.loads(out) if row["number"] == pr.number]
    assert kinds == ["pr_opened", "pr_merged", "pr_reverted"]  # a reopen after a landing
    assert len(hub.requests) == sent


def test_activity_json_has_pr_reverted_with_the_fields_of_pr_merged(tmp_path, hub):
    config = load(write_config(tmp_path, hub.base_url, users=["alice"], repos=[REPO]))
    pr = hub.open_pr(REPO, "alice", "JSON contract")
    hub.merge_pr(REPO, pr.number, via_label=True)
    hub.revert_pr(REPO, pr.number)
    _sync(config, hub)
    with session_scope(open_database(config.database_url())) as session:
        items = contributions(session, users=["alice"], since=EPOCH, until=NOW + timedelta(days=9))
    rows = {c.kind: c.to_json() for c in items if c.number == pr.number}
    assert set(rows["pr_reverted"]) == set(rows["pr_merged"])
    assert rows["pr_reverted"]["url"] == rows["pr_merged"]["url"]
