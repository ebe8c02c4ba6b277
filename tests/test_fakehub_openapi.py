"""Every FakeHub response body validates against GitHub's official OpenAPI schemas.

The schemas come from tests/openapi/github-subset.json (extracted from @octokit/openapi
by tests/openapi/extract.py). Union types in the description are loose, so timeline
items and events are also checked against the schema their `event` / `type` names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import world_copy
from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]

from contribbot.fakehub import FakeHub

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SUBSET = json.loads((Path(__file__).parent / "openapi" / "github-subset.json").read_text())
PT = "pytorch/pytorch"
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _is_github_time(value: object) -> bool:
    # GitHub always writes UTC with a Z; stricter than RFC 3339 on purpose.
    return not isinstance(value, str) or bool(STAMP.match(value))


def _is_absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(_is_github_time)
FORMATS.checks("uri")(_is_absolute_uri)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "$defs": SUBSET["$defs"]}, format_checker=FORMATS)


def _errors(schema: dict[str, Any], body: Any) -> list[str]:
    found = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in found[:10]]


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(world_copy(), tokens={"test-token": "alice"}) as running:
        yield running


@pytest.fixture(scope="module")
def get(hub: FakeHub) -> Any:
    def fetch(target: str) -> Any:
        outcome = hub.handle("GET", target, {"Authorization": "token test-token"})
        assert outcome.status == 200, (target, outcome.body)
        assert outcome.body is not None
        return json.loads(outcome.body)

    return fetch


def check(operation: str, body: Any) -> None:
    """Validate body against the 200 response schema of operation."""
    errors = _errors(SUBSET["operations"][operation], body)
    assert not errors, f"{operation}:\n" + "\n".join(errors)


def test_subset_records_its_source() -> None:
    source = SUBSET["source"]
    assert source["package"] == "@octokit/openapi"
    assert re.match(r"^\d+\.\d+\.\d+$", source["version"])
    assert len(SUBSET["operations"]) == 18


def test_schemas_reject_wrong_bodies() -> None:
    # Guards the guard: a validator that accepted anything would pass every test below.
    assert _errors(SUBSET["operations"]["GET /repos/{owner}/{repo}/issues"], [{"id": 1}])
    bad_time = {"rate": {"limit": 1, "remaining": 1, "reset": 1, "used": 0}}
    assert _errors(SUBSET["operations"]["GET /rate_limit"], bad_time)
    assert _errors({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00+00:00")
    assert _errors({"type": "string", "format": "uri"}, "/repos/pytorch/pytorch")


def test_users_and_rate_limit(get: Any) -> None:
    check("GET /user", get("/user"))
    for login in ("bob", "pytorch-bot%5Bbot%5D", "pytorch"):
        check("GET /users/{username}", get(f"/users/{login}"))
    bob = get("/users/bob")
    check("GET /user/{account_id}", by_id := get(f"/user/{bob['id']}"))
    assert by_id == bob
    check("GET /rate_limit", get("/rate_limit"))


def test_repository(get: Any) -> None:
    for repo in (PT, "pytorch/tutorials"):
        check("GET /repos/{owner}/{repo}", get(f"/repos/{repo}"))


def test_issue_lists_and_items(get: Any, hub: FakeHub) -> None:
    body = get(f"/repos/{PT}/issues?state=all&per_page=100&sort=updated")
    assert any("pull_request" in item for item in body) and any(
        "pull_request" not in item for item in body
    )
    check("GET /repos/{owner}/{repo}/issues", body)
    for number in (hub.dataset.candidates_by_kind["closed"], hub.dataset.alice_open_prs["draft"]):
        body = get(f"/repos/{PT}/issues/{number}")
        check("GET /repos/{owner}/{repo}/issues/{issue_number}", body)


def test_comments(get: Any, hub: FakeHub) -> None:
    number = hub.dataset.candidates_by_kind["claim_declined"]
    body = get(f"/repos/{PT}/issues/{number}/comments")
    assert len(body) == 2
    check("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", body)
    body = get(f"/repos/{PT}/issues/comments?per_page=100&sort=updated&direction=desc")
    assert len(body) == 100
    check("GET /repos/{owner}/{repo}/issues/comments", body)


def _timeline_kinds(get: Any, numbers: list[int]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for number in numbers:
        body = get(f"/repos/{PT}/issues/{number}/timeline?per_page=100")
        check("GET /repos/{owner}/{repo}/issues/{issue_number}/timeline", body)
        for item in body:
            specific = {"$ref": SUBSET["timeline_events"][item["event"]]}
            errors = _errors(specific, item)
            assert not errors, f"{item['event']} on #{number}:\n" + "\n".join(errors)
            kinds[item["event"]] = kinds.get(item["event"], 0) + 1
    return kinds


def test_timeline_every_event_kind(get: Any, hub: FakeHub) -> None:
    ds = hub.dataset
    numbers = [
        ds.landmarks["every_event_issue"][1],
        ds.candidates_by_kind["taken_pr"],
        ds.candidates_by_kind["assigned"],
        ds.alice_open_prs["author_replied"],
        next(i.number for i in ds.repos[PT].issues.values() if i.merged),
    ]
    kinds = _timeline_kinds(get, numbers)
    assert set(kinds) == set(SUBSET["timeline_events"]), kinds


def test_pulls(get: Any, hub: FakeHub) -> None:
    ds = hub.dataset
    check("GET /repos/{owner}/{repo}/pulls", get(f"/repos/{PT}/pulls?state=all&per_page=50"))
    merged = next(i for i in ds.repos[PT].issues.values() if i.merged)
    for number in (merged.number, ds.alice_open_prs["author_replied"]):
        check("GET /repos/{owner}/{repo}/pulls/{pull_number}", get(f"/repos/{PT}/pulls/{number}"))
        check(
            "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
            get(f"/repos/{PT}/pulls/{number}/files"),
        )
    replied = ds.alice_open_prs["author_replied"]
    reviews = get(f"/repos/{PT}/pulls/{replied}/reviews")
    assert {r["state"] for r in reviews} == {"CHANGES_REQUESTED", "COMMENTED"}
    check("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", reviews)
    inline = get(f"/repos/{PT}/pulls/{replied}/comments")
    assert any("in_reply_to_id" in c for c in inline)
    check("GET /repos/{owner}/{repo}/pulls/{pull_number}/comments", inline)
    every = get(f"/repos/{PT}/pulls/comments?per_page=100")
    check("GET /repos/{owner}/{repo}/pulls/comments", every)


def test_review_states_including_dismissed_and_pending(get: Any, hub: FakeHub) -> None:
    states: set[str] = set()
    for issue in hub.dataset.repos[PT].issues.values():
        if any(r.user == "alice" and r.state in ("DISMISSED", "PENDING") for r in issue.reviews):
            body = get(f"/repos/{PT}/pulls/{issue.number}/reviews")
            check("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", body)
            states |= {r["state"] for r in body}
    assert {"DISMISSED", "PENDING"} <= states


def test_events_every_type(get: Any) -> None:
    seen: set[str] = set()
    for page in (1, 2, 3):
        body = get(f"/users/alice/events/public?page={page}")
        check("GET /users/{username}/events/public", body)
        for event in body:
            payload_schema = {"$ref": SUBSET["event_payloads"][event["type"]]}
            errors = _errors(payload_schema, event["payload"])
            assert not errors, f"{event['type']}:\n" + "\n".join(errors)
            seen.add(event["type"])
    assert seen == set(SUBSET["event_payloads"])


@pytest.mark.parametrize(
    "query",
    [
        "repo:pytorch/pytorch is:pr author:alice",
        'label:"good first issue" is:open',
        "involves:bob",
        "is:merged",
    ],
)
def test_search(get: Any, query: str) -> None:
    body = get("/search/issues?" + urlencode({"q": query, "per_page": 100}))
    assert body["items"]
    check("GET /search/issues", body)
