"""The stand-in numbers a PR as GitHub does: the issues API's id (/issues, /search/issues) and
the pulls API's (/pulls, GraphQL's PullRequest.databaseId and fullDatabaseId) differ; an
Issue's GraphQL id is its issues id; `fullDatabaseId` (a BigInt) is sent as a string."""

from __future__ import annotations

import httpx
from conftest import TLS, TOKEN
from test_fakehub_graphql import post

from contribbot.fakehub import FakeHub

PT = "pytorch/pytorch"
QUERY = """query($owner: String!, $name: String!, $n: Int!) { repository(owner: $owner,
  name: $name) { issueOrPullRequest(number: $n) { __typename
  ... on Issue { databaseId fullDatabaseId comments(first: 5) { nodes { fullDatabaseId } } }
  ... on PullRequest { databaseId fullDatabaseId
    reviews(first: 5) { nodes { databaseId fullDatabaseId } } } } } }"""


def _graphql(hub: FakeHub, number: int) -> dict:  # type: ignore[type-arg]
    body = post(hub, QUERY, owner="pytorch", name="pytorch", n=number).json()
    assert "errors" not in body, body
    return body["data"]["repository"]["issueOrPullRequest"]  # type: ignore[no-any-return]


def test_a_prs_pulls_id_is_not_its_issue_id_and_graphql_gives_the_pulls_one(hub: FakeHub):
    issues = hub.dataset.repos[PT].issues.values()
    pr = next(i for i in issues if i.is_pr and any(r.submitted_at for r in i.reviews))
    issue = next(i for i in issues if not i.is_pr and i.comments)
    with httpx.Client(
        base_url=hub.base_url, headers={"Authorization": f"token {TOKEN}"}, verify=TLS
    ) as c:
        as_issue = c.get(f"/repos/{PT}/issues/{pr.number}").json()
        as_pull = c.get(f"/repos/{PT}/pulls/{pr.number}").json()
        listed = {p["number"]: p["id"] for p in c.get(f"/repos/{PT}/pulls?state=all").json()}
        reviews = c.get(f"/repos/{PT}/pulls/{pr.number}/reviews").json()
        comments = c.get(f"/repos/{PT}/issues/{issue.number}/comments").json()
    assert as_issue["id"] == pr.id != as_pull["id"]
    assert listed.get(pr.number, as_pull["id"]) == as_pull["id"]
    node = _graphql(hub, pr.number)
    assert node["__typename"] == "PullRequest"
    assert (node["databaseId"], node["fullDatabaseId"]) == (as_pull["id"], str(as_pull["id"]))
    assert [n["fullDatabaseId"] for n in node["reviews"]["nodes"]] == [
        str(r["id"]) for r in reviews
    ][:5]
    node = _graphql(hub, issue.number)
    assert (node["databaseId"], node["fullDatabaseId"]) == (issue.id, str(issue.id))
    assert [n["fullDatabaseId"] for n in node["comments"]["nodes"]] == [
        str(c["id"]) for c in comments
    ][:5]
