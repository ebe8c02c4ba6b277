"""GraphQL for history: query builders and response parsers (pure), into the REST types.

A search page carries up to 100 issues/PRs with only the nested connections its phase
needs. GitHub prices each nested connection at one request per parent node, so a page
costs about one point per connection asked for (see the stand-in's cost.py), whatever
its `first`: ask for few connections, not small pages.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contribbot.github.errors import BadRequest, reason_text
from contribbot.github.parse import (
    BOT_SUFFIX,
    CommentData,
    IssueData,
    LifecycleEvent,
    RateLimit,
    ReviewData,
)
from contribbot.timeutil import parse_github_time

PAGE = 100
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

_ACTOR = "{ __typename login ... on User { databaseId } ... on Bot { databaseId } }"
_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_COMMENTS = (
    "comments(first: $threadFirst, after: $threadAfter) { totalCount "
    + _PAGE_INFO
    + f" nodes {{ databaseId author {_ACTOR} authorAssociation createdAt updatedAt body url }} }}"
)
_REVIEWS = (
    "reviews(first: $threadFirst, after: $threadAfter) { "
    + _PAGE_INFO
    + f" nodes {{ databaseId author {_ACTOR} authorAssociation state submittedAt }} }}"
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
_COMMON = (
    f"databaseId number title body createdAt updatedAt closedAt url authorAssociation"
    f" author {_ACTOR} repository {{ nameWithOwner }}"
    " labels(first: 100) { nodes { name } } assignees(first: 100) { nodes { login } }"
)
RATE = "rateLimit { cost limit remaining resetAt }"


class GraphQLFailure(BadRequest):
    """GitHub answered with `errors` instead of the data asked for (e.g. a bad search)."""


@dataclass(frozen=True)
class Thread:
    """One nested list of an item: what came, and the cursor of the rest (None: all came)."""

    items: tuple[Any, ...] = ()
    after: str | None = None
    complete: bool = True  # False: an item could not be read (a timeline event without id)


@dataclass(frozen=True)
class Item:
    """A search hit: the issue or PR and the nested lists its phase asked for."""

    issue: IssueData
    comments: Thread | None = None
    reviews: Thread | None = None
    events: Thread | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: its items, where the next page starts, the budget after it."""

    items: tuple[Item, ...]
    next_cursor: str | None
    total: int
    rate: RateLimit | None = None
    errors: tuple[dict[str, Any], ...] = field(default_factory=tuple)


# builders -----------------------------------------------------------------------------


def _nested(parts: Iterable[str], *, pr: bool) -> str:
    chosen = set(parts)
    out = []
    if COMMENTS in chosen:
        out.append(_COMMENTS)
    elif COMMENT_COUNT in chosen:
        out.append("comments { totalCount }")
    if pr and REVIEWS in chosen:
        out.append(_REVIEWS)
    if pr and TIMELINE in chosen:
        out.append(_TIMELINE)
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
    threads = _thread_variables(parts)
    return (
        f"query($q: String!, $first: Int!, $after: String{threads}) {{ {RATE} "
        f"search(query: $q, type: ISSUE, first: $first, after: $after) {{ issueCount "
        f"{_PAGE_INFO} nodes {{ __typename ... on {kind} {{ {fields} }} }} }} }}"
    )


def _thread_variables(parts: tuple[str, ...]) -> str:
    uses = {COMMENTS, REVIEWS, TIMELINE} & set(parts)
    return ", $threadFirst: Int!, $threadAfter: String" if uses else ""


def thread_query(part: str) -> str:
    """The query for the next page of one item's comments, reviews or timeline."""
    if part not in (COMMENTS, REVIEWS, TIMELINE):
        raise ValueError(f"not a thread: {part}")
    body = {COMMENTS: _COMMENTS, REVIEWS: _REVIEWS, TIMELINE: _TIMELINE}[part]
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


# parsers ------------------------------------------------------------------------------


def parse_rate(data: dict[str, Any] | None) -> RateLimit | None:
    """The `rateLimit` object as a RateLimit of the `graphql` resource."""
    rate = (data or {}).get("rateLimit")
    reset = parse_github_time(rate.get("resetAt")) if rate else None
    if not rate or reset is None:
        return None
    limit, remaining = int(rate["limit"]), int(rate["remaining"])
    return RateLimit("graphql", limit, remaining, limit - remaining, reset)


def error_types(body: dict[str, Any]) -> set[str]:
    """The `type`s of a response's errors ("" for an error without one)."""
    return {str(e.get("type") or "") for e in body.get("errors") or ()}


def parse_search(body: dict[str, Any]) -> SearchPage:
    """A search response (maybe partial: then `errors` is set and nothing should be kept)."""
    data = body.get("data") or {}
    search = data.get("search")
    if not isinstance(search, dict):
        raise GraphQLFailure(f"GraphQL: {reason_text(_first_message(body))}", path="/graphql")
    info = search["pageInfo"]
    items = tuple(parse_item(node) for node in search.get("nodes") or () if node)
    return SearchPage(
        items=items,
        next_cursor=info["endCursor"] if info["hasNextPage"] else None,
        total=int(search.get("issueCount") or 0),
        rate=parse_rate(data),
        errors=tuple(body.get("errors") or ()),
    )


def parse_thread(body: dict[str, Any], part: str, repo: str, number: int) -> Thread:
    """The next page of one item's comments, reviews or timeline."""
    data = body.get("data") or {}
    node = ((data.get("repository") or {}).get("issueOrPullRequest")) or None
    if node is None:
        raise GraphQLFailure(f"GraphQL: {reason_text(_first_message(body))}", path="/graphql")
    return _thread(node, part, repo, number, html=str(node.get("url") or ""))


def parse_item(node: dict[str, Any]) -> Item:
    """A search node as an Item (an issue with the nested lists present in it)."""
    issue = parse_graphql_issue(node)
    threads = {
        part: _thread(node, part, issue.repo, issue.number, html=issue.html_url)
        for part in (COMMENTS, REVIEWS, TIMELINE)
        if _key(part) in node and isinstance(node[_key(part)], dict) and "nodes" in node[_key(part)]
    }
    return Item(issue, threads.get(COMMENTS), threads.get(REVIEWS), threads.get(TIMELINE))


def _key(part: str) -> str:
    return {COMMENTS: "comments", REVIEWS: "reviews", TIMELINE: "timelineItems"}[part]


def _thread(node: dict[str, Any], part: str, repo: str, number: int, *, html: str) -> Thread:
    conn = node.get(_key(part)) or {}
    info = conn.get("pageInfo") or {}
    after = info.get("endCursor") if info.get("hasNextPage") else None
    raw = [n for n in conn.get("nodes") or () if n]
    if part == COMMENTS:
        return Thread(tuple(_comment(c, repo, number) for c in raw), after)
    if part == REVIEWS:
        return Thread(tuple(_review(r) for r in raw), after)
    events = [_event(e) for e in raw if e.get("__typename") in EVENT_NAMES]
    kept = tuple(e for e in events if e is not None)
    return Thread(kept, after, complete=len(kept) == len(events))


def _account(obj: dict[str, Any] | None) -> tuple[str | None, int | None, str]:
    if not obj:
        return None, None, "User"
    login = str(obj["login"])
    is_bot = obj.get("__typename") == "Bot" or login.endswith(BOT_SUFFIX)
    if obj.get("__typename") == "Bot" and not login.endswith(BOT_SUFFIX):
        login += BOT_SUFFIX  # GraphQL says `dependabot`, REST `dependabot[bot]`
    return login, obj.get("databaseId"), "Bot" if is_bot else "User"


def _time(text: str | None) -> datetime:
    moment = parse_github_time(text)
    if moment is None:
        raise GraphQLFailure("GraphQL: an answer without a timestamp", path="/graphql")
    return moment


def parse_graphql_issue(node: dict[str, Any]) -> IssueData:
    """An Issue or PullRequest node as the IssueData the REST parser would give."""
    is_pr = node.get("__typename") == "PullRequest"
    state = str(node.get("prState" if is_pr else "issueState") or "OPEN")
    author, author_id, kind = _account(node.get("author"))
    reason = node.get("stateReason")
    comments = node.get("comments") or {}
    return IssueData(
        id=int(node["databaseId"]),
        repo=str(node["repository"]["nameWithOwner"]),
        number=int(node["number"]),
        is_pr=is_pr,
        title=str(node.get("title") or ""),
        body=str(node.get("body") or ""),
        state="open" if state == "OPEN" else "closed",
        state_reason=str(reason).lower() if reason and not is_pr else None,
        author=author,
        author_id=author_id,
        author_kind=kind,
        author_association=node.get("authorAssociation"),
        created_at=_time(node["createdAt"]),
        updated_at=_time(node["updatedAt"]),
        closed_at=parse_github_time(node.get("closedAt")),
        labels=tuple(str(x["name"]) for x in (node.get("labels") or {}).get("nodes") or ()),
        assignees=tuple(str(x["login"]) for x in (node.get("assignees") or {}).get("nodes") or ()),
        comments=int(comments.get("totalCount") or 0),
        html_url=str(node["url"]),
        draft=bool(node.get("isDraft") or False),
        merged_at=parse_github_time(node.get("mergedAt")) if is_pr else None,
    )


def _comment(obj: dict[str, Any], repo: str, number: int) -> CommentData:
    author, author_id, kind = _account(obj.get("author"))
    return CommentData(
        id=int(obj["databaseId"]),
        kind="issue",
        repo=repo,
        number=number,
        author=author,
        author_id=author_id,
        author_kind=kind,
        author_association=obj.get("authorAssociation"),
        created_at=_time(obj["createdAt"]),
        updated_at=_time(obj["updatedAt"]),
        body=str(obj.get("body") or ""),
        html_url=str(obj["url"]),
        review_id=None,
    )


def _review(obj: dict[str, Any]) -> ReviewData:
    reviewer, reviewer_id, kind = _account(obj.get("author"))
    return ReviewData(
        id=int(obj["databaseId"]),
        reviewer=reviewer,
        reviewer_id=reviewer_id,
        reviewer_kind=kind,
        state=str(obj["state"]),
        submitted_at=parse_github_time(obj.get("submittedAt")),
        author_association=obj.get("authorAssociation"),
    )


EVENT_NAMES = {
    "LabeledEvent": "labeled",
    "UnlabeledEvent": "unlabeled",
    "ClosedEvent": "closed",
    "ReopenedEvent": "reopened",
    "MergedEvent": "merged",
}


def _event(obj: dict[str, Any]) -> LifecycleEvent | None:
    name = EVENT_NAMES.get(str(obj.get("__typename")))
    at = parse_github_time(obj.get("createdAt"))
    if name is None or at is None:
        return None
    ident = database_id(str(obj.get("id") or ""))
    if ident is None:
        return None
    actor, _, _ = _account(obj.get("actor"))
    closer = obj.get("closer") or {}
    commit = obj.get("commit") or {}
    return LifecycleEvent(
        id=ident,  # REST's id, read from the node id: the same row either way
        event=name,
        at=at,
        actor=actor,
        label=(obj.get("label") or {}).get("name") if name in ("labeled", "unlabeled") else None,
        commit_id=closer.get("oid") or commit.get("oid"),
    )


def database_id(node_id: str) -> int | None:
    """The database (REST) id inside a GraphQL node id, for types without `databaseId`
    (timeline events). New ids (`LE_lADO...`) are a type prefix and base64url msgpack of
    an array whose last element is that id; legacy ones base64 of `012:LabeledEvent123`."""
    head, _, tail = node_id.partition("_")
    if tail and head.isalnum():
        try:
            raw = base64.urlsafe_b64decode(tail + "=" * (-len(tail) % 4))
            return _msgpack_last_int(raw)
        except (ValueError, IndexError):
            return None
    try:
        text = base64.b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    digits = re.search(r"(\d+)$", text)
    return int(digits.group(1)) if digits and ":" in text else None


def _msgpack_last_int(raw: bytes) -> int | None:
    """The last integer of a msgpack array of integers (what GitHub's node ids hold)."""
    if not raw or not 0x90 <= raw[0] <= 0x9F:
        return None
    pos, last = 1, None
    sizes = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
    for _ in range(raw[0] & 0x0F):
        tag = raw[pos]
        if tag <= 0x7F:
            last, pos = tag, pos + 1
        elif tag in sizes:
            width = sizes[tag]
            signed = tag >= 0xD0
            last = int.from_bytes(raw[pos + 1 : pos + 1 + width], "big", signed=signed)
            pos += 1 + width
        else:
            return None
    return last


def _first_message(body: dict[str, Any]) -> str:
    errors = body.get("errors") or [{}]
    return str(errors[0].get("message") or "GitHub's GraphQL API answered without data")


def reset_time(rate: RateLimit | None, headers: dict[str, Any]) -> datetime | None:
    """When the GraphQL budget resets: from `rateLimit` or the x-ratelimit-reset header."""
    if rate is not None:
        return rate.reset
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        return datetime.fromtimestamp(int(lower["x-ratelimit-reset"]), UTC)
    except (KeyError, ValueError):
        return None
