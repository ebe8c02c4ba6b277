"""The stand-in's realism switches: each of GitHub's unkind habits, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import TLS, world_copy

from contribbot.fakehub import FakeHub
from contribbot.fakehub.realism import (
    EVENT_DELAY_MAX,
    EVENT_DELAY_MIN,
    Realism,
    event_delay,
)
from contribbot.fakehub.reverts import add_reverts

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PT = "pytorch/pytorch"
AUTH = {"Authorization": "token test-token"}


def _hub(realism: Realism) -> FakeHub:
    """The small world (the same stories, less background traffic), reverts added as the
    hub adds them to a data set it builds itself."""
    dataset = world_copy("small")
    if realism.reverts:
        add_reverts(dataset, realism.seed)
    return FakeHub(dataset, tokens={"test-token": "alice"}, realism=realism)


@pytest.fixture
def api() -> Iterator[Any]:
    """A factory: (hub, client) for a realism setting, closed at the end."""
    opened: list[tuple[FakeHub, httpx.Client]] = []

    def make(realism: Realism) -> tuple[FakeHub, httpx.Client]:
        hub = _hub(realism).start()
        client = httpx.Client(base_url=hub.base_url, headers=AUTH, verify=TLS)
        opened.append((hub, client))
        return hub, client

    yield make
    for hub, client in opened:
        client.close()
        hub.stop()


def test_switches_are_off_by_default_and_all_turns_each_on() -> None:
    assert not any(getattr(Realism(), name) for name in Realism.switches())
    assert all(getattr(Realism.all(), name) for name in Realism.switches())
    assert len(Realism.switches()) == 6
    assert Realism.only("reverts").reverts and not Realism.only("reverts").late_events
    with pytest.raises(ValueError):
        Realism.only("kindness")


# late events --------------------------------------------------------------------------


def test_event_delays_span_30_seconds_to_6_hours_and_are_seeded() -> None:
    delays = [event_delay(7, str(40_000_000_000 + n)) for n in range(3000)]
    assert min(delays) == EVENT_DELAY_MIN
    assert EVENT_DELAY_MAX - timedelta(minutes=10) < max(delays) <= EVENT_DELAY_MAX
    late = [d for d in delays if d > EVENT_DELAY_MIN]
    assert 800 < len(late) < 1200  # about one in three
    assert delays == [event_delay(7, str(40_000_000_000 + n)) for n in range(3000)]


def _event_ids(client: httpx.Client, login: str) -> list[str]:
    response = client.get(f"/users/{login}/events/public", params={"per_page": 100})
    assert response.status_code == 200
    return [e["id"] for e in response.json()]


def test_a_late_approval_appears_behind_a_newer_comment(api: Any) -> None:
    hub, client = api(Realism.only("late_events"))
    pr = hub.dataset.alice_open_prs["awaiting_review"]
    review = hub.add_review(PT, pr, "bob", "APPROVED", "LGTM")
    hub.delay_event(review.id, timedelta(hours=3))
    comment = hub.add_comment(PT, pr, "bob", "and one more thing")
    hub.delay_event(comment.id, timedelta(seconds=30))
    hub.advance(timedelta(minutes=1))
    first = _event_ids(client, "bob")
    assert str(40_000_000_000 + comment.id) == first[0]
    assert str(40_000_000_000 + review.id) not in first
    hub.advance(timedelta(hours=3))
    second = _event_ids(client, "bob")
    # the approval is older, so it shows up *behind* the comment already read
    assert second[:2] == [str(40_000_000_000 + comment.id), str(40_000_000_000 + review.id)]


def test_late_events_keep_only_30_days(api: Any) -> None:
    _, kind = api(Realism())
    _, real = api(Realism.only("late_events"))
    cutoff = NOW - timedelta(days=30)

    def oldest(client: httpx.Client) -> datetime:
        stamps = [
            datetime.fromisoformat(e["created_at"])
            for page in (1, 2, 3)
            for e in client.get(
                "/users/alice/events/public", params={"per_page": 100, "page": page}
            ).json()
        ]
        return min(stamps)

    assert oldest(kind) < cutoff
    assert oldest(real) >= cutoff


# incomplete search ---------------------------------------------------------------------


def _search(client: httpx.Client, q: str, page: int, per_page: int = 100) -> dict[str, Any]:
    response = client.get("/search/issues", params={"q": q, "per_page": per_page, "page": page})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_incomplete_search_pages_come_full_and_short_and_a_retry_completes(api: Any) -> None:
    hub, client = api(Realism.only("incomplete_search"))
    hub.set_rate_limit(1000, resource="search")
    seen_full = seen_short = False
    for q in ("repo:pytorch/pytorch is:pr", "repo:pytorch/pytorch is:issue", "author:alice"):
        total = None
        for page in range(1, 5):
            answers = [_search(client, q, page) for _ in range(3)]
            assert answers[-1]["incomplete_results"] is False  # never three times in a row
            complete = answers[-1]
            total = total or complete["total_count"]
            for answer in answers:
                if answer["incomplete_results"]:
                    assert answer["total_count"] < total
                    seen_full |= len(answer["items"]) == 100
                    seen_short |= len(answer["items"]) < 100
    assert seen_full and seen_short


def test_search_is_complete_when_the_switch_is_off(api: Any) -> None:
    _, client = api(Realism())
    assert not any(
        _search(client, "repo:pytorch/pytorch is:pr", page)["incomplete_results"]
        for page in range(1, 6)
    )


# rate limits ---------------------------------------------------------------------------


def test_an_exhausted_primary_limit_is_answered_with_429(api: Any) -> None:
    hub, client = api(Realism.only("primary_429"))
    hub.set_rate_limit(2)
    assert [client.get("/repos/pytorch/pytorch").status_code for _ in range(2)] == [200, 200]
    spent = client.get("/repos/pytorch/pytorch")
    assert spent.status_code == 429
    assert spent.headers["x-ratelimit-remaining"] == "0"
    assert "retry-after" not in spent.headers
    assert spent.json()["message"].startswith("API rate limit exceeded")


def test_secondary_limits_come_without_retry_after_and_pass_on_the_next_try(api: Any) -> None:
    hub, client = api(Realism.only("secondary_no_retry_after"))
    statuses = [client.get("/repos/pytorch/pytorch").status_code for _ in range(80)]
    tripped = [n for n, s in enumerate(statuses) if s != 200]
    assert tripped == [36, 73]
    assert {statuses[n] for n in tripped} == {403, 429}
    hub.inject("/repos/", "secondary", retry_after=None)
    response = client.get("/repos/pytorch/pytorch")
    assert response.status_code == 403
    assert "retry-after" not in response.headers
    assert "secondary rate limit" in response.json()["message"]
    assert set(response.json()) == {"message", "documentation_url"}


# reverts -------------------------------------------------------------------------------


def _timeline(client: httpx.Client, number: int) -> list[dict[str, Any]]:
    response = client.get(f"/repos/{PT}/issues/{number}/timeline", params={"per_page": 100})
    assert response.status_code == 200
    return [e for e in response.json() if e["event"] in ("labeled", "closed", "reopened")]


def _story(entries: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return [(e["event"], e.get("label", {}).get("name"), e["actor"]["login"]) for e in entries]


def test_the_data_set_holds_reverted_and_relanded_prs(api: Any) -> None:
    hub, client = api(Realism.only("reverts"))
    prs = [i for i in hub.dataset.repos[PT].issues.values() if "Reverted" in i.labels]
    relanded = [pr for pr in prs if pr.state == "closed"]
    still_open = [pr for pr in prs if pr.state == "open"]
    assert relanded and still_open
    assert any(pr.user == "alice" for pr in prs)
    bot = "pytorchmergebot"
    for pr in relanded[:3]:
        assert {"Merged", "Reverted"} <= set(pr.labels)
        story = _story(_timeline(client, pr.number))
        assert story[-4:] == [
            ("closed", None, bot),
            ("labeled", "Reverted", bot),
            ("reopened", None, bot),
            ("closed", None, bot),
        ]
    entries = _timeline(client, still_open[0].number)
    assert _story(entries)[-2:] == [("labeled", "Reverted", bot), ("reopened", None, bot)]
    assert entries[-1]["created_at"] == entries[-2]["created_at"]
    issue = client.get(f"/repos/{PT}/issues/{still_open[0].number}").json()
    assert issue["state"] == "open" and issue["closed_at"] is None
    assert {"Merged", "Reverted"} <= {label["name"] for label in issue["labels"]}


def test_revert_and_reland_mutations_write_the_timeline(api: Any) -> None:
    hub, client = api(Realism())
    pr = hub.open_pr(PT, "alice", "Fix a thing")
    hub.merge_pr(PT, pr.number, via_label=True)
    hub.revert_pr(PT, pr.number)
    assert pr.state == "open" and {"Merged", "Reverted"} <= set(pr.labels)
    hub.reland_pr(PT, pr.number)
    assert pr.state == "closed"
    entries = _timeline(client, pr.number)
    assert [e["event"] for e in entries] == ["labeled", "closed", "labeled", "reopened", "closed"]
    times = [e["created_at"] for e in entries]
    assert times == sorted(times) and times[2] == times[3] < times[4]
    with pytest.raises(ValueError):
        hub.reland_pr(PT, pr.number)  # not open
    with pytest.raises(ValueError):
        hub.revert_pr(PT, hub.open_pr(PT, "alice", "open").number)  # not landed


# reactions -----------------------------------------------------------------------------


def _page(client: httpx.Client, etag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag else {}
    since = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.get(
        f"/repos/{PT}/issues",
        params={"since": since, "state": "all", "per_page": 100},
        headers=headers,
    )


def test_reactions_change_the_etag_but_not_updated_at(api: Any) -> None:
    hub, client = api(Realism())
    first = _page(client)
    assert _page(client, first.headers["ETag"]).status_code == 304
    number = first.json()[0]["number"]
    hub.react(PT, number, "rocket")
    second = _page(client, first.headers["ETag"])
    assert second.status_code == 200
    assert [i["updated_at"] for i in second.json()] == [i["updated_at"] for i in first.json()]
    assert second.json()[0]["reactions"]["rocket"] == 1
    assert second.json()[0]["reactions"]["total_count"] == 1


def test_reaction_churn_makes_a_busy_repo_never_idle(api: Any) -> None:
    hub, client = api(Realism.only("reaction_churn"))
    etag = _page(client).headers["ETag"]
    changed = 0
    for _ in range(4):
        hub.advance(timedelta(minutes=15))
        response = _page(client, etag)
        changed += response.status_code == 200
        etag = response.headers["ETag"]
    assert changed >= 3
    _, quiet = api(Realism())
    etag = _page(quiet).headers["ETag"]
    assert _page(quiet, etag).status_code == 304
