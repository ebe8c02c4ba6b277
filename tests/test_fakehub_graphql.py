"""The stand-in's POST /graphql: GitHub's schema, its points formula, budget and failures."""

from __future__ import annotations

import httpx
import pytest
from conftest import TLS, TOKEN
from graphql import parse

from contribbot.fakehub import FakeHub
from contribbot.fakehub.graphql import SCHEMA_VERSION, CostError, load_schema, query_cost

SEARCH = """
query($q: String!, $first: Int!, $after: String) {
  rateLimit { cost remaining resetAt limit }
  search(query: $q, type: ISSUE, first: $first, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes { ... on Issue { number } ... on PullRequest { number } }
  }
}"""


def post(
    hub: FakeHub, query: str, token: str | None = TOKEN, **variables: object
) -> httpx.Response:
    headers = {"Authorization": f"bearer {token}"} if token else {}
    return httpx.post(
        f"{hub.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        verify=TLS,
    )


def cost(query: str, **variables: object) -> tuple[int, int]:
    found = query_cost(load_schema(), parse(query), variables)
    return found.points, found.nodes


def test_the_schema_is_githubs_published_one_with_its_version():
    schema = load_schema()
    assert SCHEMA_VERSION.count(".") == 2
    assert "reviews" in schema.get_type("PullRequest").fields  # type: ignore[union-attr]
    assert schema.get_type("RateLimit") is not None


def test_a_field_github_does_not_have_fails_validation_and_costs_nothing(hub):
    reply = post(hub, "query { viewer { login favouriteColour } }")
    assert reply.status_code == 200
    body = reply.json()
    assert "data" not in body
    assert "favouriteColour" in body["errors"][0]["message"]
    assert hub.graphql.spent_points == 0


def test_conflicting_field_types_need_aliases_as_on_github(hub):
    query = (
        'query { search(query: "x", type: ISSUE, first: 1) { nodes { '
        "... on Issue { state } ... on PullRequest { state } } } }"
    )
    assert "conflict" in post(hub, query).json()["errors"][0]["message"]


def test_points_follow_githubs_documented_examples():
    # "Rate limits and node limits for the GraphQL API": 550 and 22,060 nodes; 51 points
    simple = """query { viewer { repositories(first: 50) { edges { repository: node { name
      issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }"""
    assert cost(simple)[1] == 550
    complex_ = """query { viewer { repositories(first: 50) { edges { repository: node { name
      pullRequests(first: 20) { edges { pullRequest: node { title
        comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
      issues(first: 20) { totalCount edges { issue: node { title bodyHTML
        comments(first: 10) { edges { comment: node { bodyHTML } } } } } } } } }
      followers(first: 10) { edges { follower: node { login } } } } }"""
    assert cost(complex_)[1] == 22_060
    points = """query { viewer { login repositories(first: 100) { edges { node { id
      issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } }
      } } } } }"""
    assert cost(points)[0] == 51


def test_a_page_of_search_hits_with_three_nested_connections_costs_3_points():
    query = """query($first: Int!) { search(query: "x", type: ISSUE, first: $first) { nodes {
      ... on PullRequest { labels(first: 100) { nodes { name } }
        reviews(first: 100) { nodes { state } }
        timelineItems(first: 100) { nodes { __typename } } } } } }"""
    assert cost(query, first=100) == (3, 100 + 3 * 100 * 100)
    assert cost(query, first=10)[0] == 1  # never below 1


def test_connections_need_first_or_last_within_1_to_100():
    with pytest.raises(CostError, match="first. or .last"):
        cost('query { search(query: "x", type: ISSUE) { issueCount } }')
    with pytest.raises(CostError, match="exceeds the `first` limit of 100"):
        cost('query { search(query: "x", type: ISSUE, first: 101) { issueCount } }')


def test_search_pages_with_cursors_and_stops_at_1000_results(hub):
    query = "repo:pytorch/pytorch sort:created-asc"
    first = post(hub, SEARCH, q=query, first=100).json()["data"]
    assert first["search"]["issueCount"] == len(hub.dataset.repos["pytorch/pytorch"].issues) > 1000
    numbers = [n["number"] for n in first["search"]["nodes"]]
    created = {i.number: i.created_at for i in hub.dataset.repos["pytorch/pytorch"].issues.values()}
    assert [created[n] for n in numbers] == sorted(created[n] for n in numbers)
    after, pages = first["search"]["pageInfo"]["endCursor"], 1
    while True:
        page = post(hub, SEARCH, q=query, first=100, after=after).json()["data"]["search"]
        pages += 1
        numbers += [n["number"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 10 and len(numbers) == len(set(numbers)) == 1000


def test_rate_limit_reads_the_budget_and_running_out_is_rate_limited(hub):
    hub.graphql.set_limit(2)
    first = post(hub, SEARCH, q="author:alice", first=10)
    assert first.json()["data"]["rateLimit"] == {
        "cost": 1,
        "remaining": 1,
        "limit": 2,
        "resetAt": first.json()["data"]["rateLimit"]["resetAt"],
    }
    assert first.headers["x-ratelimit-resource"] == "graphql"
    post(hub, SEARCH, q="author:alice", first=10)
    limited = post(hub, SEARCH, q="author:alice", first=10)
    assert limited.status_code == 200
    assert limited.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert hub.graphql.spent_points == 2


def test_partial_results_come_as_errors_next_to_data(hub):
    hub.graphql.partial = 1
    body = post(hub, SEARCH, q="author:alice", first=5).json()
    assert body["data"]["search"]["nodes"][0] is None
    assert body["errors"][0]["path"] == ["search", "nodes", 0]
    assert "errors" not in post(hub, SEARCH, q="author:alice", first=5).json()


def test_a_too_heavy_query_times_out_with_502(hub):
    hub.graphql.max_nodes = 50
    assert post(hub, SEARCH, q="author:alice", first=100).status_code == 502
    assert post(hub, SEARCH, q="author:alice", first=50).status_code == 200


def test_graphql_needs_a_token_and_can_be_switched_off(hub):
    assert post(hub, SEARCH, token=None, q="x", first=1).status_code == 401
    hub.graphql.enabled = False
    assert post(hub, SEARCH, q="x", first=1).status_code == 404


def test_reviews_filter_by_author_and_hide_others_pending_drafts(hub):
    pr = next(
        i
        for i in hub.dataset.repos["pytorch/pytorch"].issues.values()
        if i.is_pr and len({r.user for r in i.reviews}) > 1
    )
    who = pr.reviews[0].user
    query = """query($n: Int!, $who: String!) { repository(owner: "pytorch", name: "pytorch") {
      pullRequest(number: $n) { reviews(first: 100, author: $who) { nodes { databaseId
        author { login } } } } } }"""
    body = post(hub, query, n=pr.number, who=who).json()
    got = [r["databaseId"] for r in body["data"]["repository"]["pullRequest"]["reviews"]["nodes"]]
    assert got == [r.id for r in pr.reviews if r.user == who and r.submitted_at is not None] != []
