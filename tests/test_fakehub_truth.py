"""The ground-truth oracle (contribbot.fakehub.truth), checked on hand-made histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import world_copy

from contribbot.fakehub import FakeHub
from contribbot.fakehub.realism import Realism
from contribbot.fakehub.reverts import add_reverts
from contribbot.fakehub.truth import Fact, expected_contributions, recall_precision

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PT = "pytorch/pytorch"


def _kinds(facts: set[Fact], number: int) -> list[tuple[str, datetime]]:
    return sorted(((f.kind, f.at) for f in facts if f.number == number), key=lambda x: x[1])


def test_a_pr_landed_reverted_and_relanded_counts_each_step() -> None:
    hub = FakeHub(world_copy("small"), tokens={})
    pr = hub.open_pr(PT, "alice", "Fix a thing")
    hub.merge_pr(PT, pr.number, via_label=True)
    landed = pr.closed_at
    hub.revert_pr(PT, pr.number)
    reverted = pr.timeline[-1].created_at
    hub.reland_pr(PT, pr.number)
    relanded = pr.closed_at
    facts = expected_contributions(hub.dataset, ["alice"])
    assert _kinds(facts, pr.number) == [
        ("pr_opened", pr.created_at),
        ("pr_merged", landed),
        ("pr_reverted", reverted),
        ("pr_merged", relanded),
    ]


def test_a_reverted_pr_left_open_and_a_closed_unmerged_one() -> None:
    hub = FakeHub(world_copy("small"), tokens={})
    reverted = hub.open_pr(PT, "alice", "Reverted for good")
    hub.merge_pr(PT, reverted.number, via_label=True)
    hub.revert_pr(PT, reverted.number)
    closed = hub.open_pr(PT, "alice", "Not wanted")
    hub.close_issue(PT, closed.number)
    github_merge = hub.open_pr(PT, "alice", "Merged by GitHub")
    hub.merge_pr(PT, github_merge.number, via_label=False)
    facts = expected_contributions(hub.dataset, ["alice"])
    assert [k for k, _ in _kinds(facts, reverted.number)] == [
        "pr_opened",
        "pr_merged",
        "pr_reverted",
    ]
    assert [k for k, _ in _kinds(facts, closed.number)] == ["pr_opened", "pr_closed"]
    assert _kinds(facts, github_merge.number)[1] == ("pr_merged", github_merge.merged_at)


def test_reviews_comments_and_issues_follow_the_readme() -> None:
    hub = FakeHub(world_copy("small"), tokens={})
    pr = hub.open_pr(PT, "bob", "Bob's PR")
    hub.add_review(PT, pr.number, "alice", "APPROVED")
    hub.add_review(PT, pr.number, "alice", "PENDING")  # a draft: not a contribution
    own = hub.open_pr(PT, "alice", "Alice's PR")
    hub.add_review(PT, own.number, "alice", "COMMENTED")  # on her own PR: not a review
    hub.add_comment(PT, own.number, "alice", "self-reply counts as a comment")
    issue = hub.open_issue(PT, "alice", "A bug")
    hub.close_issue(PT, issue.number)
    facts = expected_contributions(hub.dataset, ["alice"])
    assert [k for k, _ in _kinds(facts, pr.number)] == ["review"]
    assert [k for k, _ in _kinds(facts, own.number)] == ["pr_opened", "comment"]
    assert [k for k, _ in _kinds(facts, issue.number)] == ["issue_opened", "issue_closed"]
    assert not expected_contributions(hub.dataset, ["nobody"])


def test_the_seeded_reverts_are_in_the_truth() -> None:
    ds = world_copy()
    before = expected_contributions(ds, ["alice", "bob", "carol"])
    touched = add_reverts(ds, Realism.all().seed)
    after = expected_contributions(ds, ["alice", "bob", "carol"])
    mine = [pr for pr in touched if pr.user in ("alice", "bob", "carol")]
    assert mine, "the tracked users have reverted PRs too"
    assert {f.kind for f in after - before} <= {"pr_reverted", "pr_merged"}
    reverts = [f for f in after if f.kind == "pr_reverted"]
    assert len(reverts) == len(mine)


def test_recall_and_precision() -> None:
    a = Fact("comment", "alice", PT, 1, NOW)
    b = Fact("comment", "alice", PT, 2, NOW + timedelta(1))
    assert recall_precision({a, b}, {a, b}) == (1.0, 1.0)
    assert recall_precision({a}, {a, b}) == (0.5, 1.0)
    assert recall_precision({a, b}, {a}) == (1.0, 0.5)
