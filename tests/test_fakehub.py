"""The GitHub stand-in: its data set facts, and its HTTP behaviour over real sockets."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import github
import httpx
import pytest
from conftest import TLS, world_copy

from contribbot.fakehub import FakeHub, Issue, build_dataset, user_events
from contribbot.fakehub.model import Dataset

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PT, TUT = "pytorch/pytorch", "pytorch/tutorials"
AUTH = {"Authorization": "token test-token"}
DATASET = world_copy()  # conftest keeps it pickled: a `fresh` hub copies it


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _links(response: httpx.Response) -> dict[str, str]:
    return {str(rel): str(link["url"]) for rel, link in response.links.items()}


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeHub]:
    """A hub the read-only tests share (never mutated)."""
    with FakeHub(DATASET, tokens={"test-token": "alice", "ada-token": "maint-ada"}) as hub:
        yield hub


@pytest.fixture
def fresh() -> Iterator[FakeHub]:
    """A hub of its own, for tests that change state or spend rate limit: the small world
    (the same stories, a ninth of the issues: it copies several times faster)."""
    with FakeHub(world_copy("small"), tokens={"test-token": "alice", "bob-token": "bob"}) as hub:
        yield hub


@pytest.fixture
def fresh_default() -> Iterator[FakeHub]:
    """A hub of its own on the default world, for tests that name its issues or need its size."""
    with FakeHub(world_copy(), tokens={"test-token": "alice", "bob-token": "bob"}) as hub:
        yield hub


@pytest.fixture(scope="module")
def api(shared: FakeHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared.base_url, headers=AUTH, verify=TLS) as client:
        yield client


def _all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Follow Link rel=next to the end."""
    items: list[dict[str, Any]] = []
    response = client.get(path, params={"per_page": 100, **params})
    while True:
        assert response.status_code == 200, response.text
        items += response.json()
        if "next" not in response.links:
            return items
        response = client.get(_links(response)["next"])


# data set ------------------------------------------------------------------------------


def _fingerprint(ds: Dataset) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for repo in ds.repos.values():
        for i in repo.issues.values():
            rows.append(
                (
                    i.repo,
                    i.number,
                    i.id,
                    i.user,
                    i.title,
                    i.body,
                    i.created_at,
                    i.updated_at,
                    i.state,
                    i.closed_at,
                    i.merged_at,
                    tuple(i.labels),
                    tuple(i.assignees),
                )
            )
            rows += [(c.id, c.user, c.body, c.created_at) for c in i.comments]
            rows += [(r.id, r.user, r.state, r.submitted_at) for r in i.reviews]
            rows += [(c.id, c.review_id, c.path) for c in i.review_comments]
            rows += [(e.id, e.kind, e.actor, e.created_at, e.label) for e in i.timeline]
    return rows


def test_dataset_is_deterministic() -> None:
    again = build_dataset(NOW)  # how fast: bench/, not here
    assert _fingerprint(again) == _fingerprint(DATASET)
    assert again.candidates_by_kind == DATASET.candidates_by_kind
    assert _fingerprint(build_dataset(NOW, seed=8)) != _fingerprint(DATASET)
    small = build_dataset(NOW, size="small")
    assert len(small.repos[PT].issues) < len(DATASET.repos[PT].issues) / 5
    with pytest.raises(ValueError):
        build_dataset(NOW.replace(tzinfo=None))


def test_dataset_times_are_consistent() -> None:
    latest = NOW - timedelta(minutes=10)
    for repo in DATASET.repos.values():
        numbers = sorted(repo.issues)
        assert numbers == list(range(1, len(numbers) + 1))
        created = [repo.issues[n].created_at for n in numbers]
        assert created == sorted(created), "numbers follow creation order"
        for issue in repo.issues.values():
            children: list[Any] = [
                *issue.comments,
                *issue.reviews,
                *issue.review_comments,
                *issue.timeline,
            ]
            assert all(issue.created_at <= c.created_at <= latest for c in children)
            assert issue.created_at <= issue.updated_at <= latest
            visible = [
                c.created_at
                for c in children
                if getattr(c, "submitted_at", True) and getattr(c, "review", c) is not None
            ]
            latest_child = max([issue.created_at, *visible])
            if any(r.state == "DISMISSED" for r in issue.reviews):
                assert issue.updated_at >= latest_child  # the dismissal bumped it later
            else:
                assert issue.updated_at == latest_child
            assert issue.created_at.tzinfo is UTC
            if issue.state == "closed":
                assert issue.closed_at is not None and issue.closed_at <= latest


def test_dataset_scale_and_merge_bot_quirk() -> None:
    pt = list(DATASET.repos[PT].issues.values())
    assert 2800 <= len(pt) <= 3200
    assert len({i.user for i in pt}) >= 250
    comments = Counter(c.user for i in pt for c in i.comments)
    for bot in ("pytorch-bot[bot]", "pytorchmergebot", "facebook-github-bot"):
        assert comments[bot] > 300
    closed_prs = [i for i in pt if i.is_pr and i.state == "closed"]
    by_label = [i for i in closed_prs if i.merged_by_label]
    assert all(i.merged_at is None for i in by_label)
    assert 0 < sum(i.merged for i in closed_prs) < len(by_label) / 10
    tutorials = [i for i in DATASET.repos[TUT].issues.values() if i.is_pr]
    assert 100 <= len(DATASET.repos[TUT].issues) <= 200
    assert not any(i.merged_by_label for i in tutorials) and any(i.merged for i in tutorials)


def _authored(login: str, repo: str = PT) -> list[Issue]:
    return [i for i in DATASET.repos[repo].issues.values() if i.user == login]


def test_alice_history() -> None:
    prs = [i for i in _authored("alice") if i.is_pr]
    assert len(prs) == 60
    assert sum(i.merged_by_label for i in prs) == 47
    assert sum(i.merged for i in prs) == 2
    assert sum(i.state == "closed" and not i.merged and not i.merged_by_label for i in prs) == 5
    assert sum("module: nn" in i.labels for i in prs) > 45
    assert all(
        any(f.filename.startswith("torch/nn/") for f in i.files)
        for i in prs
        if "module: nn" in i.labels
    )
    issues = [i for i in _authored("alice") if not i.is_pr]
    assert (len(issues), sum(i.state == "closed" for i in issues)) == (15, 10)
    everything = [i for r in DATASET.repos.values() for i in r.issues.values()]
    reviews = Counter(
        r.state for i in everything for r in i.reviews if r.user == "alice" and i.user != "alice"
    )
    assert reviews == {
        "APPROVED": 36,
        "CHANGES_REQUESTED": 14,
        "COMMENTED": 29,
        "DISMISSED": 1,
        "PENDING": 1,
    }
    assert sum(c.user == "alice" for i in everything for c in i.comments) == 150
    assert sum(c.user == "alice" for i in everything for c in i.review_comments) >= 10
    xss = DATASET.issue(*DATASET.landmarks["xss_pr"])
    assert xss.user == "alice" and xss.merged_by_label and "<script>" in xss.title


def test_alice_open_prs_cover_every_review_situation() -> None:
    prs = {k: DATASET.issue(PT, n) for k, n in DATASET.alice_open_prs.items()}
    assert all(p.state == "open" and p.user == "alice" for p in prs.values())
    assert sum(i.is_pr and i.state == "open" for i in _authored("alice")) == 6

    def submitted(key: str) -> list[tuple[str, str, datetime | None]]:
        return [
            (r.user, r.state, r.submitted_at)
            for r in prs[key].reviews
            if r.submitted_at is not None
        ]

    assert submitted("awaiting_review") == []
    assert NOW - prs["awaiting_review"].created_at == timedelta(days=4)
    assert [(u, s) for u, s, _ in submitted("changes_requested")] == [
        ("maint-ada", "CHANGES_REQUESTED")
    ]
    assert submitted("changes_requested")[0][2] == NOW - timedelta(days=3)
    assert [s for _, s, _ in submitted("approved")] == ["APPROVED"]
    assert prs["draft"].draft and not any(p.draft for k, p in prs.items() if k != "draft")
    replied = submitted("author_replied")
    assert [(u, s) for u, s, _ in replied] == [
        ("maint-ada", "CHANGES_REQUESTED"),
        ("alice", "COMMENTED"),
    ]
    assert any(
        c.user == "alice" and c.created_at > replied[0][2]  # type: ignore[operator]
        for c in prs["author_replied"].comments
    )
    assert NOW - prs["idle"].updated_at > timedelta(days=40)


def test_alice_busiest_week_is_recent_and_clear() -> None:
    weeks: Counter[datetime] = Counter()

    def week(at: datetime) -> datetime:
        return (at - timedelta(days=at.weekday())).replace(hour=0, minute=0, second=0)

    for repo in DATASET.repos.values():
        for issue in repo.issues.values():
            if issue.user == "alice":
                weeks[week(issue.created_at)] += 1
            weeks.update(week(c.created_at) for c in issue.comments if c.user == "alice")
            weeks.update(week(r.created_at) for r in issue.reviews if r.user == "alice")
    (top, top_count), (_, second) = weeks.most_common(2)
    assert top == DATASET.alice_busiest_week
    assert top_count >= 2 * second
    assert week(NOW) - timedelta(weeks=8) <= top < week(NOW)


def test_bob_and_carol() -> None:
    prs = [i for repo in (PT, TUT) for i in _authored("bob", repo) if i.is_pr]
    assert len(prs) == 10 and {p.repo for p in prs} == {PT, TUT}
    assert all("module: docs" in p.labels for p in prs)
    assert all(f.filename.startswith("docs/source/") for p in prs for f in p.files)
    assert min(p.created_at for p in prs) >= NOW - timedelta(days=100)
    everything = [i for r in DATASET.repos.values() for i in r.issues.values()]
    assert sum(c.user == "bob" for i in everything for c in i.comments) == 12
    assert sum(r.user == "bob" for i in everything for r in i.reviews) == 4
    assert "carol" in DATASET.accounts
    assert not any(
        i.user == "carol" or any(c.user == "carol" for c in i.comments) for i in everything
    )
    assert user_events(DATASET, "carol", NOW) == []


def _candidate(kind: str) -> Issue:
    return DATASET.issue(PT, DATASET.candidates_by_kind[kind])


def _linked_prs(issue: Issue) -> list[Issue]:
    return [e.source for e in issue.timeline if e.kind == "cross-referenced" and e.source]


def test_candidates_are_what_they_claim() -> None:
    kinds = DATASET.candidates_by_kind
    assert set(kinds) == {
        "free_nn",
        "free_docs",
        "free_quiet",
        "taken_pr",
        "taken_claim",
        "claim_declined",
        "stale_claim",
        "stale_pr",
        "assigned",
        "closed",
        "mine_alice",
        "mine_bob_pr",
    }
    for kind in kinds:
        issue = _candidate(kind)
        assert not issue.is_pr and "good first issue" in issue.labels
        assert (issue.state == "closed") == (kind == "closed")
        labeled = [e for e in issue.timeline if e.kind == "labeled"]
        assert {e.label for e in labeled} == set(issue.labels)
        assert all(issue.created_at <= e.created_at for e in labeled)
        assert bool(issue.assignees) == (kind == "assigned")
        assert bool(_linked_prs(issue)) == (kind in ("taken_pr", "stale_pr", "mine_bob_pr"))
    assert "module: nn" in _candidate("free_nn").labels
    assert "torch/nn/functional.py" in _candidate("free_nn").body
    assert "docs/source/notes" in _candidate("free_docs").body
    assert _candidate("free_quiet").comments == []
    taken = _linked_prs(_candidate("taken_pr"))[0]
    assert taken.state == "open" and taken.user not in ("alice", "bob")
    assert NOW - taken.updated_at == timedelta(days=2)
    stale = _linked_prs(_candidate("stale_pr"))[0]
    assert stale.state == "open" and NOW - stale.updated_at == timedelta(days=60)
    claim = _candidate("taken_claim").comments[-1]
    assert claim.body == "I'd like to work on this!" and NOW - claim.created_at == timedelta(days=3)
    first, reply = _candidate("claim_declined").comments[-2:]
    assert NOW - first.created_at == timedelta(days=5) and reply.created_at > first.created_at
    assert reply.user == "maint-ada" and DATASET.association(PT, reply.user) == "MEMBER"
    assert "not accepting PRs" in reply.body
    stale_claim = _candidate("stale_claim").comments
    assert [c.body for c in stale_claim] == ["can I take this?"]
    assert NOW - stale_claim[0].created_at == timedelta(days=40)
    mine = _candidate("mine_alice").comments[-1]
    assert (mine.user, mine.body, NOW - mine.created_at) == ("alice", "/take", timedelta(days=2))
    bobs = _linked_prs(_candidate("mine_bob_pr"))[0]
    assert bobs.user == "bob" and bobs.state == "open"
    help_wanted = DATASET.issue(*DATASET.landmarks["tutorials_help_wanted"])
    assert help_wanted.repo == TUT and "help wanted" in help_wanted.labels


# HTTP basics ---------------------------------------------------------------------------


def test_urls_point_at_the_server_and_html_at_github(api: httpx.Client, shared: FakeHub) -> None:
    number = DATASET.alice_open_prs["approved"]
    body = api.get(f"/repos/{PT}/issues/{number}").json()
    for key in ("url", "repository_url", "comments_url"):
        assert body[key].startswith(shared.base_url + "/repos/pytorch/pytorch")
    assert body["user"]["url"] == f"{shared.base_url}/users/alice"
    assert body["pull_request"]["url"] == f"{shared.base_url}/repos/{PT}/pulls/{number}"
    assert body["html_url"] == f"https://github.com/{PT}/pull/{number}"
    issue = DATASET.candidates_by_kind["free_quiet"]
    assert api.get(f"/repos/{PT}/issues/{issue}").json()["html_url"] == (
        f"https://github.com/{PT}/issues/{issue}"
    )


def test_auth(shared: FakeHub) -> None:
    bad = httpx.get(
        f"{shared.base_url}/repos/{PT}", headers={"Authorization": "Bearer nope"}, verify=TLS
    )
    assert bad.status_code == 401
    assert bad.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    bearer = httpx.get(
        f"{shared.base_url}/user", headers={"Authorization": "Bearer ada-token"}, verify=TLS
    )
    assert bearer.json()["login"] == "maint-ada"
    anonymous = httpx.get(f"{shared.base_url}/repos/{PT}", verify=TLS)
    assert anonymous.status_code == 200 and anonymous.headers["x-ratelimit-limit"] == "60"
    assert httpx.get(f"{shared.base_url}/user", verify=TLS).status_code == 401


def test_not_found_and_hidden_repo(fresh: FakeHub) -> None:
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        missing = client.get("/repos/pytorch/nope/issues")
        assert missing.status_code == 404
        assert missing.json()["message"] == "Not Found" and missing.json()["status"] == "404"
        assert client.get(f"/repos/{PT}/issues/999999").status_code == 404
        issue = DATASET.candidates_by_kind["free_nn"]
        assert client.get(f"/repos/{PT}/pulls/{issue}").status_code == 404
        assert client.get("/users/nobody-here").status_code == 404
        fresh.hide_repo(TUT)
        assert client.get(f"/repos/{TUT}").status_code == 404
        assert client.get(f"/repos/{TUT}/issues/1").status_code == 404
        found = client.get("/search/issues", params={"q": f"repo:{TUT}"}).json()
        assert found["total_count"] == 0
        fresh.show_repo(TUT)
        assert client.get(f"/repos/{TUT}").status_code == 200


def test_pagination_and_link_header(api: httpx.Client, shared: FakeHub) -> None:
    first = api.get(f"/repos/{PT}/issues", params={"state": "all", "labels": "module: nn"})
    assert len(first.json()) == 30
    total = sum(1 for i in DATASET.repos[PT].issues.values() if "module: nn" in i.labels)
    last_page = -(-total // 30)
    links = _links(first)
    assert set(links) == {"next", "last"}
    assert links["next"].startswith(f"{shared.base_url}/repos/{PT}/issues?")
    assert "labels=module%3A+nn" in links["next"] and links["last"].endswith(f"page={last_page}")
    middle = api.get(links["next"])
    assert set(_links(middle)) == {"prev", "next", "last", "first"}
    last = api.get(links["last"])
    assert set(_links(last)) == {"prev", "first"}
    assert len(last.json()) == total - 30 * (last_page - 1)
    every = _all(api, f"/repos/{PT}/issues", state="all", labels="module: nn")
    assert len({i["number"] for i in every}) == total
    big = api.get(f"/repos/{PT}/issues", params={"state": "all", "per_page": 500})
    assert len(big.json()) == 100


# filters -------------------------------------------------------------------------------


def _numbers(client: httpx.Client, path: str, **params: Any) -> list[int]:
    return [item["number"] for item in _all(client, path, **params)]


def test_issue_filters(api: httpx.Client) -> None:
    issues = list(DATASET.repos[PT].issues.values())
    open_count = sum(i.state == "open" for i in issues)
    assert len(_numbers(api, f"/repos/{PT}/issues")) == open_count
    closed = _numbers(api, f"/repos/{PT}/issues", state="closed")
    assert len(closed) == len(issues) - open_count
    since = NOW - timedelta(days=7)
    recent = _numbers(api, f"/repos/{PT}/issues", state="all", since=since.isoformat())
    assert sorted(recent) == sorted(i.number for i in issues if i.updated_at >= since)
    mine = _numbers(api, f"/repos/{PT}/issues", state="all", creator="alice")
    assert len(mine) == 75
    both = _numbers(api, f"/repos/{PT}/issues", state="all", labels="good first issue,module: nn")
    assert sorted(both) == sorted(
        i.number for i in issues if {"good first issue", "module: nn"} <= set(i.labels)
    )
    assigned = _numbers(api, f"/repos/{PT}/issues", state="all", assignee="*")
    assert DATASET.candidates_by_kind["assigned"] in assigned
    assert _numbers(api, f"/repos/{PT}/issues", state="all", assignee="omar-f") == [
        DATASET.candidates_by_kind["assigned"]
    ]
    unassigned = _numbers(api, f"/repos/{PT}/issues", assignee="none")
    assert len(unassigned) + sum(bool(i.assignees) for i in issues if i.state == "open") == (
        open_count
    )
    assert api.get(f"/repos/{PT}/issues", params={"state": "merged"}).status_code == 422


def test_issue_sorting(api: httpx.Client) -> None:
    page = api.get(
        f"/repos/{PT}/issues", params={"state": "all", "sort": "updated", "direction": "asc"}
    ).json()
    stamps = [_parse(i["updated_at"]) for i in page]
    assert stamps == sorted(stamps)
    newest = api.get(f"/repos/{PT}/issues", params={"state": "all"}).json()
    assert newest[0]["number"] == max(DATASET.repos[PT].issues)
    busiest = api.get(f"/repos/{PT}/issues", params={"state": "all", "sort": "comments"}).json()
    assert busiest[0]["comments"] == max(len(i.comments) for i in DATASET.repos[PT].issues.values())


def test_pr_objects_in_issue_list(api: httpx.Client) -> None:
    prs = [i for i in _all(api, f"/repos/{PT}/issues", creator="alice") if "pull_request" in i]
    assert {p["number"] for p in prs} == set(DATASET.alice_open_prs.values())
    assert [p["number"] for p in prs if p["draft"]] == [DATASET.alice_open_prs["draft"]]
    merged = [i for i in DATASET.repos[PT].issues.values() if i.merged][0]
    body = api.get(f"/repos/{PT}/issues/{merged.number}").json()
    assert body["pull_request"]["merged_at"] is not None
    via_label = DATASET.issue(*DATASET.landmarks["xss_pr"])
    body = api.get(f"/repos/{PT}/issues/{via_label.number}").json()
    assert body["pull_request"]["merged_at"] is None and body["state"] == "closed"
    assert "Merged" in [label["name"] for label in body["labels"]]
    assert body["title"] == via_label.title


def test_comment_endpoints(api: httpx.Client) -> None:
    number = DATASET.candidates_by_kind["claim_declined"]
    comments = api.get(f"/repos/{PT}/issues/{number}/comments").json()
    assert [c["user"]["login"] for c in comments] == ["noor-h", "maint-ada"]
    assert comments[1]["author_association"] == "MEMBER"
    later = api.get(
        f"/repos/{PT}/issues/{number}/comments", params={"since": comments[1]["updated_at"]}
    ).json()
    assert [c["id"] for c in later] == [comments[1]["id"]]
    since = (NOW - timedelta(days=3)).isoformat()
    every = _all(api, f"/repos/{PT}/issues/comments", since=since, sort="updated")
    expected = [
        c
        for i in DATASET.repos[PT].issues.values()
        for c in i.comments
        if c.updated_at >= NOW - timedelta(days=3)
    ]
    assert len(every) == len(expected) > 0
    stamps = [c["updated_at"] for c in every]
    assert stamps == sorted(stamps)
    desc = api.get(
        f"/repos/{PT}/issues/comments", params={"sort": "created", "direction": "desc"}
    ).json()
    assert desc[0]["created_at"] == max(
        c.created_at for i in DATASET.repos[PT].issues.values() for c in i.comments
    ).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_timeline(api: httpx.Client) -> None:
    number = DATASET.landmarks["every_event_issue"][1]
    events = _all(api, f"/repos/{PT}/issues/{number}/timeline")
    kinds = [e["event"] for e in events]
    for kind in (
        "labeled",
        "unlabeled",
        "assigned",
        "unassigned",
        "closed",
        "reopened",
        "commented",
        "cross-referenced",
    ):
        assert kind in kinds
    assert [_parse(e["created_at"]) for e in events] == sorted(
        _parse(e["created_at"]) for e in events
    )
    commented = next(e for e in events if e["event"] == "commented")
    assert commented["body"] and commented["user"]["login"] and commented["author_association"]
    cross = next(e for e in events if e["event"] == "cross-referenced")
    assert cross["source"]["type"] == "issue" and "pull_request" in cross["source"]["issue"]
    taken = DATASET.candidates_by_kind["taken_pr"]
    source = next(
        e["source"]["issue"]
        for e in _all(api, f"/repos/{PT}/issues/{taken}/timeline")
        if e["event"] == "cross-referenced"
    )
    assert source["state"] == "open" and source["user"]["login"] == "kwon-ji"
    assert _parse(source["updated_at"]) == NOW - timedelta(days=2)


def test_pulls(api: httpx.Client) -> None:
    prs = [i for i in DATASET.repos[PT].issues.values() if i.is_pr]
    listed = _numbers(api, f"/repos/{PT}/pulls")
    assert sorted(listed) == sorted(p.number for p in prs if p.state == "open")
    assert listed == sorted(listed, reverse=True)
    ignored = _numbers(api, f"/repos/{PT}/pulls", since=NOW.isoformat())
    assert ignored == listed, "/pulls has no `since`"
    updated = api.get(
        f"/repos/{PT}/pulls", params={"state": "all", "sort": "updated", "direction": "desc"}
    ).json()
    assert [_parse(p["updated_at"]) for p in updated] == sorted(
        (_parse(p["updated_at"]) for p in updated), reverse=True
    )
    draft = api.get(f"/repos/{PT}/pulls/{DATASET.alice_open_prs['draft']}").json()
    assert draft["draft"] is True and draft["merged"] is False
    merged = next(p for p in prs if p.merged)
    body = api.get(f"/repos/{PT}/pulls/{merged.number}").json()
    assert body["merged"] is True and body["merged_by"]["login"] in ("maint-ada", "maint-lin")
    waiting = api.get(f"/repos/{PT}/pulls/{DATASET.alice_open_prs['awaiting_review']}").json()
    assert [u["login"] for u in waiting["requested_reviewers"]] == ["maint-ada"]
    files = api.get(f"/repos/{PT}/pulls/{merged.number}/files").json()
    assert [f["filename"] for f in files] == [f.filename for f in merged.files]


def test_pending_reviews_are_visible_to_their_author_only(shared: FakeHub) -> None:
    waiting = DATASET.alice_open_prs["awaiting_review"]
    path = f"{shared.base_url}/repos/{PT}/pulls/{waiting}/reviews"
    assert httpx.get(path, headers=AUTH, verify=TLS).json() == []
    as_ada = httpx.get(path, headers={"Authorization": "token ada-token"}, verify=TLS).json()
    assert [(r["user"]["login"], r["state"]) for r in as_ada] == [("maint-ada", "PENDING")]
    assert "submitted_at" not in as_ada[0]
    alice_pending = next(
        i
        for i in DATASET.repos[PT].issues.values()
        if any(r.state == "PENDING" and r.user == "alice" for r in i.reviews)
    )
    path = f"{shared.base_url}/repos/{PT}/pulls/{alice_pending.number}/reviews"
    assert "PENDING" in [r["state"] for r in httpx.get(path, headers=AUTH, verify=TLS).json()]
    as_ada = httpx.get(path, headers={"Authorization": "token ada-token"}, verify=TLS).json()
    assert "PENDING" not in [r["state"] for r in as_ada]


def test_review_comments(api: httpx.Client) -> None:
    replied = DATASET.alice_open_prs["author_replied"]
    inline = api.get(f"/repos/{PT}/pulls/{replied}/comments").json()
    reviews = {r["id"]: r for r in api.get(f"/repos/{PT}/pulls/{replied}/reviews").json()}
    assert [reviews[c["pull_request_review_id"]]["user"]["login"] for c in inline] == [
        "maint-ada",
        "alice",
    ]
    assert inline[1]["in_reply_to_id"] == inline[0]["id"]
    assert inline[0]["pull_request_url"].endswith(f"/pulls/{replied}")
    since = NOW - timedelta(days=30)
    every = _all(api, f"/repos/{PT}/pulls/comments", since=since.isoformat())
    expected = [
        c
        for i in DATASET.repos[PT].issues.values()
        for c in i.review_comments
        if c.updated_at >= since and c.review.submitted_at is not None
    ]
    assert sorted(c["id"] for c in every) == sorted(c.id for c in expected)


def test_user_events(api: httpx.Client) -> None:
    first = api.get("/users/alice/events/public")
    assert first.headers["X-Poll-Interval"] == "60" and len(first.json()) == 30
    events = _all(api, "/users/alice/events/public")
    assert len(events) == len(user_events(DATASET, "alice", NOW))
    stamps = [_parse(e["created_at"]) for e in events]
    assert stamps == sorted(stamps, reverse=True) and stamps[-1] >= NOW - timedelta(days=90)
    assert {e["type"] for e in events} == {
        "PullRequestEvent",
        "PullRequestReviewEvent",
        "PullRequestReviewCommentEvent",
        "IssueCommentEvent",
        "IssuesEvent",
    }
    review = next(e for e in events if e["type"] == "PullRequestReviewEvent")
    assert review["payload"]["review"]["user"]["login"] == "alice"
    assert "number" in review["payload"]["pull_request"]
    comment = next(e for e in events if e["type"] == "IssueCommentEvent")
    assert comment["payload"]["comment"]["user"]["login"] == "alice"
    opened = [e for e in events if e["type"] == "PullRequestEvent"]
    assert {e["payload"]["action"] for e in opened} <= {"opened", "closed"}
    assert api.get("/users/carol/events/public").json() == []


def test_user_events_stop_at_300(fresh_default: FakeHub) -> None:
    fresh = fresh_default
    target = DATASET.candidates_by_kind["free_quiet"]
    for index in range(310):
        fresh.add_comment(PT, target, "carol", f"comment {index}")
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        events = _all(client, "/users/carol/events/public")
    assert len(events) == 300
    assert events[0]["payload"]["comment"]["body"] == "comment 309"


# conditional requests and rate limits --------------------------------------------------


def test_etag_304_is_free_when_authenticated(fresh: FakeHub) -> None:
    path = f"{fresh.base_url}/repos/{PT}/issues"
    first = httpx.get(path, headers=AUTH, verify=TLS)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = httpx.get(path, headers={**AUTH, "If-None-Match": etag}, verify=TLS)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    assert [(r.status, r.conditional, r.counted) for r in fresh.requests] == [
        (200, False, True),
        (304, True, False),
    ]
    assert fresh.spent() == 1
    anonymous = httpx.get(path, headers={"If-None-Match": etag}, verify=TLS)
    assert anonymous.status_code == 304 and fresh.requests[-1].counted
    fresh.open_issue(PT, "bob", "Something new")
    changed = httpx.get(path, headers={**AUTH, "If-None-Match": etag}, verify=TLS)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_rate_limit_headers_exhaustion_and_reset(fresh: FakeHub) -> None:
    fresh.set_rate_limit(3, 0.6)
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        answers = [client.get(f"/repos/{PT}") for _ in range(3)]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["x-ratelimit-limit"] == "3"
        assert answers[2].headers["x-ratelimit-used"] == "3"
        assert answers[0].headers["x-ratelimit-resource"] == "core"
        reset = int(answers[0].headers["x-ratelimit-reset"])
        assert time.time() - 1 <= reset <= time.time() + 2
        blocked = client.get(f"/repos/{PT}")
        assert blocked.status_code == 403 and blocked.headers["x-ratelimit-remaining"] == "0"
        assert blocked.json()["message"].startswith("API rate limit exceeded for user ID 1.")
        assert client.get("/rate_limit").json()["resources"]["core"]["remaining"] == 0
        assert client.get("/search/issues", params={"q": "is:pr"}).status_code == 200
        time.sleep(0.7)
        assert client.get(f"/repos/{PT}").headers["x-ratelimit-remaining"] == "2"
    assert fresh.spent() == 3 + 1 + 1
    assert fresh.spent("search") == 1


def test_search_has_its_own_limit(fresh: FakeHub) -> None:
    fresh.set_rate_limit(2, resource="search")
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        first = client.get("/search/issues", params={"q": "is:issue"})
        assert first.headers["x-ratelimit-resource"] == "search"
        assert first.headers["x-ratelimit-limit"] == "2"
        client.get("/search/issues", params={"q": "is:issue"})
        assert client.get("/search/issues", params={"q": "is:issue"}).status_code == 403
        assert client.get(f"/repos/{PT}").status_code == 200


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_error_faults(fresh: FakeHub, kind: str) -> None:
    fresh.inject(r"/issues$", kind, times=2)
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        statuses = [client.get(f"/repos/{PT}/issues").status_code for _ in range(3)]
        assert client.get(f"/repos/{PT}").status_code == 200
    assert statuses == [int(kind), int(kind), 200]
    assert [r.counted for r in fresh.requests] == [False, False, True, True]


def test_drop_fault_closes_the_socket(fresh: FakeHub) -> None:
    fresh.inject("events", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{fresh.base_url}/users/alice/events/public", headers=AUTH, verify=TLS)
    assert (
        httpx.get(
            f"{fresh.base_url}/users/alice/events/public", headers=AUTH, verify=TLS
        ).status_code
        == 200
    )
    assert fresh.requests[0].status == 0 and not fresh.requests[0].counted


@pytest.mark.parametrize(("kind", "status"), [("secondary", 403), ("429", 429)])
def test_throttle_faults(fresh: FakeHub, kind: str, status: int) -> None:
    fresh.inject(r"page=2", kind, retry_after=7)
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        assert client.get(f"/repos/{PT}/issues").status_code == 200
        hit = client.get(f"/repos/{PT}/issues", params={"page": 2})
    assert hit.status_code == status and hit.headers["retry-after"] == "7"
    if kind == "secondary":
        assert hit.json()["message"] == (
            "You have exceeded a secondary rate limit. "
            "Please wait a few minutes before you try again."
        )
    assert fresh.spent() == 1
    with pytest.raises(ValueError):
        fresh.inject("x", "teapot")


# search --------------------------------------------------------------------------------


def _search(client: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/search/issues", params={"q": q, "per_page": 100, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _count(predicate: Any) -> int:
    return sum(1 for r in DATASET.repos.values() for i in r.issues.values() if predicate(i))


def test_search_qualifiers(api: httpx.Client) -> None:
    cases = {
        "repo:pytorch/pytorch is:pr author:alice": lambda i: (
            i.repo == PT and i.is_pr and i.user == "alice"
        ),
        "is:issue is:open author:alice": lambda i: (
            not i.is_pr and i.state == "open" and i.user == "alice"
        ),
        "type:pr is:closed author:bob": lambda i: (
            i.is_pr and i.state == "closed" and i.user == "bob"
        ),
        "is:pr is:merged author:alice": lambda i: i.merged and i.user == "alice",
        'label:"good first issue" is:open': lambda i: (
            "good first issue" in i.labels and i.state == "open"
        ),
        "label:Merged author:alice": lambda i: "Merged" in i.labels and i.user == "alice",
        "reviewed-by:alice": lambda i: any(r.user == "alice" and r.submitted_at for r in i.reviews),
        "commenter:bob": lambda i: any(c.user == "bob" for c in i.comments),
        "involves:bob": lambda i: i.user == "bob" or any(c.user == "bob" for c in i.comments),
        'label:"good first issue" no:assignee': lambda i: (
            "good first issue" in i.labels and not i.assignees
        ),
        "-label:Merged is:pr author:alice": lambda i: (
            "Merged" not in i.labels and i.is_pr and i.user == "alice"
        ),
    }
    for query, predicate in cases.items():
        assert _search(api, query)["total_count"] == _count(predicate) > 0, query
    assert _search(api, "is:pr is:merged author:alice")["total_count"] == 2


def test_search_dates(api: httpx.Client) -> None:
    day = (NOW - timedelta(days=3)).date()
    start = datetime.combine(day, datetime.min.time(), UTC)
    cases = {
        f"created:>={day}": lambda t: t >= start,
        f"created:<{day}": lambda t: t < start,
        f"created:<={day}": lambda t: t < start + timedelta(days=1),
        f"created:>{day}": lambda t: t >= start + timedelta(days=1),
        f"created:{day - timedelta(days=30)}..{day}": lambda t: (
            start - timedelta(days=30) <= t < start + timedelta(days=1)
        ),
        f"created:{day}": lambda t: start <= t < start + timedelta(days=1),
        "created:>=2026-11-10T10:00:00Z": lambda t: t >= datetime(2026, 11, 10, 10, tzinfo=UTC),
    }
    for query, within in cases.items():
        expected = _count(lambda i, w=within: w(i.created_at))
        assert _search(api, query)["total_count"] == expected, query
    closed = _search(api, f"closed:>={day - timedelta(days=20)} author:alice")
    assert closed["total_count"] == _count(
        lambda i: (
            i.user == "alice"
            and i.closed_at is not None
            and i.closed_at >= start - timedelta(days=20)
        )
    )
    updated = _search(api, f"updated:>={day} repo:{TUT}")["items"]
    assert all(_parse(i["updated_at"]) >= start for i in updated)


def test_search_shape_sort_and_cap(api: httpx.Client) -> None:
    body = _search(api, "repo:pytorch/pytorch", sort="created", order="asc")
    assert body["total_count"] == len(DATASET.repos[PT].issues) > 1000
    assert body["incomplete_results"] is False
    assert [i["number"] for i in body["items"]] == list(range(1, 101))
    assert body["items"][0]["score"] > 0
    merged = _search(api, "is:merged repo:pytorch/pytorch")["items"][0]
    assert merged["pull_request"]["merged_at"] is not None
    page10 = api.get(
        "/search/issues", params={"q": "repo:pytorch/pytorch", "per_page": 100, "page": 10}
    )
    assert page10.status_code == 200 and "next" not in page10.links
    assert _links(page10)["prev"].endswith("page=9")
    assert (
        api.get(
            "/search/issues", params={"q": "repo:pytorch/pytorch", "per_page": 100, "page": 11}
        ).status_code
        == 422
    )
    assert api.get("/search/issues", params={"q": "frobnicate:yes"}).status_code == 422
    assert api.get("/search/issues").status_code == 422


# mutations -----------------------------------------------------------------------------


def test_mutations_bump_updated_at_and_show_up_in_since(fresh_default: FakeHub) -> None:
    fresh = fresh_default
    number = DATASET.candidates_by_kind["free_quiet"]
    before = fresh.now()
    comment = fresh.add_comment(PT, number, "bob", "I'd like to work on this!")
    review = fresh.add_review(PT, DATASET.alice_open_prs["approved"], "maint-ada", "APPROVED")
    inline = fresh.add_review_comment(PT, DATASET.alice_open_prs["draft"], "bob", "typo")
    assert review.submitted_at is not None
    stamps = [comment.created_at, review.submitted_at, inline.created_at]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert comment.created_at >= before.replace(microsecond=0)
    assert inline.review.user == "bob" and inline.review.state == "COMMENTED"
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        since = comment.created_at.isoformat()
        changed = _numbers(client, f"/repos/{PT}/issues", state="all", since=since)
        assert sorted(changed) == sorted(
            [number, *(DATASET.alice_open_prs[k] for k in ("approved", "draft"))]
        )
        comments = _all(client, f"/repos/{PT}/issues/comments", since=since)
        assert [c["body"] for c in comments] == ["I'd like to work on this!"]
        timeline = _all(client, f"/repos/{PT}/issues/{number}/timeline")
        assert timeline[-1]["event"] == "commented" and timeline[-1]["user"]["login"] == "bob"
        events = client.get("/users/bob/events/public").json()
        newest = {e["type"]: e for e in reversed(events)}
        assert newest["PullRequestReviewCommentEvent"]["payload"]["comment"]["body"] == "typo"
        assert newest["PullRequestReviewEvent"]["payload"]["review"]["state"] == "COMMENTED"
        assert newest["IssueCommentEvent"]["payload"]["comment"]["body"] == (
            "I'd like to work on this!"
        )
        assert _parse(events[0]["created_at"]) == inline.created_at
        assert _parse(client.get(f"/repos/{PT}/issues/{number}").json()["updated_at"]) == (
            comment.created_at
        )


def test_merge_close_assign_and_open(fresh_default: FakeHub) -> None:
    fresh = fresh_default
    approved = DATASET.alice_open_prs["approved"]
    pr = fresh.merge_pr(PT, approved, via_label=True)
    assert pr.state == "closed" and pr.merged_at is None and "Merged" in pr.labels
    real = fresh.merge_pr(PT, DATASET.alice_open_prs["changes_requested"], via_label=False)
    assert real.merged_at is not None and real.merged_by == "maint-ada"
    issue = fresh.close_issue(PT, DATASET.candidates_by_kind["free_docs"])
    assert issue.state == "closed" and issue.state_reason == "completed"
    fresh.assign(PT, DATASET.candidates_by_kind["free_nn"], "bob")
    target = DATASET.candidates_by_kind["free_quiet"]
    opened = fresh.open_pr(
        PT, "bob", "Fix OneCycleLR", body=f"Fixes #{target}", labels=["module: optim"], draft=True
    )
    assert opened.number == len(DATASET.repos[PT].issues) + 1
    new_issue = fresh.open_issue(TUT, "carol", "A question", labels=["help wanted"])
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        body = client.get(f"/repos/{PT}/issues/{approved}").json()
        assert body["state"] == "closed" and body["pull_request"]["merged_at"] is None
        timeline = _all(client, f"/repos/{PT}/issues/{target}/timeline")
        assert timeline[-1]["source"]["issue"]["number"] == opened.number
        free_nn = client.get(f"/repos/{PT}/issues/{DATASET.candidates_by_kind['free_nn']}").json()
        assert [a["login"] for a in free_nn["assignees"]] == ["bob"]
        pull = client.get(f"/repos/{PT}/pulls/{opened.number}").json()
        assert pull["draft"] and pull["labels"][0]["name"] == "module: optim"
        assert client.get(f"/repos/{TUT}/issues/{new_issue.number}").json()["user"]["login"] == (
            "carol"
        )
        merged = _search(client, "is:merged author:alice")["total_count"]
        assert merged == 3
    with pytest.raises(ValueError):
        fresh.merge_pr(PT, DATASET.candidates_by_kind["free_nn"], via_label=True)


def test_mutations_are_thread_safe(fresh_default: FakeHub) -> None:
    fresh = fresh_default
    number = DATASET.candidates_by_kind["free_quiet"]

    def hammer(login: str) -> None:
        for index in range(25):
            fresh.add_comment(PT, number, login, f"{login} {index}")

    threads = [threading.Thread(target=hammer, args=(f"user{n}",)) for n in range(4)]
    with httpx.Client(base_url=fresh.base_url, headers=AUTH, verify=TLS) as client:
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            assert client.get(f"/repos/{PT}/issues/{number}/comments").status_code == 200
        for thread in threads:
            thread.join()
        comments = _all(client, f"/repos/{PT}/issues/{number}/comments")
    assert len(comments) == 100 and len({c["id"] for c in comments}) == 100
    stamps = [c["created_at"] for c in comments]
    assert stamps == sorted(stamps) and len(set(stamps)) == 100


def test_clock(fresh: FakeHub) -> None:
    assert NOW <= fresh.now() < NOW + timedelta(minutes=1)
    fresh.advance(timedelta(days=2))
    assert fresh.now() >= NOW + timedelta(days=2)
    date = httpx.get(f"{fresh.base_url}/rate_limit", verify=TLS).headers["Date"]
    assert date.startswith((NOW + timedelta(days=2)).strftime("%a, %d %b %Y"))
    comment = fresh.add_comment(PT, 1, "bob", "later")
    assert comment.created_at >= NOW + timedelta(days=2)


# PyGithub ------------------------------------------------------------------------------


def test_pygithub_pages_through_everything(shared: FakeHub) -> None:
    gh = github.Github(
        base_url=shared.base_url,
        auth=github.Auth.Token("test-token"),
        per_page=100,
        seconds_between_requests=0,
    )
    repo = gh.get_repo(PT)
    issues = list(repo.get_issues(state="all"))
    assert len(issues) == len(DATASET.repos[PT].issues)
    assert len({i.number for i in issues}) == len(issues)
    pr = repo.get_pull(DATASET.alice_open_prs["author_replied"])
    assert [r.state for r in pr.get_reviews()] == ["CHANGES_REQUESTED", "COMMENTED"]
    assert pr.get_issue_comments().totalCount >= 1
    issue = repo.get_issue(DATASET.candidates_by_kind["taken_pr"])
    assert "cross-referenced" in [e.event for e in issue.get_timeline()]
    assert gh.get_user().login == "alice"
    found = gh.search_issues("repo:pytorch/pytorch is:pr author:alice is:merged")
    assert found.totalCount == 2
    events = list(gh.get_user("bob").get_public_events())
    assert events and all(e.actor.login == "bob" for e in events)
    gh.close()


@pytest.mark.slow
def test_standalone_entry_point() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "contribbot.fakehub", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []  # it prints the config lines that point contribbot at it
        while not lines or not lines[-1].startswith("repos ="):
            lines.append(process.stdout.readline().rstrip("\n"))
        printed = tomllib.loads("\n".join(lines))
        base_url, token = printed["github"]["api_url"], printed["github"]["token"]
        answer = httpx.get(
            f"{base_url}/user", headers={"Authorization": f"token {token}"}, verify=TLS
        )
        assert answer.json()["login"] == "alice"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
