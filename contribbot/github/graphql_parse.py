"""GraphQL answers as the REST parser's rows (pure): the same IssueData, CommentData,
ReviewData and LifecycleEvent, built by parse.py's shared row functions."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from contribbot.github.errors import BadRequest, reason_text
from contribbot.github.graphql import COMMENTS, REVIEWS, TIMELINE
from contribbot.github.parse import (
    GRAPHQL,
    IssueData,
    IssueFacts,
    LifecycleEvent,
    RateLimit,
    account,
    comment_row,
    issue_row,
    parse_review,
    pull_placeholder,
)
from contribbot.timeutil import parse_github_time

EVENT_NAMES = {
    "LabeledEvent": "labeled",
    "UnlabeledEvent": "unlabeled",
    "ClosedEvent": "closed",
    "ReopenedEvent": "reopened",
    "MergedEvent": "merged",
}
_KEYS = {COMMENTS: "comments", REVIEWS: "reviews", TIMELINE: "timelineItems"}


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
    threads: dict[str, Thread] = field(default_factory=dict)  # by part (COMMENTS...)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: its hits (nodes, for `parse_item`), where the next page
    starts, the budget after it, and errors (a partial page: keep nothing of it)."""

    nodes: tuple[dict[str, Any], ...]
    next_cursor: str | None
    total: int
    rate: RateLimit | None = None
    errors: tuple[dict[str, Any], ...] = field(default_factory=tuple)


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
    return SearchPage(
        nodes=tuple(node for node in search.get("nodes") or () if node),
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
    return _thread(node, part, repo, number)


def parse_item(
    node: dict[str, Any], parts: tuple[str, ...] = (COMMENTS, REVIEWS, TIMELINE)
) -> Item:
    """A search node as an Item (an issue with the nested lists of `parts` in it)."""
    issue = parse_graphql_issue(node)
    threads = {
        part: _thread(node, part, issue.repo, issue.number)
        for part in parts
        if isinstance(node.get(_KEYS.get(part, "")), dict) and "nodes" in node[_KEYS[part]]
    }
    return Item(issue, threads)


def _thread(node: dict[str, Any], part: str, repo: str, number: int) -> Thread:
    conn = node.get(_KEYS[part]) or {}
    info = conn.get("pageInfo") or {}
    after = info.get("endCursor") if info.get("hasNextPage") else None
    raw = [n for n in conn.get("nodes") or () if n]
    if part == COMMENTS:
        rows = (
            comment_row(c, kind="issue", repo=repo, number=number, spelling=GRAPHQL) for c in raw
        )
        return Thread(tuple(rows), after)
    if part == REVIEWS:
        return Thread(tuple(parse_review(r, GRAPHQL) for r in raw), after)
    events = [_event(e) for e in raw if e.get("__typename") in EVENT_NAMES]
    kept = tuple(e for e in events if e is not None)
    return Thread(kept, after, complete=len(kept) == len(events))


def parse_graphql_issue(node: dict[str, Any]) -> IssueData:
    """An Issue or PullRequest node as the IssueData the REST parser would give."""
    is_pr = node.get("__typename") == "PullRequest"
    state = str(node.get("prState" if is_pr else "issueState") or "OPEN")
    reason = node.get("stateReason")
    facts = IssueFacts(
        repo=str(node["repository"]["nameWithOwner"]),
        is_pr=is_pr,
        state="open" if state == "OPEN" else "closed",
        state_reason=str(reason).lower() if reason and not is_pr else None,
        labels=tuple(str(x["name"]) for x in (node.get("labels") or {}).get("nodes") or ()),
        assignees=tuple(str(x["login"]) for x in (node.get("assignees") or {}).get("nodes") or ()),
        comments=int((node.get("comments") or {}).get("totalCount") or 0),
        merged_at=parse_github_time(node.get("mergedAt")) if is_pr else None,
    )
    row = issue_row(node, facts, GRAPHQL)
    # a PullRequest's fullDatabaseId is its pulls id, not the issues id REST keys it on
    return replace(row, id=pull_placeholder(row.id)) if is_pr else row


def _event(obj: dict[str, Any]) -> LifecycleEvent | None:
    name = EVENT_NAMES.get(str(obj.get("__typename")))
    at = parse_github_time(obj.get("createdAt"))
    ident = database_id(str(obj.get("id") or ""))
    if name is None or at is None or ident is None:
        return None
    actor, _, _ = account(obj.get("actor"))
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
