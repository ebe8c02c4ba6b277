"""Availability of good-first issues (contribbot.candidates.rules) and timeline parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contribbot.candidates.comments import find_phrase, visible_lines
from contribbot.candidates.model import (
    Availability,
    CandidateIssue,
    Rules,
    TimelineEntry,
    timeline_entry_from_json,
)
from contribbot.candidates.rules import assess

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
REPO = "pytorch/pytorch"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def make_issue(**overrides: Any) -> CandidateIssue:
    fields: dict[str, Any] = {
        "repo": REPO,
        "number": 4242,
        "title": "Improve the error message of torch.nn.functional.pad",
        "url": f"https://github.com/{REPO}/issues/4242",
        "created_at": ago(20),
        "updated_at": ago(1),
        "labels": ("good first issue", "module: nn"),
        "author": "reporter",
    }
    fields.update(overrides)
    return CandidateIssue(**fields)


def comment(actor: str, body: str, days: float, association: str = "NONE") -> TimelineEntry:
    return TimelineEntry(
        event="commented", actor=actor, at=ago(days), body=body, author_association=association
    )


def pr_mention(
    number: int,
    author: str,
    updated_days: float,
    *,
    state: str = "open",
    merged: bool = False,
    mentioned_days: float | None = None,
    repo: str = REPO,
) -> TimelineEntry:
    return TimelineEntry(
        event="cross-referenced",
        actor=author,
        at=ago(updated_days if mentioned_days is None else mentioned_days),
        source_repo=repo,
        source_number=number,
        source_author=author,
        source_state=state,
        source_merged=merged,
        source_updated_at=ago(updated_days),
    )


def check(*timeline: TimelineEntry, user: str = "alice", **issue: Any) -> Availability:
    return assess(make_issue(**issue), list(timeline), user, NOW, Rules())


# --- free and taken ---------------------------------------------------------------------


def test_no_activity_is_free_with_no_reasons() -> None:
    result = check()
    assert (result.status, result.taken_by, result.pr, result.reasons) == ("free", None, None, ())
    assert result.taken_at is None


def test_fresh_open_pr_by_someone_else_takes_it() -> None:
    result = check(pr_mention(1234, "bob", updated_days=2, mentioned_days=5))
    assert result.status == "taken"
    assert result.taken_by == "bob"
    assert result.pr is not None and result.pr.number == 1234
    assert result.reasons == ("PR #1234 by @bob, open, updated 2 days ago",)
    assert result.taken_at == ago(5)  # the moment the PR first mentioned the issue


def test_earliest_fresh_rival_pr_holds_it() -> None:
    result = check(
        pr_mention(60, "bob", updated_days=9, mentioned_days=12),
        pr_mention(61, "carl", updated_days=1, mentioned_days=3),
    )
    assert result.taken_by == "bob"
    assert result.taken_at == ago(12)
    assert len(result.reasons) == 2


def test_pr_from_another_repo_names_its_repo() -> None:
    result = check(pr_mention(12, "bob", updated_days=1, repo="pytorch/vision"))
    assert result.reasons == ("PR pytorch/vision#12 by @bob, open, updated 1 day ago",)
    assert result.pr is not None and result.pr.url == "https://github.com/pytorch/vision/pull/12"


def test_closed_pr_does_not_take_it_but_is_noted() -> None:
    result = check(pr_mention(77, "carl", updated_days=3, state="closed"))
    assert result.status == "free"
    assert result.reasons == ("PR #77 by @carl was closed without merging (3 days ago)",)


def test_merged_pr_on_an_open_issue_does_not_take_it() -> None:
    result = check(pr_mention(78, "carl", updated_days=4, state="closed", merged=True))
    assert result.status == "free"
    assert result.reasons == ("PR #78 by @carl was merged (4 days ago)",)


def test_pr_older_than_the_window_is_a_stale_claim() -> None:
    result = check(pr_mention(1234, "bob", updated_days=45))
    assert result.status == "stale_claim"
    assert result.taken_by == "bob"
    assert result.reasons == (
        "PR #1234 by @bob, open, last updated 45 days ago with nothing since: "
        "ask politely before starting",
    )


def test_old_pr_whose_author_spoke_recently_still_takes_it() -> None:
    result = check(
        pr_mention(1234, "bob", updated_days=45),
        comment("bob", "Still on it, fixing the tests this week.", days=3),
    )
    assert result.status == "taken"
    assert result.taken_by == "bob"


def test_same_pr_mentioned_twice_is_one_pr_with_first_mention_time() -> None:
    result = check(
        pr_mention(1234, "bob", updated_days=2, mentioned_days=9),
        pr_mention(1234, "bob", updated_days=2, mentioned_days=2),
    )
    assert result.reasons == ("PR #1234 by @bob, open, updated 2 days ago",)
    assert result.taken_at == ago(9)


def test_fresh_claim_takes_it_and_quotes_the_comment() -> None:
    result = check(comment("dan", "I'd like to work on this!", days=3))
    assert result.status == "taken"
    assert result.taken_by == "dan"
    assert result.reasons == ("claimed by @dan 3 days ago: “I'd like to work on this!”",)
    assert result.taken_at == ago(3)


def test_claim_quote_is_one_short_line() -> None:
    body = "Hi!\n\nCan I work on this? " + "I have read the contributing guide and " * 5
    result = check(comment("dan", body, days=1))
    quoted = result.reasons[0].split("“")[1].rstrip("”")
    assert quoted.startswith("Can I work on this?")
    assert len(quoted) <= 60 and quoted.endswith("…")


def test_claim_quote_drops_control_characters() -> None:
    result = check(comment("dan", "I'd like to work on this\x1b[2J\x07", days=1))
    assert result.reasons == ("claimed by @dan 1 day ago: “I'd like to work on this[2J”",)


def test_curly_apostrophe_claim_is_detected() -> None:
    assert check(comment("dan", "I’d love to work on this one", days=1)).status == "taken"


def test_assigned_to_someone_else_is_taken() -> None:
    assignment = TimelineEntry(event="assigned", actor="maint", at=ago(6), assignee="eve")
    result = check(assignment, assignees=("eve",))
    assert result.status == "taken"
    assert result.taken_by == "eve"
    assert result.reasons == ("assigned to @eve",)
    assert result.taken_at == ago(6)


def test_closed_issue_is_taken() -> None:
    closing = TimelineEntry(event="closed", actor="maint", at=ago(2))
    result = check(closing, state="closed")
    assert (result.status, result.reasons, result.taken_at) == (
        "taken",
        ("the issue is closed",),
        ago(2),
    )


# --- claims turned down, withdrawn, or not claims at all ----------------------------------


def test_claim_turned_down_by_a_maintainer_is_free() -> None:
    result = check(
        comment("dan", "Can I take this?", days=5),
        comment("maint-ada", "Sorry, we're not accepting PRs for this yet.", 4, "MEMBER"),
    )
    assert result.status == "free"
    assert result.reasons == ("claim by @dan 5 days ago was turned down by @maint-ada",)


def test_decline_before_the_claim_does_not_count() -> None:
    result = check(
        comment("maint-ada", "This is already being worked on internally.", 6, "MEMBER"),
        comment("dan", "I'd like to work on this", days=2),
    )
    assert result.status == "taken"
    assert result.taken_by == "dan"


def test_timeline_order_does_not_matter_only_times() -> None:
    decline = comment("maint-ada", "Someone is already working on it.", 6, "OWNER")
    claim = comment("dan", "I'd like to work on this", days=2)
    assert check(claim, decline).status == check(decline, claim).status == "taken"


def test_decline_addressed_to_someone_else_leaves_the_claim_alone() -> None:
    result = check(
        comment("dan", "I'd like to work on this", days=4),
        comment("bob", "Can I work on this?", days=3),
        comment(
            "maint-ada", "@bob it is already being worked on, please pick another", 2, "MEMBER"
        ),
    )
    assert result.status == "taken"
    assert result.taken_by == "dan"
    assert "claim by @bob 3 days ago was turned down by @maint-ada" in result.reasons


def test_unaddressed_decline_answers_only_claims_since_a_maintainer_last_spoke() -> None:
    result = check(
        comment("dan", "I'd like to work on this", days=6),
        comment("maint-ada", "Sounds good, go ahead!", 5, "MEMBER"),
        comment("bob", "Can I work on this?", days=3),
        comment("maint-ada", "Someone is already working on this one.", 2, "MEMBER"),
    )
    assert result.status == "taken"
    assert result.taken_by == "dan"
    assert result.reasons[-1] == "claim by @bob 3 days ago was turned down by @maint-ada"


def test_non_maintainer_cannot_turn_a_claim_down() -> None:
    result = check(
        comment("dan", "I'd like to work on this", days=4),
        comment("eve", "Someone is already working on this", 3, "CONTRIBUTOR"),
    )
    assert result.status == "taken"


def test_withdrawn_claim_is_free() -> None:
    result = check(
        comment("dan", "I'll take this", days=9),
        comment("dan", "Sorry, no time after all. Feel free to take it.", days=2),
    )
    assert result.status == "free"
    assert result.reasons == ("claim by @dan 9 days ago was withdrawn 2 days ago",)


@pytest.mark.parametrize(
    "body",
    [
        "> I'd like to work on this\n\nThe docs for this live in torch/nn.",
        "Try this:\n```\n/assign\nI am working on it\n```\n",
        "You can comment /assign to claim it.",
        "Use `i'll take` as the phrase",
        "<!-- I'd like to work on this -->Looks like a real bug.",
        "I'd like to workon this",
    ],
)
def test_text_that_is_not_a_claim(body: str) -> None:
    assert check(comment("dan", body, days=1)).status == "free"


def test_slash_command_at_line_start_is_a_claim() -> None:
    result = check(comment("dan", "Thanks!\n/assign", days=1))
    assert result.status == "taken"
    assert result.reasons == ("claimed by @dan 1 day ago: “/assign”",)


def test_maintainer_asking_if_anyone_works_on_it_is_not_a_claim() -> None:
    result = check(
        comment("maint-ada", "Is anyone working on this? If not it's open.", 1, "MEMBER")
    )
    assert result.status == "free"


def test_bot_comment_is_not_a_claim() -> None:
    assert check(comment("pytorch-bot[bot]", "/assign", days=1)).status == "free"


def test_old_claim_is_a_stale_claim() -> None:
    result = check(comment("zed", "i'd like to work on this", days=40))
    assert result.status == "stale_claim"
    assert result.taken_by == "zed"
    assert result.reasons == (
        "claimed by @zed 40 days ago with nothing since: ask politely before starting",
    )


def test_old_claim_refreshed_by_a_later_comment_still_takes_it() -> None:
    result = check(
        comment("zed", "I am working on this", days=40),
        comment("zed", "Almost done, will open the PR soon", days=2),
    )
    assert result.status == "taken"
    assert result.reasons == (
        "claimed by @zed 40 days ago: “I am working on this”, last heard from 2 days ago",
    )


def test_claiming_again_is_one_claim_heard_from_later() -> None:
    result = check(
        comment("dan", "Can I take this?", days=6),
        comment("dan", "Can I take this? Still keen", days=1),
    )
    assert result.reasons == (
        "claimed by @dan 6 days ago: “Can I take this?”, last heard from 1 day ago",
    )


def test_stale_holders_are_all_listed_most_recently_heard_first() -> None:
    result = check(
        pr_mention(1234, "bob", updated_days=45),
        comment("zed", "I'd like to work on this", days=20),
    )
    assert result.status == "stale_claim"
    assert result.taken_by == "zed"
    assert result.pr is None
    assert result.taken_at == ago(20)
    assert [r.split(" ", 3)[:3] for r in result.reasons] == [
        ["claimed", "by", "@zed"],
        ["PR", "#1234", "by"],
    ]


def test_first_fresh_claimant_holds_it() -> None:
    result = check(
        comment("dan", "Can I work on this?", days=5),
        comment("alice", "I'd like to work on this too", days=2),
    )
    assert result.status == "taken"
    assert result.taken_by == "dan"
    assert len(result.reasons) == 2


def test_windows_come_from_the_rules() -> None:
    issue = make_issue()
    claim = [comment("dan", "I'd like to work on this", days=3)]
    assert assess(issue, claim, "alice", NOW, Rules(claim_window_days=2)).status == "stale_claim"
    assert assess(issue, claim, "alice", NOW, Rules(claim_window_days=5)).status == "taken"
    pulls = [pr_mention(9, "bob", updated_days=10)]
    assert assess(issue, pulls, "alice", NOW, Rules(pr_window_days=7)).status == "stale_claim"


def test_claim_phrases_come_from_the_rules() -> None:
    rules = Rules(claim_phrases=("dibs",))
    timeline = [comment("dan", "Dibs!", days=1)]
    assert assess(make_issue(), timeline, "alice", NOW, rules).status == "taken"
    assert check(*timeline).status == "free"


# --- mine -----------------------------------------------------------------------------


def test_own_claim_is_mine() -> None:
    result = check(comment("Alice", "I'd like to work on this", days=2), user="alice")
    assert result.status == "mine"
    assert result.taken_by == "alice"
    assert result.reasons == ("you claimed it 2 days ago: “I'd like to work on this”",)


def test_own_old_claim_is_still_mine() -> None:
    result = check(comment("alice", "I'd like to work on this", days=30))
    assert result.status == "mine"
    assert result.reasons[0].endswith("with nothing since")


def test_own_claim_as_a_maintainer_still_counts() -> None:
    result = check(comment("alice", "I'll take this one", 1, "MEMBER"))
    assert result.status == "mine"


def test_own_pr_is_mine() -> None:
    result = check(pr_mention(55, "alice", updated_days=1))
    assert result.status == "mine"
    assert result.pr is not None and result.pr.number == 55
    assert result.reasons == ("your PR #55, open, updated 1 day ago",)


def test_own_pr_beats_an_earlier_claim_by_someone_else() -> None:
    result = check(comment("dan", "Can I take this?", days=6), pr_mention(55, "alice", 1))
    assert result.status == "mine"


def test_own_fresh_pr_stays_mine_but_mentions_the_rival_pr() -> None:
    result = check(pr_mention(55, "alice", 5), pr_mention(60, "bob", 1))
    assert result.status == "mine"
    assert result.reasons == (
        "your PR #55, open, updated 5 days ago",
        "PR #60 by @bob, open, updated 1 day ago",
    )


def test_own_abandoned_pr_loses_to_a_fresh_rival_pr() -> None:
    result = check(pr_mention(55, "alice", 50), pr_mention(60, "bob", 1))
    assert result.status == "taken"
    assert result.taken_by == "bob"


def test_someone_elses_fresh_pr_beats_my_claim() -> None:
    result = check(comment("alice", "I'd like to work on this", 3), pr_mention(60, "bob", 1))
    assert result.status == "taken"


def test_assigned_to_me_is_mine_and_beats_any_pr() -> None:
    result = check(pr_mention(60, "bob", 1), assignees=("ALICE",))
    assert (result.status, result.reasons) == ("mine", ("assigned to you",))


def test_assigned_to_someone_else_beats_my_pr() -> None:
    result = check(pr_mention(55, "alice", 1), assignees=("eve",))
    assert result.status == "taken"


# --- comment text -----------------------------------------------------------------------


def test_visible_lines_drop_quotes_code_and_html_comments() -> None:
    body = "hi\r\n> quoted\n```python\ncode\n```\nafter <!-- hidden --> `inline` end"
    assert visible_lines(body) == ["hi", "after   end"]


def test_find_phrase_matches_whole_words_only() -> None:
    assert find_phrase("Can I take a look?", ("can i take",)) == "Can I take a look?"
    assert find_phrase("scan i take", ("can i take",)) is None
    assert find_phrase("assign meaning", ("assign me",)) is None
    assert find_phrase("anything", ()) is None


# --- parsing GitHub's timeline JSON -------------------------------------------------------


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "User", "html_url": f"https://github.com/{login}"}


def _pr_source(
    number: int, author: str, state: str, merged_at: str | None, labels: list[str]
) -> dict[str, Any]:
    return {
        "type": "issue",
        "issue": {
            "id": 99,
            "number": number,
            "title": "Fix pad error message",
            "user": _user(author),
            "labels": [{"id": 5, "name": name, "color": "ededed"} for name in labels],
            "state": state,
            "created_at": "2026-11-01T10:00:00Z",
            "updated_at": "2026-11-08T09:30:00Z",
            "url": f"https://api.github.com/repos/pytorch/pytorch/issues/{number}",
            "html_url": f"https://github.com/pytorch/pytorch/pull/{number}",
            "repository_url": "https://api.github.com/repos/pytorch/pytorch",
            "pull_request": {
                "url": f"https://api.github.com/repos/pytorch/pytorch/pulls/{number}",
                "merged_at": merged_at,
            },
        },
    }


def test_parse_commented() -> None:
    entry = timeline_entry_from_json(
        {
            "url": "https://api.github.com/repos/pytorch/pytorch/issues/comments/1",
            "id": 1,
            "node_id": "IC_1",
            "event": "commented",
            "actor": _user("dan"),
            "user": _user("dan"),
            "created_at": "2026-11-07T12:00:00Z",
            "updated_at": "2026-11-07T12:05:00Z",
            "author_association": "FIRST_TIME_CONTRIBUTOR",
            "body": "I'd like to work on this!",
        }
    )
    assert entry == TimelineEntry(
        event="commented",
        actor="dan",
        at=datetime(2026, 11, 7, 12, tzinfo=UTC),
        body="I'd like to work on this!",
        author_association="FIRST_TIME_CONTRIBUTOR",
    )


def test_parse_cross_referenced_open_pr() -> None:
    raw = {
        "event": "cross-referenced",
        "actor": _user("bob"),
        "created_at": "2026-11-02T08:00:00Z",
        "updated_at": "2026-11-02T08:00:00Z",
        "source": _pr_source(1234, "bob", "open", None, ["open source"]),
    }
    entry = timeline_entry_from_json(raw)
    assert entry is not None and entry.is_pr_reference
    assert (entry.source_repo, entry.source_number, entry.source_author) == (REPO, 1234, "bob")
    assert (entry.source_state, entry.source_merged) == ("open", False)
    assert entry.source_updated_at == datetime(2026, 11, 8, 9, 30, tzinfo=UTC)
    assert entry.source_url == "https://github.com/pytorch/pytorch/pull/1234"
    result = assess(make_issue(), [entry], "alice", NOW)
    assert result.reasons == ("PR #1234 by @bob, open, updated 2 days ago",)


@pytest.mark.parametrize(
    ("merged_at", "labels"),
    [("2026-11-08T09:30:00Z", []), (None, ["Merged", "open source"])],
)
def test_parse_cross_referenced_merged_pr(merged_at: str | None, labels: list[str]) -> None:
    raw = {
        "event": "cross-referenced",
        "actor": _user("carl"),
        "created_at": "2026-11-02T08:00:00Z",
        "updated_at": "2026-11-02T08:00:00Z",
        "source": _pr_source(77, "carl", "closed", merged_at, labels),
    }
    entry = timeline_entry_from_json(raw)
    assert entry is not None and entry.source_merged and entry.source_state == "closed"


def test_parse_merged_labels_come_from_the_repo_config() -> None:
    raw = {
        "event": "cross-referenced",
        "actor": _user("carl"),
        "created_at": "2026-11-02T08:00:00Z",
        "source": _pr_source(77, "carl", "closed", None, ["landed"]),
    }
    default = timeline_entry_from_json(raw)
    custom = timeline_entry_from_json(raw, merged_labels=("Landed",))
    assert default is not None and not default.source_merged
    assert custom is not None and custom.source_merged


def test_parse_cross_referenced_from_an_issue_is_not_a_pr() -> None:
    source = _pr_source(5, "eve", "open", None, [])
    del source["issue"]["pull_request"]
    source["issue"]["repository_url"] = "https://api.github.com/repos/pytorch/vision"
    raw = {
        "event": "cross-referenced",
        "actor": _user("eve"),
        "created_at": "2026-11-02T08:00:00Z",
        "updated_at": "2026-11-02T08:00:00Z",
        "source": source,
    }
    entry = timeline_entry_from_json(raw)
    assert entry is not None and not entry.is_pr_reference
    assert (entry.source_repo, entry.source_updated_at) == ("pytorch/vision", None)
    assert assess(make_issue(), [entry], "alice", NOW).status == "free"


@pytest.mark.parametrize("event", ["assigned", "unassigned"])
def test_parse_assignment(event: str) -> None:
    raw = {
        "id": 3,
        "event": event,
        "actor": _user("maint-ada"),
        "assignee": _user("eve"),
        "assigner": _user("maint-ada"),
        "commit_id": None,
        "created_at": "2026-11-03T10:00:00Z",
    }
    entry = timeline_entry_from_json(raw)
    assert entry is not None
    assert (entry.event, entry.actor, entry.assignee) == (event, "maint-ada", "eve")


def test_parse_labeled_and_closed() -> None:
    labeled = timeline_entry_from_json(
        {
            "event": "labeled",
            "actor": _user("maint-ada"),
            "label": {"name": "good first issue", "color": "7057ff"},
            "created_at": "2026-11-01T09:00:00+00:00",
        }
    )
    closed = timeline_entry_from_json(
        {
            "event": "closed",
            "actor": None,
            "commit_id": None,
            "state_reason": "completed",
            "created_at": "2026-11-04T09:00:00Z",
        }
    )
    assert labeled is not None and labeled.label == "good first issue"
    assert closed is not None and (closed.event, closed.actor) == ("closed", "")


@pytest.mark.parametrize(
    "stamp", ["2026-11-01T11:00:00+02:00", "2026-11-01T09:00:00Z", "2026-11-01T09:00:00"]
)
def test_parse_times_become_utc(stamp: str) -> None:
    entry = timeline_entry_from_json({"event": "labeled", "created_at": stamp})
    assert entry is not None
    assert entry.at == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert entry.at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "raw",
    [
        {"event": "committed", "sha": "abc", "author": {"date": "2026-11-01T00:00:00Z"}},
        {"event": "commented", "created_at": "not a time"},
        {"created_at": "2026-11-01T00:00:00Z"},
        {"event": "cross-referenced", "created_at": "2026-11-01T00:00:00Z", "source": None},
        {
            "event": "cross-referenced",
            "created_at": "2026-11-01T00:00:00Z",
            "source": {"type": "issue", "issue": {"number": 5}},
        },
    ],
)
def test_parse_unusable_events_give_none(raw: dict[str, Any]) -> None:
    assert timeline_entry_from_json(raw) is None
