"""The GET endpoints: (data set, request) -> status, JSON body, extra headers (pure).

Filters, sorting and pagination follow GitHub's documented defaults; bad parameter
values get GitHub's 422 "Validation Failed" so client bugs surface in tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote

from contribbot.fakehub.events import MAX_EVENTS, user_events
from contribbot.fakehub.model import Comment, Issue, ReviewComment, mentions
from contribbot.fakehub.paging import (
    ApiError,
    Call,
    Reply,
    not_found,
    ordered,
    page_params,
    paginate,
)
from contribbot.fakehub.realism import drop_some, search_incomplete
from contribbot.fakehub.render import JSON
from contribbot.fakehub.search import SearchError, search_issues

__all__ = ["Call", "Reply", "dispatch", "not_found"]

T = TypeVar("T")
SEARCH_CAP = 1000


# endpoints -----------------------------------------------------------------------------


def get_user(call: Call) -> Reply:
    """GET /user."""
    if call.viewer is None:
        raise ApiError(401, "Requires authentication")
    return Reply(200, call.render.profile(call.viewer, private=True))


def get_user_by_id(call: Call, account_id: str) -> Reply:
    """GET /user/{account_id}: an account by its id, whatever its login is now."""
    wanted = int(account_id)
    login = next((a.login for a in call.ds.accounts.values() if a.id == wanted), None)
    if login is None:
        raise not_found()
    return Reply(200, call.render.profile(login, private=False))


def get_profile(call: Call, username: str) -> Reply:
    """GET /users/{username}."""
    if username not in call.ds.accounts:
        raise not_found()
    return Reply(200, call.render.profile(username, private=False))


def get_repo(call: Call, owner: str, repo: str) -> Reply:
    """GET /repos/{owner}/{repo}."""
    return Reply(200, call.render.repository(call.repo(owner, repo).full_name))


def list_issues(call: Call, owner: str, repo: str) -> Reply:
    """GET /repos/{o}/{r}/issues: issues and PRs with GitHub's filters."""
    state = call.choice("state", ("open", "closed", "all"), "open")
    sort = call.choice("sort", ("created", "updated", "comments"), "created")
    direction = call.choice("direction", ("asc", "desc"), "desc")
    since, query = call.since(), call.query
    wanted_labels = {n.strip().lower() for n in query.get("labels", "").split(",") if n.strip()}
    found = [
        i
        for i in call.repo(owner, repo).issues.values()
        if (state == "all" or i.state == state)
        and (since is None or i.updated_at >= since)
        and wanted_labels <= {name.lower() for name in i.labels}
        and _assignee_matches(i, query.get("assignee"))
        and ("creator" not in query or i.user.lower() == query["creator"].lower())
        and ("mentioned" not in query or query["mentioned"] in mentions(i.body))
    ]
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(i.comments), i.number),
    }
    return paginate(call, ordered(found, keys[sort], direction), call.render.issue)


def _assignee_matches(issue: Issue, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if wanted == "none":
        return not issue.assignees
    if wanted == "*":
        return bool(issue.assignees)
    return wanted.lower() in (a.lower() for a in issue.assignees)


def get_issue(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/issues/{n}."""
    return Reply(200, call.render.issue(call.item(owner, repo, number)))


def issue_comments(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/issues/{n}/comments (oldest first, `since`)."""
    since = call.since()
    found = [
        c for c in call.item(owner, repo, number).comments if since is None or c.updated_at >= since
    ]
    return paginate(call, sorted(found, key=lambda c: c.id), call.render.comment)


def _comment_order(call: Call, items: list[T], key: Callable[[T], Any]) -> list[T]:
    """`sort=created|updated` and `direction` of the repo-wide comment lists (oldest first)."""
    sort = call.choice("sort", ("created", "updated"), "created")
    direction = call.choice("direction", ("asc", "desc"), "asc")
    return ordered(items, lambda x: key(x)[sort], direction)


def _times(obj: Comment | ReviewComment) -> dict[str, tuple[datetime, int]]:
    return {"created": (obj.created_at, obj.id), "updated": (obj.updated_at, obj.id)}


def repo_issue_comments(call: Call, owner: str, repo: str) -> Reply:
    """GET /repos/{o}/{r}/issues/comments: every conversation comment in the repo."""
    since = call.since()
    found = [
        c
        for i in call.repo(owner, repo).issues.values()
        for c in i.comments
        if since is None or c.updated_at >= since
    ]
    return paginate(call, _comment_order(call, found, _times), call.render.comment)


def timeline(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/issues/{n}/timeline: stored events, comments and reviews."""
    issue = call.item(owner, repo, number)
    render = call.render
    entries: list[tuple[datetime, int, Callable[[], JSON]]] = [
        (e.created_at, e.id, partial(render.timeline_entry, issue, e)) for e in issue.timeline
    ]
    entries += [(c.created_at, c.id, partial(render.timeline_comment, c)) for c in issue.comments]
    entries += [
        (r.submitted_at, r.id, partial(render.timeline_review, r))
        for r in issue.reviews
        if r.submitted_at is not None
    ]
    entries.sort(key=lambda e: (e[0], e[1]))
    return paginate(call, entries, lambda e: e[2]())


def list_pulls(call: Call, owner: str, repo: str) -> Reply:
    """GET /repos/{o}/{r}/pulls (no `since`, as on GitHub)."""
    state = call.choice("state", ("open", "closed", "all"), "open")
    sort = call.choice("sort", ("created", "updated", "popularity", "long-running"), "created")
    direction = call.choice("direction", ("asc", "desc"), "desc" if sort == "created" else "asc")
    base = call.query.get("base")
    found = [
        i
        for i in call.repo(owner, repo).issues.values()
        if i.is_pr and (state == "all" or i.state == state) and base in (None, i.base_ref)
    ]
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "popularity": lambda i: (len(i.comments), i.number),
        "long-running": lambda i: (i.created_at, i.number),
    }
    return paginate(call, ordered(found, keys[sort], direction), call.render.pull)


def get_pull(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/pulls/{n}."""
    return Reply(200, call.render.pull(call.item(owner, repo, number, pr=True), full=True))


def pull_reviews(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/pulls/{n}/reviews (chronological; others' PENDING hidden)."""
    pr = call.item(owner, repo, number, pr=True)
    found = sorted((r for r in pr.reviews if call.can_see(r)), key=lambda r: r.id)
    return paginate(call, found, call.render.review)


def pull_files(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/pulls/{n}/files."""
    pr = call.item(owner, repo, number, pr=True)
    return paginate(call, pr.files, lambda change: call.render.file(pr, change))


def pull_comments(call: Call, owner: str, repo: str, number: str) -> Reply:
    """GET /repos/{o}/{r}/pulls/{n}/comments: inline review comments of one PR."""
    pr = call.item(owner, repo, number, pr=True)
    since = call.since()
    found = [
        c
        for c in pr.review_comments
        if call.can_see(c.review) and (since is None or c.updated_at >= since)
    ]
    return paginate(call, _comment_order(call, found, _times), call.render.review_comment)


def repo_pull_comments(call: Call, owner: str, repo: str) -> Reply:
    """GET /repos/{o}/{r}/pulls/comments: every inline review comment in the repo."""
    since = call.since()
    found = [
        c
        for i in call.repo(owner, repo).issues.values()
        for c in i.review_comments
        if call.can_see(c.review) and (since is None or c.updated_at >= since)
    ]
    return paginate(call, _comment_order(call, found, _times), call.render.review_comment)


def public_events(call: Call, username: str) -> Reply:
    """GET /users/{u}/events/public: newest first, 300 at most, 90 days back."""
    if username not in call.ds.accounts:
        raise not_found()
    found = user_events(call.ds, username, call.now, call.hidden, call.realism, call.event_delays)
    reply = paginate(call, found, call.render.event, cap=MAX_EVENTS)
    reply.headers["X-Poll-Interval"] = "60"
    return reply


def search(call: Call) -> Reply:
    """GET /search/issues: qualifiers, sort/order, and only the first 1000 results."""
    query = call.query.get("q", "").strip()
    if not query:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[{"resource": "Search", "field": "q", "code": "missing"}],
        )
    sort = call.query.get("sort")
    try:
        found = search_issues(call.ds, query, call.hidden, sort, call.query.get("order", "desc"))
    except SearchError as err:
        raise ApiError(
            422,
            "Validation Failed",
            errors=[{"resource": "Search", "field": "q", "code": "invalid", "message": str(err)}],
        ) from err
    per_page, page = page_params(call)
    if (page - 1) * per_page >= SEARCH_CAP:
        raise ApiError(
            422,
            "Cannot access beyond the first 1000 results, or the first 1000 "
            "results of a search query.",
        )
    key = tuple(f"{k}={v}" for k, v in sorted(call.params))
    incomplete = search_incomplete(call.realism, query, page, call.search_attempts[key])
    call.search_attempts[key] += 1
    if incomplete:  # the query timed out: what it found so far, on a full or short page
        call.unkind["incomplete_search"] += 1
        found = drop_some(found, call.realism, query, [i.id for i in found])
    reply = paginate(call, found, lambda i: _search_item(call, i), cap=SEARCH_CAP)
    reply.body = {
        "total_count": len(found),
        "incomplete_results": incomplete,
        "search_type": "lexical",
        "items": reply.body,
    }
    return reply


def _search_item(call: Call, issue: Issue) -> JSON:
    """An issue as search lists it: with a `score`, without `closed_by`."""
    item = {**call.render.issue(issue), "score": 1.0}
    item.pop("closed_by", None)
    return item


REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
ROUTES: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
    (re.compile(pattern + r"/?$"), handler)
    for pattern, handler in (
        (r"^/user", get_user),
        (r"^/user/(?P<account_id>\d+)", get_user_by_id),
        (r"^/users/(?P<username>[^/]+)", get_profile),
        (r"^/users/(?P<username>[^/]+)/events/public", public_events),
        (r"^/search/issues", search),
        ("^" + REPO, get_repo),
        ("^" + REPO + r"/issues", list_issues),
        ("^" + REPO + r"/issues/comments", repo_issue_comments),
        ("^" + REPO + r"/issues/(?P<number>\d+)", get_issue),
        ("^" + REPO + r"/issues/(?P<number>\d+)/comments", issue_comments),
        ("^" + REPO + r"/issues/(?P<number>\d+)/timeline", timeline),
        ("^" + REPO + r"/pulls", list_pulls),
        ("^" + REPO + r"/pulls/comments", repo_pull_comments),
        ("^" + REPO + r"/pulls/(?P<number>\d+)", get_pull),
        ("^" + REPO + r"/pulls/(?P<number>\d+)/reviews", pull_reviews),
        ("^" + REPO + r"/pulls/(?P<number>\d+)/files", pull_files),
        ("^" + REPO + r"/pulls/(?P<number>\d+)/comments", pull_comments),
    )
]


def dispatch(call: Call) -> Reply:
    """Answer a GET request, turning ApiError into its response."""
    try:
        for pattern, handler in ROUTES:
            match = pattern.match(call.path)
            if match:
                args = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(call, **args)
        raise not_found()
    except ApiError as err:
        return Reply(err.status, err.body)
