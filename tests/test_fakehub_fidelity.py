"""The stand-in against recorded real responses from api.github.com (@octokit/fixtures,
vendored in tests/fixtures/octokit with its licence and version).

Each test compares one aspect: the X-RateLimit-* set, the ETag form, the Link header,
the common headers, the error body, the search body. Where the stand-in still differs
from the recordings, the difference is written down here (KNOWN_* sets and comments)
with the reason, so a new difference fails a test instead of slipping in.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TLS, world_copy

from contribbot.fakehub import FakeHub

FIXTURES = Path(__file__).parent / "fixtures" / "octokit"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RATE_HEADERS = {
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-used",
    "x-ratelimit-resource",
}
ETAG = re.compile(r'^(W/)?"[0-9a-f]{32,64}"$')
LINK = re.compile(r'^<(https?://[^>]+)>; rel="(prev|next|last|first)"$')

# Headers GitHub sends that the stand-in leaves out: none of them changes what a client
# must do. CORS and browser-security headers, OAuth scope reports, request ids for
# support tickets, `Vary`, the socket's `connection: close`, and `Last-Modified`
# (contribbot uses ETags, never If-Modified-Since).
KNOWN_UNSERVED_HEADERS = {
    "access-control-allow-origin",
    "access-control-expose-headers",
    "connection",
    "content-security-policy",
    "referrer-policy",
    "strict-transport-security",
    "vary",
    "x-accepted-oauth-scopes",
    "x-content-type-options",
    "x-frame-options",
    "x-github-request-id",
    "x-oauth-scopes",
    "x-xss-protection",
}
# Repository fields GitHub shows only to a token with admin rights on the repo (merge
# settings, permissions, clone token) or for an organisation-owned repo; the stand-in
# serves what a contributor's token sees of pytorch/pytorch, which has `has_discussions`
# (added to the API after the recording).
KNOWN_REPO_FIELDS_MISSING = {
    "allow_auto_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_squash_merge",
    "allow_update_branch",
    "delete_branch_on_merge",
    "organization",
    "permissions",
    "temp_clone_token",
    "use_squash_pr_title_as_default",
    "web_commit_signoff_required",
}
KNOWN_REPO_FIELDS_EXTRA = {"has_discussions"}


@cache
def _recorded(scenario: str) -> list[dict[str, Any]]:
    path = FIXTURES / scenario / "raw-fixture.json"
    records: list[dict[str, Any]] = json.loads(path.read_text())
    return records


def recording(
    scenario: str, wanted: Callable[[dict[str, Any]], bool] = lambda r: r["method"] == "get"
) -> list[tuple[int, dict[str, str], Any]]:
    """(status, lower-case headers, body) of each matching recorded interaction."""
    return [
        (r["status"], _headers(r["rawHeaders"]), r["response"])
        for r in _recorded(scenario)
        if wanted(r)
    ]


def _headers(raw: list[str]) -> dict[str, str]:
    return {name.lower(): value for name, value in zip(raw[::2], raw[1::2], strict=True)}


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with FakeHub(world_copy()) as hub:
        headers = {"Authorization": "token test-token"}
        with httpx.Client(base_url=hub.base_url, headers=headers, verify=TLS) as client:
            yield client


def test_the_vendored_recordings_are_the_ones_named() -> None:
    readme = (FIXTURES / "README.md").read_text()
    assert "@octokit/fixtures 23.1.2" in readme
    assert "MIT" in (FIXTURES / "LICENSE.md").read_text()
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == [
        "errors",
        "get-repository",
        "paginate-issues",
        "search-issues",
    ]


def test_rate_limit_headers_are_the_same_set_with_the_same_meaning(api: httpx.Client) -> None:
    for scenario, path, params, resource in (
        ("get-repository", "/repos/pytorch/pytorch", {}, "core"),
        ("search-issues", "/search/issues", {"q": "repo:pytorch/tutorials is:issue"}, "search"),
    ):
        _, recorded, _ = recording(scenario)[0]
        ours = api.get(path, params=params).headers
        assert {h for h in recorded if h.startswith("x-ratelimit-")} == RATE_HEADERS
        assert {h for h in ours if h.startswith("x-ratelimit-")} == RATE_HEADERS
        for headers in (recorded, ours):
            limit, remaining, used = (
                int(headers[f"x-ratelimit-{n}"]) for n in ("limit", "remaining", "used")
            )
            assert limit == remaining + used
            assert headers["x-ratelimit-resource"] == resource
            assert int(headers["x-ratelimit-reset"]) > 1_600_000_000  # epoch seconds
        assert int(recorded["x-ratelimit-limit"]) == int(ours["x-ratelimit-limit"])


def test_common_headers_match_and_the_unserved_ones_are_known(api: httpx.Client) -> None:
    _, recorded, _ = recording("get-repository")[0]
    ours = api.get("/repos/pytorch/pytorch").headers
    for name in ("content-type", "cache-control", "x-github-media-type"):
        assert ours[name] == recorded[name], name
    assert ours["server"].startswith(recorded["server"])  # "GitHub.com (fakehub)"
    for headers in (recorded, ours):
        assert email.utils.parsedate_to_datetime(headers["date"]).tzinfo is not None
    assert set(recorded) - set(ours) == KNOWN_UNSERVED_HEADERS | {"last-modified"}


def test_etags_have_githubs_form(api: httpx.Client) -> None:
    recorded = [h["etag"] for _, h, _ in recording("paginate-issues")]
    recorded.append(recording("get-repository")[0][1]["etag"])
    ours = [
        api.get(p).headers["etag"]
        for p in ("/repos/pytorch/pytorch", "/repos/pytorch/pytorch/issues")
    ]
    assert all(ETAG.match(tag) for tag in recorded + ours), recorded + ours
    # Difference: these recordings carry strong ETags ("<sha256>"); GitHub sends weak
    # ones (W/"...") on compressed answers, which is what clients see in practice, and the
    # stand-in always does. Clients must treat both as opaque and echo them back: the
    # stand-in accepts either form in If-None-Match, as GitHub does.
    assert all(tag.startswith('W/"') for tag in ours)
    tag = ours[0]
    strong = tag.removeprefix("W/")
    assert api.get("/repos/pytorch/pytorch", headers={"If-None-Match": strong}).status_code == 304


def _rels(link: str) -> list[str]:
    parts = [LINK.match(part.strip()) for part in link.split(",")]
    assert all(parts), link
    return [m.group(2) for m in parts if m]


def test_link_headers_have_githubs_form_and_order(api: httpx.Client) -> None:
    recorded = [h["link"] for _, h, _ in recording("paginate-issues")]
    assert len(recorded) == 5
    url = "/repos/pytorch/tutorials/issues"
    first = api.get(url, params={"per_page": 3})
    last_url = first.links["last"]["url"]
    ours = [
        first.headers["link"],
        api.get(first.links["next"]["url"]).headers["link"],
        api.get(last_url).headers["link"],
    ]
    # first: next,last; middle: prev,next,last,first; last: prev,first
    for mine, theirs in zip(ours, (recorded[0], recorded[1], recorded[-1]), strict=True):
        assert _rels(mine) == _rels(theirs)
    # the page number is the last parameter, the others kept, as GitHub does
    assert re.search(r"[?&]page=2>", recorded[0]) and re.search(r"[?&]page=2>", ours[0])
    # Difference: GitHub's links point at /repositories/{id}/issues, the stand-in's at
    # /repos/{owner}/{name}/issues. Clients follow the Link URL verbatim, so both work;
    # PyGithub checks only the host, which is the stand-in's own.
    assert "/repositories/" in recorded[0] and "/repos/pytorch/tutorials/" in ours[0]


def test_list_items_have_every_recorded_field(api: httpx.Client) -> None:
    _, _, items = recording("paginate-issues")[0]
    ours = api.get("/repos/pytorch/tutorials/issues", params={"per_page": 5}).json()
    plain = next(i for i in ours if "pull_request" not in i)
    assert set(items[0]) <= set(plain)


def test_error_bodies_have_githubs_shape(api: httpx.Client) -> None:
    status, headers, body = recording("errors", lambda r: r["status"] == 422)[0]
    response = api.get("/repos/pytorch/pytorch/issues", params={"state": "bogus"})
    assert response.status_code == status == 422
    ours = response.json()
    assert ours["message"] == body["message"] == "Validation Failed"
    assert set(ours["errors"][0]) == set(body["errors"][0]) == {"resource", "code", "field"}
    assert ours["documentation_url"].startswith("https://docs.github.com/rest")
    # Difference: GitHub added "status" (the code, as a string) to error bodies in 2023,
    # after this recording; the stand-in follows today's shape.
    assert set(ours) == set(body) | {"status"} and ours["status"] == "422"
    assert RATE_HEADERS <= set(headers) and RATE_HEADERS <= set(response.headers)
    assert response.headers["content-type"] == headers["content-type"]
    missing = api.get("/repos/pytorch/nope").json()
    assert {"message", "documentation_url"} <= set(missing)


def test_search_answers_have_githubs_shape(api: httpx.Client) -> None:
    _, headers, body = recording("search-issues")[0]
    response = api.get("/search/issues", params={"q": "repo:pytorch/tutorials is:issue"})
    ours = response.json()
    # Difference: "search_type" ("lexical") is in today's API description (semantic issue
    # search, 2025), newer than the recording.
    assert set(ours) == set(body) | {"search_type"}
    assert isinstance(ours["total_count"], int) and ours["incomplete_results"] is False
    assert set(ours["items"][0]) == set(body["items"][0])
    assert isinstance(ours["items"][0]["score"], float)
    # searches are never conditional: no ETag, and no-cache
    assert "etag" not in headers and "etag" not in response.headers
    assert headers["cache-control"] == response.headers["cache-control"] == "no-cache"


def test_repository_fields_match_but_for_the_known_ones(api: httpx.Client) -> None:
    _, _, body = recording("get-repository")[0]
    ours = api.get("/repos/pytorch/pytorch").json()
    assert set(body) - set(ours) == KNOWN_REPO_FIELDS_MISSING
    assert set(ours) - set(body) == KNOWN_REPO_FIELDS_EXTRA
    for key in ("id", "forks_count", "open_issues_count", "size"):
        assert type(ours[key]) is type(body[key]), key
    for key in ("created_at", "updated_at", "pushed_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body[key])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ours[key])
