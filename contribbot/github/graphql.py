"""GraphQL for history: the queries (pure), each asking only for what its search needs.

GitHub prices a query by adding up, for every connection, the requests needed to fill
it: one per parent node it hangs under (its own `first` does not count), divided by
100 and rounded (see fakehub/graphql/cost.py, which cites the documentation). A search
page of N hits with k nested connections thus needs 1 + k*N requests: the points come
from how many connections each hit carries and how many hits a page holds, so each
search asks for as few connections as it can, and a page holds as many hits as still
cost one point (`page_size`).
"""

from __future__ import annotations

from collections.abc import Iterable

PAGE = 100  # the most GitHub gives in one connection (`first`)
ONE_POINT = 149  # the most requests a query may need and still round to 1 point
LIFECYCLE_TYPES = (
    "LABELED_EVENT",
    "UNLABELED_EVENT",
    "CLOSED_EVENT",
    "REOPENED_EVENT",
    "MERGED_EVENT",
)
# The nested connections a search may carry, by name.
COMMENTS, REVIEWS, TIMELINE, COMMENT_COUNT = "comments", "reviews", "timeline", "comment_count"
PARTS = (COMMENTS, REVIEWS, TIMELINE, COMMENT_COUNT)
THREADS = (COMMENTS, REVIEWS, TIMELINE)  # lists read to their end, page by page
ROW_CONNECTIONS = 2  # labels and assignees: every hit's row needs them

_ACTOR = "{ __typename login ... on User { databaseId } ... on Bot { databaseId } }"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_COMMENTS = (
    "comments(first: $threadFirst, after: $threadAfter) { totalCount "
    + _PAGE_INFO
    + f" nodes {{ fullDatabaseId author {_ACTOR} authorAssociation createdAt updatedAt"
    " body url } }"
)
# All of a PR's reviews, also on PRs the user only reviewed: the report's "everyone else
# in these repos" time to first review needs the others' (`reviews(author: LOGIN)` would
# cost the same points, one request per hit, and leave them out).
_REVIEWS = (
    "reviews(first: $threadFirst, after: $threadAfter) { "
    + _PAGE_INFO
    + f" nodes {{ fullDatabaseId author {_ACTOR} authorAssociation state submittedAt }} }}"
)
_TIMELINE = (
    "timelineItems(first: $threadFirst, after: $threadAfter, itemTypes: ["
    + ", ".join(LIFECYCLE_TYPES)
    + "]) { "
    + _PAGE_INFO
    + f" nodes {{ __typename ... on LabeledEvent {{ id createdAt actor {_ACTOR} label {{ name }} }}"
    f" ... on UnlabeledEvent {{ id createdAt actor {_ACTOR} label {{ name }} }}"
    f" ... on ClosedEvent {{ id createdAt actor {_ACTOR}"
    " closer { __typename ... on Commit { oid } } }"
    f" ... on ReopenedEvent {{ id createdAt actor {_ACTOR} }}"
    f" ... on MergedEvent {{ id createdAt actor {_ACTOR} commit {{ oid }} }} }} }}"
)
_SELECTIONS = {COMMENTS: _COMMENTS, REVIEWS: _REVIEWS, TIMELINE: _TIMELINE}
# Issue, PullRequest, IssueComment and PullRequestReview: `fullDatabaseId` (a BigInt, sent
# as a string); `databaseId` is 32-bit, deprecated on PullRequest and PullRequestReview, and
# review and comment ids have outgrown it. Users and bots have only `databaseId`.
_COMMON = (
    f"fullDatabaseId number title body createdAt updatedAt closedAt url authorAssociation"
    f" author {_ACTOR} repository {{ nameWithOwner }}"
    " labels(first: 100) { nodes { name } } assignees(first: 100) { nodes { login } }"
)
RATE = "rateLimit { cost limit remaining resetAt }"


def connections(parts: Iterable[str], *, pr: bool = True) -> int:
    """How many connections each hit of a search with `parts` carries (labels and
    assignees included; the comment count rides on the comments when both are asked)."""
    chosen = set(parts)
    if COMMENTS in chosen:
        chosen.discard(COMMENT_COUNT)
    if not pr:
        chosen -= {REVIEWS, TIMELINE}
    return ROW_CONNECTIONS + len(chosen)


def page_size(parts: Iterable[str], *, pr: bool = True, most: int = PAGE) -> int:
    """The most hits a page of this search can hold and still cost one point:
    1 + connections * hits <= ONE_POINT (at most `most`)."""
    return max(1, min(most, (ONE_POINT - 1) // connections(parts, pr=pr)))


def _nested(parts: Iterable[str], *, pr: bool) -> str:
    chosen = set(parts)
    out = []
    if COMMENTS in chosen:
        out.append(_COMMENTS)
    elif COMMENT_COUNT in chosen:
        out.append("comments { totalCount }")
    out.extend(_SELECTIONS[p] for p in (REVIEWS, TIMELINE) if pr and p in chosen)
    return " ".join(out)


def search_query(kind: str, parts: Iterable[str]) -> str:
    """The search query of a phase: one type ("Issue" or "PullRequest", matching the
    search's `is:issue`/`is:pr`) with the nested connections `parts`. One type only:
    GitHub prices a connection in each fragment, so asking both types would pay twice."""
    parts = tuple(parts)
    unknown = set(parts) - set(PARTS)
    if unknown or kind not in ("Issue", "PullRequest"):
        raise ValueError(f"unknown kind or parts: {kind}, {sorted(unknown)}")
    if kind == "Issue":
        fields = f"{_COMMON} issueState: state stateReason {_nested(parts, pr=False)}"
    else:
        fields = f"{_COMMON} prState: state isDraft mergedAt {_nested(parts, pr=True)}"
    return (
        f"query($q: String!, $first: Int!, $after: String{_thread_variables(parts)}) {{ {RATE} "
        f"search(query: $q, type: ISSUE, first: $first, after: $after) {{ issueCount "
        f"{_PAGE_INFO} nodes {{ __typename ... on {kind} {{ {fields} }} }} }} }}"
    )


def _thread_variables(parts: tuple[str, ...]) -> str:
    return ", $threadFirst: Int!, $threadAfter: String" if set(THREADS) & set(parts) else ""


def thread_query(part: str) -> str:
    """The query for the next page of one item's comments, reviews or timeline."""
    if part not in THREADS:
        raise ValueError(f"not a thread: {part}")
    body = _SELECTIONS[part]
    pull = f"... on PullRequest {{ {body} }}"
    issue = f"... on Issue {{ {body} }}" if part == COMMENTS else ""
    return (
        "query($owner: String!, $name: String!, $number: Int!, $threadFirst: Int!, "
        f"$threadAfter: String) {{ {RATE} repository(owner: $owner, name: $name) {{ "
        f"issueOrPullRequest(number: $number) {{ __typename {issue} {pull} }} }} }}"
    )


def search_text(
    repo: str, qualifier: str, *, created_from: str | None, updated_since: str | None
) -> str:
    """The search string: the same qualifiers as REST, oldest first (`sort:created-asc`)."""
    text = f"repo:{repo} {qualifier}"
    if created_from:
        text += f" created:>={created_from}"
    if updated_since:
        text += f" updated:>={updated_since}"
    return f"{text} sort:created-asc"
