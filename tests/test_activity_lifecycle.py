"""The lifecycle rule, fed timelines shaped like GitHub's (GET /issues/{n}/timeline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contribbot.activity.lifecycle import Moment, label_config_key, label_matcher, lifecycle
from contribbot.github.parse import parse_lifecycle_event

BOT = "pytorchmergebot"
AUTHOR = "alice"
SHA = "4f2b7c1d9e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"


def _actor(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User"}


def _event(event_id: int, kind: str, at: str, actor: str, **extra: Any) -> dict[str, Any]:
    """A timeline issue event as GitHub serves it (issue-event-for-issue schema)."""
    return {
        "id": event_id,
        "node_id": f"LE_{event_id}",
        "url": f"https://api.github.com/repos/pytorch/pytorch/issues/events/{event_id}",
        "actor": _actor(actor),
        "event": kind,
        "commit_id": extra.pop("commit_id", None),
        "commit_url": None,
        "created_at": at,
        "performed_via_github_app": None,
        **extra,
    }


def labeled(event_id: int, at: str, name: str, actor: str = BOT) -> dict[str, Any]:
    return _event(event_id, "labeled", at, actor, label={"name": name, "color": "ededed"})


def unlabeled(event_id: int, at: str, name: str, actor: str = BOT) -> dict[str, Any]:
    return _event(event_id, "unlabeled", at, actor, label={"name": name, "color": "ededed"})


def closed(event_id: int, at: str, actor: str = BOT, commit: str | None = SHA) -> dict[str, Any]:
    return _event(event_id, "closed", at, actor, commit_id=commit, state_reason=None)


def reopened(event_id: int, at: str, actor: str = BOT) -> dict[str, Any]:
    return _event(event_id, "reopened", at, actor, state_reason="reopened")


def merged(event_id: int, at: str, actor: str = "maintainer") -> dict[str, Any]:
    return _event(event_id, "merged", at, actor, commit_id=SHA)


def noise(at: str) -> list[dict[str, Any]]:
    """Timeline items that are not lifecycle events (and have no `id` or another shape)."""
    return [
        {"event": "committed", "sha": SHA, "author": {"date": at}, "message": "fix"},
        {"event": "cross-referenced", "created_at": at, "actor": _actor("bob"), "source": {}},
        {"id": 9001, "event": "commented", "created_at": at, "actor": _actor("bob"), "body": "x"},
        {"id": 9002, "event": "reviewed", "submitted_at": at, "state": "approved", "user": {}},
    ]


def derive(
    timeline: list[dict[str, Any]],
    merged_labels: tuple[str, ...] = ("Merged",),
    reverted_labels: tuple[str, ...] = ("Reverted",),
) -> Any:
    events = [e for e in map(parse_lifecycle_event, timeline) if e is not None]
    return lifecycle(events, merged_labels=merged_labels, reverted_labels=reverted_labels)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_landed_once_close_then_label() -> None:
    result = derive(
        [
            labeled(1, "2026-11-02T09:00:00Z", "module: nn", AUTHOR),
            *noise("2026-11-03T10:00:00Z"),
            closed(2, "2026-11-04T12:00:00Z"),
            labeled(3, "2026-11-04T12:00:05Z", "Merged"),
        ]
    )
    assert result.landings == (Moment(t("2026-11-04T12:00:00Z"), BOT, by_label=True),)
    assert result.reverts == ()
    assert result.state == "landed"
    assert result.merged_at == t("2026-11-04T12:00:00Z")
    assert result.closed_unmerged_at is None


def test_landed_once_label_then_close() -> None:
    result = derive(
        [labeled(1, "2026-11-04T11:59:50Z", "merged"), closed(2, "2026-11-04T12:00:30Z")]
    )
    assert [m.at for m in result.landings] == [t("2026-11-04T12:00:30Z")]
    assert result.state == "landed"


def test_landed_reverted_relanded() -> None:
    timeline = [
        closed(1, "2026-11-04T12:00:00Z"),
        labeled(2, "2026-11-04T12:00:04Z", "Merged"),
        labeled(3, "2026-11-06T08:00:00Z", "Reverted"),  # the bot labels, then reopens
        reopened(4, "2026-11-06T08:00:03Z"),
        # re-landed: the bot's second "merged" label is a no-op, so only the close is recorded
        closed(5, "2026-11-10T15:00:00Z"),
    ]
    result = derive(timeline)
    assert [m.at for m in result.landings] == [t("2026-11-04T12:00:00Z"), t("2026-11-10T15:00:00Z")]
    assert result.reverts == (Moment(t("2026-11-06T08:00:00Z"), BOT),)
    assert result.state == "landed"
    assert result.merged_at == t("2026-11-10T15:00:00Z")


def test_second_revert_is_a_reopen_alone() -> None:
    timeline = [
        closed(1, "2026-11-04T12:00:00Z"),
        labeled(2, "2026-11-04T12:00:04Z", "Merged"),
        labeled(3, "2026-11-05T08:00:00Z", "Reverted"),
        reopened(4, "2026-11-05T08:00:03Z"),
        closed(5, "2026-11-06T15:00:00Z"),
        reopened(6, "2026-11-07T09:00:00Z"),  # "Reverted" is already on: no label event
    ]
    result = derive(timeline)
    assert len(result.landings) == 2
    assert [m.at for m in result.reverts] == [t("2026-11-05T08:00:00Z"), t("2026-11-07T09:00:00Z")]
    assert result.state == "reverted"
    assert result.reverted_at == t("2026-11-07T09:00:00Z")


def test_reverted_before_first_sync_is_open_and_reverted() -> None:
    """The whole history comes in one timeline: the landing keeps its week, the revert its own."""
    result = derive(
        [
            closed(1, "2026-10-01T12:00:00Z"),
            labeled(2, "2026-10-01T12:00:02Z", "Merged"),
            labeled(3, "2026-10-09T07:30:00Z", "Reverted"),
            reopened(4, "2026-10-09T07:30:01Z"),
        ]
    )
    assert [m.at for m in result.landings] == [t("2026-10-01T12:00:00Z")]
    assert [m.at for m in result.reverts] == [t("2026-10-09T07:30:00Z")]
    assert result.state == "reverted"
    assert result.merged_at is None
    assert result.closed_unmerged_at is None


def test_github_merge_without_label() -> None:
    result = derive(
        [merged(1, "2026-11-04T12:00:00Z"), closed(2, "2026-11-04T12:00:00Z", "maintainer")]
    )
    assert result.landings == (Moment(t("2026-11-04T12:00:00Z"), "maintainer", by_label=False),)
    assert result.state == "landed"


def test_closed_unmerged() -> None:
    result = derive([closed(1, "2026-11-04T12:00:00Z", AUTHOR, commit=None)])
    assert result.landings == ()
    assert result.state == "closed"
    assert result.closed_unmerged_at == t("2026-11-04T12:00:00Z")


def test_label_added_long_after_close_lands_at_the_close() -> None:
    result = derive(
        [
            closed(1, "2026-11-04T12:00:00Z", "maintainer", commit=None),
            labeled(2, "2026-11-20T09:00:00Z", "Merged", "maintainer"),
        ]
    )
    assert result.landings == (Moment(t("2026-11-04T12:00:00Z"), "maintainer", by_label=True),)
    assert result.state == "landed"
    assert result.closed_unmerged_at is None


def test_closed_by_the_author_after_a_revert_is_no_landing() -> None:
    """`Merged` is sticky: a plain close of a reverted PR does not land it again."""
    result = derive(
        [
            closed(1, "2026-11-04T12:00:00Z"),
            labeled(2, "2026-11-04T12:00:04Z", "Merged"),
            labeled(3, "2026-11-05T08:00:00Z", "Reverted"),
            reopened(4, "2026-11-05T08:00:03Z"),
            closed(5, "2026-11-09T10:00:00Z", AUTHOR, commit=None),
        ]
    )
    assert len(result.landings) == 1 and len(result.reverts) == 1
    assert result.state == "closed"
    assert result.closed_unmerged_at == t("2026-11-09T10:00:00Z")


def test_reopened_and_closed_before_landing_is_not_a_revert() -> None:
    result = derive(
        [
            closed(1, "2026-11-01T12:00:00Z", AUTHOR, commit=None),
            reopened(2, "2026-11-02T12:00:00Z", AUTHOR),
            closed(3, "2026-11-04T12:00:00Z"),
            labeled(4, "2026-11-04T12:00:04Z", "Merged"),
        ]
    )
    assert [m.at for m in result.landings] == [t("2026-11-04T12:00:00Z")]
    assert result.reverts == ()


def test_changed_label_rules_re_derive() -> None:
    timeline = [
        closed(1, "2026-11-04T12:00:00Z"),
        labeled(2, "2026-11-04T12:00:04Z", "Landed"),
        labeled(3, "2026-11-05T08:00:00Z", "Backed out"),
        unlabeled(4, "2026-11-05T08:00:01Z", "Landed"),
    ]
    assert derive(timeline).landings == ()  # neither label is known: closed unmerged
    result = derive(timeline, merged_labels=("landed",), reverted_labels=("backed out",))
    assert len(result.landings) == 1 and len(result.reverts) == 1
    assert result.state == "closed"  # reverted, but never reopened
    assert result.closed_unmerged_at is None  # that close was a landing, not an abandonment


def test_reopen_after_landing_is_a_revert_even_without_reverted_labels() -> None:
    timeline = [
        closed(1, "2026-11-04T12:00:00Z"),
        labeled(2, "2026-11-04T12:00:04Z", "Merged"),
        reopened(3, "2026-11-05T08:00:03Z"),
    ]
    result = derive(timeline, reverted_labels=())
    assert [m.at for m in result.reverts] == [t("2026-11-05T08:00:03Z")]


def test_the_bots_numbered_labels_match() -> None:
    assert label_matcher(["Merged"]).fullmatch("mergedX1")
    assert label_matcher(["Merged"]).fullmatch("MERGED")
    assert not label_matcher(["Merged"]).fullmatch("unmerged")
    assert not label_matcher([]).fullmatch("Merged")


def test_label_config_key() -> None:
    assert label_config_key(["Merged"], ["Reverted"]) == label_config_key(["merged"], ["REVERTED"])
    assert label_config_key(["Merged"], ["Reverted"]) != label_config_key(["Merged"], [])
    assert label_config_key(["Merged"], []) != label_config_key([], ["Merged"])


def test_parse_skips_other_timeline_items() -> None:
    assert [parse_lifecycle_event(e) for e in noise("2026-11-03T10:00:00Z")] == [None] * 4
    event = parse_lifecycle_event(labeled(7, "2026-11-04T12:00:04Z", "Merged"))
    assert event is not None and (event.label, event.actor) == ("Merged", BOT)
