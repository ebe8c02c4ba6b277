"""The GraphQL query builders against GitHub's schema, their points, and the parsers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import parse, validate

from contribbot.fakehub.graphql import load_schema, query_cost
from contribbot.github.graphql import (
    COMMENTS,
    REVIEWS,
    THREADS,
    TIMELINE,
    page_size,
    search_query,
    thread_query,
)
from contribbot.github.graphql_parse import (
    database_id,
    parse_graphql_issue,
    parse_item,
    parse_search,
)
from contribbot.sync.graphql import PHASES, phase_walk

# the connections each hit carries: labels and assignees, then what the phase needs
CONNECTIONS = {
    "gql-authored-issues": 3,  # + comments (their totalCount is the comment count)
    "gql-authored-prs": 5,  # + comments, all reviews, lifecycle timeline
    "gql-reviewed": 4,  # + comments, reviews
    "gql-commented-issues": 3,  # + comments (their totalCount is the comment count)
    "gql-commented-prs": 3,
}


def requests(document, variables) -> int:
    return query_cost(load_schema(), document, variables).requests


@pytest.mark.parametrize("phase", PHASES, ids=lambda p: p.name)
def test_every_phase_query_is_valid_on_githubs_schema_and_a_page_costs_one_point(phase):
    walk = phase_walk(phase, query="repo:o/r x", floor=None, updated_since=None, label="")
    request = walk.first(None)
    document = parse(request.query)
    assert validate(load_schema(), document) == []
    variables = request.params
    # GitHub's formula: 1 request for the search, 1 per hit for each nested connection
    hits = variables["first"]
    assert hits == phase.per_page == page_size(phase.parts, pr=phase.kind == "PullRequest")
    assert requests(document, variables) == 1 + CONNECTIONS[phase.name] * hits
    assert query_cost(load_schema(), document, variables).points == 1
    # one more hit a page would cost 2 points
    variables = {**variables, "first": hits + 1}
    assert query_cost(load_schema(), document, variables).points == 2
    assert variables["q"].endswith(" sort:created-asc")


def test_the_reviewed_search_asks_for_the_reviews_and_comments_only():
    (reviewed,) = [p for p in PHASES if p.name == "gql-reviewed"]
    query = search_query(reviewed.kind, reviewed.parts)
    assert "reviews(first: $threadFirst" in query and "comments(first: $threadFirst" in query
    assert "timelineItems" not in query


@pytest.mark.parametrize("part", THREADS)
def test_thread_queries_are_valid_and_cost_one_point(part):
    document = parse(thread_query(part))
    assert validate(load_schema(), document) == []
    variables = {"owner": "o", "name": "r", "number": 1, "threadFirst": 100}
    assert query_cost(load_schema(), document, variables).points == 1


def test_search_text_uses_the_rest_qualifiers_and_sorts_oldest_first():
    (phase,) = [p for p in PHASES if p.name == "gql-authored-prs"]
    walk = phase_walk(
        phase,
        query="repo:o/r author:alice is:pr",
        floor=None,
        updated_since="2025-02-03",
        label="",
    )
    assert (
        walk.first("2024-01-01").params["q"]
        == "repo:o/r author:alice is:pr created:>=2024-01-01 updated:>=2025-02-03 sort:created-asc"
    )


NODE = {
    "__typename": "PullRequest",
    "fullDatabaseId": "7",  # the pulls id: a placeholder until REST gives the issues id
    "number": 3,
    "title": "Fix",
    "body": "b",
    "createdAt": "2025-01-01T00:00:00Z",
    "updatedAt": "2025-01-02T00:00:00Z",
    "closedAt": "2025-01-02T00:00:00Z",
    "url": "https://github.com/o/r/pull/3",
    "authorAssociation": "CONTRIBUTOR",
    "author": {"__typename": "Bot", "login": "dependabot", "databaseId": 49699333},
    "repository": {"nameWithOwner": "o/r"},
    "labels": {"nodes": [{"name": "Merged"}]},
    "assignees": {"nodes": []},
    "prState": "MERGED",
    "isDraft": False,
    "mergedAt": "2025-01-02T00:00:00Z",
    "comments": {"totalCount": 4},
    "timelineItems": {
        "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
        "nodes": [
            {
                "__typename": "LabeledEvent",
                "id": "MDEyOkxhYmVsZWRFdmVudDEyMzQ1",
                "createdAt": "2025-01-02T00:00:00Z",
                "actor": {"__typename": "User", "login": "bot"},
                "label": {"name": "Merged"},
            },
            {
                "__typename": "ClosedEvent",
                "id": "CE_kwDNAXLOb_AAAA",
                "createdAt": "2025-01-02T00:00:00Z",
                "actor": None,
                "closer": {"__typename": "Commit", "oid": "abc"},
            },
        ],
    },
}


def test_a_pull_request_node_parses_like_rest_would_give_it():
    issue = parse_graphql_issue(NODE)
    assert (issue.id, issue.repo, issue.number, issue.is_pr, issue.state) == (
        -7,
        "o/r",
        3,
        True,
        "closed",
    )
    assert issue.author == "dependabot[bot]" and issue.author_kind == "Bot"  # REST's spelling
    assert issue.merged_at == datetime(2025, 1, 2, tzinfo=UTC) and issue.comments == 4
    assert issue.labels == ("Merged",) and issue.state_reason is None


def test_a_search_page_carries_the_threads_and_where_the_rest_begins():
    body = {
        "data": {
            "rateLimit": {
                "cost": 5,
                "limit": 5000,
                "remaining": 4990,
                "resetAt": "2026-01-01T00:00:00Z",
            },
            "search": {
                "issueCount": 1,
                "pageInfo": {"hasNextPage": False, "endCursor": "x"},
                "nodes": [NODE],
            },
        }
    }
    page = parse_search(body)
    assert page.next_cursor is None and page.total == 1 and page.rate.remaining == 4990
    item = parse_item(page.nodes[0], (TIMELINE,))
    events = item.threads[TIMELINE]
    assert events.after == "c1"  # a timeline longer than one page: one more query
    assert [(e.id, e.event, e.label, e.commit_id) for e in events.items] == [
        (12345, "labeled", "Merged", None),
        (1_877_999_616, "closed", None, "abc"),
    ]


def test_database_ids_come_out_of_both_kinds_of_node_id():
    # legacy: base64("012:LabeledEvent12345"); new: prefix + base64url(msgpack [0, 370, 1877999616])
    assert database_id("MDEyOkxhYmVsZWRFdmVudDEyMzQ1") == 12345
    assert database_id("LE_kwDNAXLOb_AAAA") == 1_877_999_616
    assert database_id("not an id") is None


def test_errors_beside_data_are_kept_so_the_page_is_not_saved():
    body = {
        "data": {
            "search": {
                "issueCount": 0,
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "nodes": [None],
            }
        },
        "errors": [{"message": "timeout", "path": ["search", "nodes", 0]}],
    }
    assert parse_search(body).errors


def test_a_timeline_event_without_a_readable_id_marks_the_thread_incomplete():
    node = {
        **NODE,
        "timelineItems": {
            **NODE["timelineItems"],
            "nodes": [{**NODE["timelineItems"]["nodes"][0], "id": "??"}],
        },
    }
    item = parse_item(node, (COMMENTS, REVIEWS, TIMELINE))
    events = item.threads[TIMELINE]
    assert events.items == () and not events.complete
    assert set(item.threads) == {TIMELINE}  # only the lists the node carries
