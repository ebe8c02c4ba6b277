"""GraphQL's database ids: `fullDatabaseId` (a BigInt, sent as a string, past 32 bits on
GitHub now) read as an int; a PullRequest's is its pulls id, so it becomes a placeholder."""

from __future__ import annotations

from test_github_graphql import NODE

from contribbot.github.graphql import COMMENTS, REVIEWS, search_query, thread_query
from contribbot.github.graphql_parse import parse_graphql_issue, parse_item
from contribbot.github.parse import is_placeholder, pull_placeholder

BIG = 2**31 + 12345  # past GraphQL's 32-bit Int (and databaseId's reach)
HUGE = 2**53 + 1  # past a float's integers: only a string carries it exactly
ACTOR = {"__typename": "User", "login": "bob", "databaseId": 2}


def test_full_database_ids_past_32_bits_parse_as_ints():
    node = {
        **NODE,
        "fullDatabaseId": str(BIG),
        "comments": {
            "totalCount": 1,
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [
                {
                    "fullDatabaseId": str(HUGE),
                    "author": ACTOR,
                    "authorAssociation": "MEMBER",
                    "createdAt": "2025-01-01T00:00:00Z",
                    "updatedAt": "2025-01-01T00:00:00Z",
                    "body": "hi",
                    "url": "https://github.com/o/r/pull/3#issuecomment-1",
                }
            ],
        },
        "reviews": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [
                {
                    "fullDatabaseId": str(BIG + 1),
                    "author": ACTOR,
                    "authorAssociation": "MEMBER",
                    "state": "APPROVED",
                    "submittedAt": "2025-01-01T00:00:00Z",
                }
            ],
        },
    }
    item = parse_item(node, (COMMENTS, REVIEWS))
    assert item.issue.id == pull_placeholder(BIG) == -BIG and is_placeholder(item.issue.id)
    assert [c.id for c in item.threads[COMMENTS].items] == [HUGE]
    assert [r.id for r in item.threads[REVIEWS].items] == [BIG + 1]


def test_an_issue_keeps_its_id_it_is_the_issues_api_one():
    node = {**NODE, "__typename": "Issue", "fullDatabaseId": str(BIG), "issueState": "OPEN"}
    issue = parse_graphql_issue(node)
    assert (issue.id, issue.is_pr, is_placeholder(issue.id)) == (BIG, False, False)


def test_the_queries_ask_full_database_ids_not_the_32_bit_deprecated_ones():
    for query in (
        search_query("PullRequest", (COMMENTS, REVIEWS)),
        search_query("Issue", (COMMENTS,)),
        thread_query(REVIEWS),
        thread_query(COMMENTS),
    ):
        assert "fullDatabaseId" in query
        # databaseId stays only on users and bots, which have no fullDatabaseId
        actors = "... on User { databaseId } ... on Bot { databaseId }"
        assert "databaseId" not in query.replace(actors, "")
