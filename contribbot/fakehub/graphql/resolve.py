"""The data set as GraphQL objects (pure): dicts keyed by GitHub's field names.

A field whose value is callable is a field with arguments (a connection); the executor
calls it with the query's arguments. Only the fields contribbot reads are here; a field
the schema has but these objects lack resolves to null, a field the schema lacks fails
validation before anything runs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from graphql import GraphQLResolveInfo

from contribbot.fakehub.model import Comment, Dataset, Issue, Review, TimelineEntry
from contribbot.fakehub.render_base import WEB, node_id, stamp
from contribbot.fakehub.search import SearchError, search_issues

T = TypeVar("T")
JSON = dict[str, Any]
SEARCH_CAP = 1000
SORTS = {
    "created-asc": ("created", "asc"),
    "created-desc": ("created", "desc"),
    "created": ("created", "desc"),
    "updated-asc": ("updated", "asc"),
    "updated-desc": ("updated", "desc"),
    "updated": ("updated", "desc"),
    "comments-asc": ("comments", "asc"),
    "comments-desc": ("comments", "desc"),
}
TIMELINE_TYPES = {
    "labeled": "LABELED_EVENT",
    "unlabeled": "UNLABELED_EVENT",
    "closed": "CLOSED_EVENT",
    "reopened": "REOPENED_EVENT",
    "merged": "MERGED_EVENT",
    "assigned": "ASSIGNED_EVENT",
    "unassigned": "UNASSIGNED_EVENT",
    "cross-referenced": "CROSS_REFERENCED_EVENT",
}


class QueryError(Exception):
    """An error GitHub reports in `errors` (with HTTP 200), e.g. a bad search query."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Context:
    """What one GraphQL request sees: the data set, who asks, when, what is hidden."""

    ds: Dataset
    viewer: str
    now: datetime
    hidden: frozenset[str]
    rate_limit: Callable[[], JSON]


def big_int(value: int) -> str:
    """A `BigInt` as GitHub serializes it: a string (it may not fit 32 bits)."""
    return str(value)


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """Look the field up in a dict; call it with the arguments when it is a function."""
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(**args) if callable(value) else value


def resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract: Any) -> str | None:
    """The concrete type of a union or interface member: its `__typename`."""
    return value.get("__typename") if isinstance(value, dict) else None


def root(ctx: Context) -> JSON:
    """The Query object."""
    return {
        "search": lambda **a: _search(ctx, **a),
        "rateLimit": lambda **a: ctx.rate_limit(),
        "viewer": _actor(ctx, ctx.viewer),
        "repository": lambda **a: _repository(ctx, a["owner"], a["name"]),
    }


# search -------------------------------------------------------------------------------


def split_sort(query: str) -> tuple[str, str | None, str]:
    """(query without `sort:`, sort key, order): GraphQL search puts the sort in the text."""
    kept, sort, order = [], None, "desc"
    for word in query.split():
        if word.lower().startswith("sort:"):
            wanted = SORTS.get(word[5:].lower())
            if wanted is None:
                raise QueryError("INVALID_SEARCH", f"unknown sort {word[5:]!r}")
            sort, order = wanted
        else:
            kept.append(word)
    return " ".join(kept), sort, order


def _search(ctx: Context, *, query: str, type: str, **page: Any) -> JSON:  # noqa: A002
    if type != "ISSUE":
        return _connection([], page, lambda x: x, extra={"issueCount": 0})
    text, sort, order = split_sort(query)
    try:
        found = search_issues(ctx.ds, text, ctx.hidden, sort, order)
    except SearchError as err:
        raise QueryError("INVALID_SEARCH", str(err)) from None
    reachable = found[:SEARCH_CAP]  # like REST, only the first 1,000 results can be paged to
    return _connection(
        reachable, page, lambda i: issue_node(ctx, i), extra={"issueCount": len(found)}
    )


# connections ------------------------------------------------------------------------


def cursor(offset: int) -> str:
    """An opaque cursor for the item at offset."""
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(text: str | None) -> int:
    if not text:
        return 0
    try:
        return int(base64.b64decode(text).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError):
        raise QueryError(
            "INVALID_CURSOR_ARGUMENTS", f"`{text}` does not appear to be a valid cursor."
        ) from None


def _connection(
    items: Sequence[T],
    page: dict[str, Any],
    render: Callable[[T], JSON],
    *,
    extra: JSON | None = None,
) -> JSON:
    start = _offset(page.get("after"))
    size = page.get("first") or page.get("last") or 0
    if page.get("first") is None and page.get("last") is not None:
        start = max(0, len(items) - size)
    chunk = list(items[start : start + size])
    nodes = [render(x) for x in chunk]
    edges = [{"node": n, "cursor": cursor(start + k)} for k, n in enumerate(nodes)]
    return {
        "nodes": nodes,
        "edges": edges,
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": start + len(chunk) < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
        **(extra or {}),
    }


# objects ----------------------------------------------------------------------------


def _actor(ctx: Context, login: str | None) -> JSON | None:
    if login is None:
        return None
    account = ctx.ds.accounts.get(login)
    kind = account.kind if account is not None else "User"
    return {
        "__typename": "Bot" if kind == "Bot" else "User",
        "login": login.removesuffix("[bot]") if kind == "Bot" else login,  # as GitHub does
        "databaseId": account.id if account is not None else None,
        "id": node_id("B" if kind == "Bot" else "U", account.id if account else 0),
        "url": f"{WEB}/{login}",
    }


def _repository(ctx: Context, owner: str, name: str) -> JSON | None:
    wanted = f"{owner}/{name}".lower()
    repo = next(
        (r for n, r in ctx.ds.repos.items() if n.lower() == wanted and n not in ctx.hidden), None
    )
    if repo is None:
        raise QueryError(
            "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
        )

    def by_number(number: int, pr: bool | None = None) -> JSON | None:
        found = repo.issues.get(number)
        if found is None or (pr is not None and found.is_pr != pr):
            return None
        return issue_node(ctx, found)

    return {
        "__typename": "Repository",
        "nameWithOwner": repo.full_name,
        "name": repo.name,
        "databaseId": repo.id,
        "issueOrPullRequest": lambda number: by_number(number),
        "issue": lambda number: by_number(number, False),
        "pullRequest": lambda number: by_number(number, True),
    }


def _repo_ref(ctx: Context, full_name: str) -> JSON:
    repo = ctx.ds.repos[full_name]
    return {
        "__typename": "Repository",
        "nameWithOwner": full_name,
        "name": repo.name,
        "databaseId": repo.id,
        "owner": {"__typename": "Organization", "login": repo.owner},
    }


def issue_node(ctx: Context, issue: Issue) -> JSON:
    """An Issue or PullRequest object."""
    kind = "PullRequest" if issue.is_pr else "Issue"
    state = issue.state.upper()
    if issue.is_pr and issue.merged_at is not None:
        state = "MERGED"
    # a PR's database id is the pulls API's, not the issues API's (GitHub's two sequences)
    ident = issue.pull_id if issue.is_pr else issue.id
    node: JSON = {
        "__typename": kind,
        "id": node_id("PR" if issue.is_pr else "I", ident),
        "databaseId": ident,
        "fullDatabaseId": big_int(ident),
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": state,
        "createdAt": stamp(issue.created_at),
        "updatedAt": stamp(issue.updated_at),
        "closedAt": stamp(issue.closed_at),
        "closed": issue.state == "closed",
        "url": f"{WEB}/{issue.repo}/{'pull' if issue.is_pr else 'issues'}/{issue.number}",
        "author": _actor(ctx, issue.user),
        "authorAssociation": ctx.ds.association(issue.repo, issue.user),
        "repository": _repo_ref(ctx, issue.repo),
        "labels": lambda **a: _connection(
            issue.labels, a, lambda name: _label(ctx, issue.repo, name)
        ),
        "assignees": lambda **a: _connection(issue.assignees, a, lambda x: _actor(ctx, x) or {}),
        "comments": lambda **a: _connection(
            sorted(issue.comments, key=lambda c: c.id), a, lambda c: _comment(ctx, c)
        ),
        "timelineItems": lambda **a: _timeline(ctx, issue, a),
    }
    if issue.is_pr:
        node.update(
            isDraft=issue.draft,
            merged=issue.merged_at is not None,
            mergedAt=stamp(issue.merged_at),
            reviews=lambda **a: _reviews(ctx, issue, a),
        )
    else:
        node["stateReason"] = issue.state_reason.upper() if issue.state_reason else None
    return node


def _label(ctx: Context, repo: str, name: str) -> JSON:
    found = ctx.ds.repos[repo].labels.get(name)
    ident = found.id if found is not None else 0
    color = found.color if found is not None else "ededed"
    return {"__typename": "Label", "id": node_id("LA", ident), "name": name, "color": color}


def _comment(ctx: Context, comment: Comment) -> JSON:
    issue = comment.issue
    return {
        "__typename": "IssueComment",
        "id": node_id("IC", comment.id),
        "databaseId": comment.id,
        "fullDatabaseId": big_int(comment.id),
        "author": _actor(ctx, comment.user),
        "authorAssociation": ctx.ds.association(comment.repo, comment.user),
        "body": comment.body,
        "createdAt": stamp(comment.created_at),
        "updatedAt": stamp(comment.updated_at),
        "url": f"{WEB}/{issue.repo}/{'pull' if issue.is_pr else 'issues'}/"
        f"{issue.number}#issuecomment-{comment.id}",
    }


def _reviews(ctx: Context, pr: Issue, args: dict[str, Any]) -> JSON:
    author = (args.get("author") or "").lower()
    states: Collection[str] = args.get("states") or ()
    found = [
        r
        for r in sorted(pr.reviews, key=lambda r: r.id)
        if (r.submitted_at is not None or r.user == ctx.viewer)
        and (not author or r.user.lower() == author)
        and (not states or r.state in states)
    ]
    return _connection(found, args, lambda r: _review(ctx, r))


def _review(ctx: Context, review: Review) -> JSON:
    return {
        "__typename": "PullRequestReview",
        "id": node_id("PRR", review.id),
        "databaseId": review.id,
        "fullDatabaseId": big_int(review.id),
        "author": _actor(ctx, review.user),
        "authorAssociation": ctx.ds.association(review.repo, review.user),
        "state": review.state,
        "body": review.body,
        "createdAt": stamp(review.created_at),
        "submittedAt": stamp(review.submitted_at),
        "url": f"{WEB}/{review.repo}/pull/{review.pr_number}#pullrequestreview-{review.id}",
    }


def _timeline(ctx: Context, issue: Issue, args: dict[str, Any]) -> JSON:
    wanted = set(args.get("itemTypes") or TIMELINE_TYPES.values())
    since = args.get("since")
    found = sorted(
        (
            e
            for e in issue.timeline
            if TIMELINE_TYPES.get(e.kind) in wanted
            and (since is None or stamp(e.created_at) >= since)
        ),
        key=lambda e: (e.created_at, e.id),
    )
    return _connection(found, args, lambda e: _event(ctx, issue, e))


def _event(ctx: Context, issue: Issue, entry: TimelineEntry) -> JSON:
    typename = "".join(part.title() for part in TIMELINE_TYPES[entry.kind].split("_")[:-1])
    node: JSON = {
        "__typename": f"{typename}Event",
        "id": node_id("E", entry.id),
        "actor": _actor(ctx, entry.actor),
        "createdAt": stamp(entry.created_at),
    }
    if entry.label is not None:
        node["label"] = _label(ctx, issue.repo, entry.label)
    if entry.kind in ("closed", "reopened") and not issue.is_pr and issue.state_reason:
        node["stateReason"] = issue.state_reason.upper()
    return node
