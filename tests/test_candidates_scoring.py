"""Ranking and cohort split of good-first issues (contribbot.candidates.scoring)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from contribbot.candidates.model import (
    Availability,
    Candidate,
    CandidateIssue,
    PastPR,
    Profile,
    PullRef,
    RepoStats,
    Scored,
    TimelineEntry,
    candidate_to_json,
)
from contribbot.candidates.scoring import (
    STALE_CLAIM_PENALTY,
    assign_cohort,
    evaluate,
    mentioned_paths,
    score,
    sort_candidates,
    visible_to,
)

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
REPO = "pytorch/pytorch"
WEIGHTS = {"good first issue": 1.0, "module: bootcamp": 0.8, "actionable": 0.5}
FREE = Availability(status="free")


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def make_issue(number: int = 1, **overrides: Any) -> CandidateIssue:
    fields: dict[str, Any] = {
        "repo": REPO,
        "number": number,
        "title": "A beginner task",
        "url": f"https://github.com/{REPO}/issues/{number}",
        "created_at": ago(10),
        "updated_at": ago(1),
        "labels": ("good first issue",),
        "labeled_at": ago(3),
    }
    fields.update(overrides)
    return CandidateIssue(**fields)


NN_ISSUE = make_issue(
    100,
    title="torch.nn.functional.pad gives a confusing error",
    body="The check lives in torch/nn/functional.py, see `_pad`.",
    labels=("good first issue", "module: nn", "triaged"),
)
DOCS_ISSUE = make_issue(
    200,
    title="Fix broken links in the CUDA notes",
    body="See https://github.com/pytorch/pytorch/blob/main/docs/source/notes/cuda.rst#L10",
    labels=("good first issue", "module: docs", "triaged"),
)
NN_PERSON = Profile(
    login="nina",
    prs=(
        PastPR(REPO, 101, ("module: nn", "open source"), ("torch/nn/modules/conv.py",)),
        PastPR(REPO, 130, ("triaged",), ("torch/nn/functional.py", "test/test_nn.py")),
    ),
)
DOCS_PERSON = Profile(
    login="dora",
    prs=(
        PastPR(REPO, 7, ("module: docs", "triaged"), ("docs/source/index.rst",)),
        PastPR(REPO, 9, ("module: docs",), ("docs/source/notes/autograd.rst",)),
    ),
)


def rank(issue: CandidateIssue, profile: Profile, **kw: Any) -> Scored:
    args: dict[str, Any] = {
        "timeline": [],
        "availability": FREE,
        "repo_stats": None,
        "now": NOW,
        "label_weights": WEIGHTS,
    }
    args.update(kw)
    return score(issue, profile=profile, **args)


def commenters(*logins: str) -> list[TimelineEntry]:
    return [TimelineEntry(event="commented", actor=a, at=ago(1), body="hm") for a in logins]


# --- fit with the user's own work ---------------------------------------------------------


def test_each_person_ranks_the_issue_in_their_own_area_first() -> None:
    nn_for_nina, docs_for_nina = rank(NN_ISSUE, NN_PERSON), rank(DOCS_ISSUE, NN_PERSON)
    nn_for_dora, docs_for_dora = rank(NN_ISSUE, DOCS_PERSON), rank(DOCS_ISSUE, DOCS_PERSON)
    assert nn_for_nina.score > docs_for_nina.score
    assert docs_for_dora.score > nn_for_dora.score
    assert nn_for_nina.reasons[0] == "you touched torch/nn in #101 and #130"
    assert docs_for_dora.reasons[:2] == (
        "you touched docs/source in #7 and #9",
        "you worked on module: docs in #7 and #9",
    )
    assert not any(r.startswith("you ") for r in docs_for_nina.reasons)


def test_label_fit_lists_a_few_prs_and_counts_the_rest() -> None:
    profile = Profile("nina", tuple(PastPR(REPO, n, ("module: nn",)) for n in (40, 12, 77, 61, 90)))
    result = rank(NN_ISSUE, profile)
    assert "you worked on module: nn in #12, #40 and 3 more" in result.reasons
    assert result.fit == 1.0


def test_the_deepest_shared_folder_is_named_when_it_is_as_well_backed() -> None:
    profile = Profile("nina", (PastPR(REPO, 5, (), ("torch/nn/functional.py",)),))
    assert rank(NN_ISSUE, profile).reasons[0] == "you touched torch/nn/functional in #5"


def test_paths_in_a_stack_trace_match_from_where_the_users_path_starts() -> None:
    trace = 'File "/opt/conda/lib/python3.11/site-packages/torch/nn/modules/module.py", line 3'
    issue = make_issue(body=f"Traceback:\n{trace}")
    assert rank(issue, NN_PERSON).reasons[0] == "you touched torch/nn in #101 and #130"


def test_generic_and_beginner_labels_and_other_repos_give_no_fit() -> None:
    profile = Profile(
        "nina",
        (
            PastPR(REPO, 1, ("triaged", "good first issue"), ("torch/_tensor.py",)),
            PastPR("pytorch/vision", 2, ("module: nn",), ("torch/nn/functional.py",)),
        ),
    )
    result = rank(NN_ISSUE, profile)
    assert result.fit == 0.0
    assert not any(r.startswith("you ") for r in result.reasons)


def test_more_matching_prs_mean_a_better_fit() -> None:
    one = Profile("a", (PastPR(REPO, 1, ("module: nn",)),))
    two = Profile("b", (PastPR(REPO, 1, ("module: nn",)), PastPR(REPO, 2, ("module: nn",))))
    assert 0 < rank(NN_ISSUE, one).fit < rank(NN_ISSUE, two).fit


def test_mentioned_paths_reads_paths_dotted_names_and_links() -> None:
    text = (
        "torch.nn.functional.relu fails; see torch/nn/functional.py and "
        "[docs](https://github.com/pytorch/pytorch/blob/main/docs/source/notes/cuda.rst#L12) "
        "and https://pytorch.org/docs/stable/generated/torch.nn.Linear.html, version 2.1.0"
    )
    found = mentioned_paths(text)
    assert {
        ("torch", "nn", "functional", "relu"),
        ("torch", "nn", "functional"),
        ("docs", "source", "notes", "cuda"),
        ("torch", "nn", "Linear"),
    } <= found
    assert not any(part in {"2", "1", "0", "pytorch.org"} for p in found for part in p)


# --- the other components ------------------------------------------------------------------


def test_freshly_labelled_issue_ranks_higher() -> None:
    new, old = make_issue(labeled_at=ago(3)), make_issue(labeled_at=ago(90))
    assert rank(new, NN_PERSON).score > rank(old, NN_PERSON).score
    assert "labelled 3 days ago" in rank(new, NN_PERSON).reasons
    assert "opened 10 days ago" in rank(make_issue(labeled_at=None), NN_PERSON).reasons


def test_crowded_issue_ranks_lower_and_says_how_crowded() -> None:
    quiet = rank(make_issue(), NN_PERSON)
    crowded = rank(
        make_issue(),
        NN_PERSON,
        timeline=commenters("a", "b", "B", "c", "d", "pytorch-bot[bot]", "facebook-github-bot"),
    )
    assert "no one has commented" in quiet.reasons
    assert "4 people commented" in crowded.reasons
    assert quiet.score > crowded.score


def test_comment_count_stands_in_when_the_timeline_is_missing() -> None:
    result = rank(make_issue(comments=3), NN_PERSON)
    assert "3 comments" in result.reasons
    assert result.score < rank(make_issue(), NN_PERSON).score


def test_fast_maintainers_rank_higher_and_say_so() -> None:
    fast = rank(make_issue(), NN_PERSON, repo_stats=RepoStats(REPO, 20.4))
    slow = rank(make_issue(), NN_PERSON, repo_stats=RepoStats(REPO, 24 * 9))
    unknown = rank(make_issue(), NN_PERSON, repo_stats=RepoStats(REPO, None))
    assert "maintainers here first answer within ~20 h" in fast.reasons
    assert "maintainers here first answer within ~9 days" in slow.reasons
    assert fast.score > unknown.score > slow.score
    assert not any("maintainers" in r for r in unknown.reasons)


def test_label_weight_counts_and_names_the_beginner_labels() -> None:
    gfi = rank(make_issue(labels=("good first issue", "actionable")), NN_PERSON)
    actionable = rank(make_issue(labels=("actionable",)), NN_PERSON)
    assert gfi.score > actionable.score
    assert "marked good first issue and actionable" in gfi.reasons
    assert "marked actionable" in actionable.reasons


def test_stale_claim_costs_a_small_penalty_and_asks_politely() -> None:
    stale = Availability(status="stale_claim", taken_by="zed")
    free, old = rank(NN_ISSUE, NN_PERSON), rank(NN_ISSUE, NN_PERSON, availability=stale)
    assert free.score - old.score == pytest.approx(STALE_CLAIM_PENALTY, abs=0.011)
    assert "claimed before: ask politely first" in old.reasons
    assert not any("politely" in r for r in free.reasons)


def test_score_is_in_range_and_rounded() -> None:
    best = make_issue(labeled_at=NOW, title="torch/nn/functional.py", labels=("good first issue",))
    crowd = commenters(*(f"p{i}" for i in range(40)))
    for issue, timeline in ((best, []), (make_issue(labeled_at=ago(900)), crowd)):
        result = rank(issue, NN_PERSON, timeline=timeline, repo_stats=RepoStats(REPO, 1.0))
        assert 0.0 <= result.score <= 1.0
        assert result.score == round(result.score, 2)


# --- candidates, JSON and the cohort split ------------------------------------------------


def candidate(user: str, number: int, fit: float, score: float, status: Any = "free") -> Candidate:
    return Candidate(
        user=user,
        repo=REPO,
        number=number,
        title="t",
        url="u",
        status=status,
        score=score,
        fit=fit,
    )


def test_evaluate_and_json_contract() -> None:
    timeline = [
        TimelineEntry(
            event="cross-referenced",
            actor="bob",
            at=ago(4),
            source_repo=REPO,
            source_number=4300,
            source_author="bob",
            source_state="open",
            source_updated_at=ago(2),
            source_url=f"https://github.com/{REPO}/pull/4300",
        )
    ]
    first_seen = datetime(2026, 11, 2, 9, tzinfo=UTC)
    c = evaluate(
        NN_ISSUE,
        timeline,
        profile=NN_PERSON,
        now=NOW,
        label_weights=WEIGHTS,
        first_seen=first_seen,
    )
    out = candidate_to_json(c)
    assert json.loads(json.dumps(out)) == out
    assert list(out)[:12] == [
        "repo", "number", "title", "url", "labels", "status", "score",
        "reasons", "taken_by", "pr", "first_seen", "user",
    ]  # fmt: skip
    assert (out["status"], out["taken_by"], out["user"]) == ("taken", "bob", "nina")
    assert out["reasons"][0] == "PR #4300 by @bob, open, updated 2 days ago"
    assert "you touched torch/nn in #101 and #130" in out["reasons"]
    assert out["pr"] == 4300  # the contract: the PR's number
    assert out["pr_url"] == f"https://github.com/{REPO}/pull/4300"
    assert "new" not in out
    assert candidate_to_json(c, new=True)["new"] is True
    assert out["first_seen"] == "2026-11-02T09:00:00Z"
    assert out["labels"] == ["good first issue", "module: nn", "triaged"]


def test_json_times_are_utc_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    c = candidate("nina", 5, 0.2, 0.5)
    out = candidate_to_json(replace(c, first_seen=datetime(2026, 11, 2, 10, tzinfo=paris)))
    assert out["first_seen"] == "2026-11-02T09:00:00Z"


def test_free_candidate_json_has_nulls() -> None:
    out = candidate_to_json(candidate("nina", 5, 0.2, 0.5))
    assert (out["taken_by"], out["pr"], out["first_seen"]) == (None, None, None)


def test_cohort_gives_a_shared_issue_to_the_best_fit() -> None:
    ranked = {
        "nina": [candidate("nina", 100, 0.67, 0.70), candidate("nina", 200, 0.0, 0.60)],
        "dora": [candidate("dora", 100, 0.0, 0.80), candidate("dora", 200, 0.67, 0.75)],
    }
    owners = assign_cohort(ranked)
    assert owners == {(REPO, 100): "nina", (REPO, 200): "dora"}
    assert [c.number for c in visible_to("nina", ranked["nina"], owners)] == [100]
    shown = visible_to("nina", ranked["nina"], owners, show_all=True)
    assert [c.number for c in shown] == [100, 200]


def test_cohort_ties_break_on_score_then_login() -> None:
    by_score = {"b": [candidate("b", 1, 0.5, 0.9)], "a": [candidate("a", 1, 0.5, 0.8)]}
    by_login = {"b": [candidate("b", 1, 0.5, 0.8)], "a": [candidate("a", 1, 0.5, 0.8)]}
    assert assign_cohort(by_score) == {(REPO, 1): "b"}
    assert assign_cohort(by_login) == {(REPO, 1): "a"}


def test_cohort_keeps_an_issue_with_its_holder_and_skips_taken_ones() -> None:
    ranked = {
        "nina": [candidate("nina", 1, 1.0, 0.9), candidate("nina", 2, 1.0, 0.9, "taken")],
        "dora": [candidate("dora", 1, 0.0, 0.1, "mine")],
    }
    assert assign_cohort(ranked) == {(REPO, 1): "dora"}


def test_sort_puts_own_issues_first_then_free_by_score() -> None:
    cands = [
        candidate("n", 1, 0, 0.9, "taken"),
        candidate("n", 2, 0, 0.4, "free"),
        candidate("n", 3, 0, 0.8, "stale_claim"),
        candidate("n", 4, 0, 0.7, "free"),
        candidate("n", 5, 0, 0.1, "mine"),
    ]
    assert [c.number for c in sort_candidates(cands)] == [5, 4, 2, 3, 1]


def test_pull_ref_names_other_repos() -> None:
    ref = PullRef("pytorch/vision", 3, "bob", "open", False, NOW)
    assert (ref.ref("pytorch/vision"), ref.ref(REPO)) == ("#3", "pytorch/vision#3")
