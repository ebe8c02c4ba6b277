"""GraphQL's ids against REST's: a PR's GraphQL database id is the pulls API's id, never the
issues API's that REST's /issues, /search/issues and the streams give it. A first sync over
GraphQL, then REST polls that see the user's older PRs change, must end with every item
stored once under its (repo, number), keyed on REST's issue id, the polls' checkpoints
moving on, and recall = precision = 1 against the data set's truth."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from conftest import TLS, TOKEN, world_copy, write_config
from sqlmodel import col, select
from test_sync_truth import PT, USERS, World

from contribbot.fakehub import FakeHub
from contribbot.fakehub.model import Issue as HubIssue
from contribbot.store.db import session_scope
from contribbot.store.models import Issue, Repository, Review, SyncState


def _older_prs(hub: FakeHub, user: str, count: int) -> list[HubIssue]:
    prs = [p for p in hub.dataset.repos[PT].issues.values() if p.is_pr and p.user == user]
    return sorted((p for p in prs if p.state == "open"), key=lambda p: p.number)[:count]


def _stored(world: World, number: int) -> tuple[int, int]:
    """(the row's id, how many reviews hang under it) of PT#number."""
    with session_scope(world.engine) as session:
        repo = session.exec(select(Repository).where(Repository.full_name == PT)).one()
        rows = session.exec(
            select(Issue).where(Issue.repo_id == repo.id, Issue.number == number)
        ).all()
        assert len(rows) == 1, rows
        reviews = session.exec(select(Review).where(col(Review.pr_id) == rows[0].id)).all()
        return rows[0].id, len(reviews)


def _checkpoint(world: World) -> str | None:
    with session_scope(world.engine) as session:
        row = session.get(SyncState, f"stream:{PT}:issues")
        return row.value if row is not None else None


def test_graphql_history_then_rest_polls_of_older_prs(tmp_path: Path) -> None:
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as hub:
        hub.set_rate_limit(1000, window_s=60, resource="search")
        world = World(hub, write_config(tmp_path, hub.base_url, users=list(USERS), graphql="true"))
        world.poll()  # the history over GraphQL
        world.check("first sync (GraphQL)")
        assert sum(r.path == "/graphql" for r in hub.requests) > 0
        commented, reviewed, merged = _older_prs(hub, "alice", 3)
        assert _stored(world, reviewed.number)[0] != reviewed.id  # not REST's id yet
        with httpx.Client(
            base_url=hub.base_url, headers={"Authorization": f"token {TOKEN}"}, verify=TLS
        ) as c:
            pull = c.get(f"/repos/{PT}/pulls/{reviewed.number}").json()
            issue = c.get(f"/repos/{PT}/issues/{reviewed.number}").json()
        assert pull["id"] != issue["id"] == reviewed.id  # GitHub's two ids of one PR

        hub.advance(timedelta(minutes=20))
        before = _checkpoint(world)
        hub.add_comment(PT, commented.number, "bob", "Could you rebase?")
        hub.add_review(PT, reviewed.number, "bob", "APPROVED", "LGTM")
        hub.merge_pr(PT, merged.number, via_label=True)
        hub.advance(timedelta(minutes=2))
        world.poll()  # REST: /issues?since= sees the three PRs change
        world.check("after a REST poll of older PRs")
        assert _checkpoint(world) != before  # the stream moved on

        for pr in (commented, reviewed, merged):
            ident, reviews = _stored(world, pr.number)
            visible = [r for r in pr.reviews if r.submitted_at is not None]
            assert (ident, reviews) == (pr.id, len(visible))  # re-keyed, nothing lost or doubled

        hub.advance(timedelta(minutes=30))
        hub.add_comment(PT, reviewed.number, "carol", "Merging soon")
        world.poll()
        world.check("after another poll")
