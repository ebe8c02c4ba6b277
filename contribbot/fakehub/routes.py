"""The GET endpoints: (data set, request) -> status, JSON body, extra headers (pure).

Filters, sorting and pagination follow GitHub's documented defaults; bad parameter
values get GitHub's 422 "Validation Failed" so client bugs surface in tests.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode

from contribbot.fakehub.events import MAX_EVENTS, user_events
from contribbot.fakehub.model import Comment, Dataset, Issue, Repo, Review, ReviewComment, mentions
from contribbot.fakehub.realism import Realism, drop_some, search_incomplete
from contribbot.fakehub.render import JSON, Renderer
from contribbot.fakehub.search import SearchError, search_issues

T = TypeVar("T")
DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
SEARCH_CAP = 1000


@dataclass
class Reply:
    """What an endpoint answers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error response in GitHub's shape."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, **extra, "documentation_url": DOCS, "status": str(status)}


def not_found() -> ApiError:
    """GitHub's 404."""
    return ApiError(404, "Not Found")


def invalid(field_name: str, detail: str = "invalid") -> ApiError:
    """GitHub's 422 for a bad parameter."""
    return ApiError(
        422,
        "Validation Failed",
        errors=[{"resource": "Request", "field": field_name, "code": detail}],
    )


@dataclass
class Call:
    """One GET request as the endpoints see it."""

    ds: Dataset
    render: Renderer
    path: str
    params: list[tuple[str, str]]
    viewer: str | None
    now: datetime
    hidden: frozenset[str]
    realism: Realism = field(default_factory=Realism)
    event_delays: dict[str, timedelta] = field(default_factory=dict)
    # how often each search page was asked for (Realism.incomplete_search), kept by the hub
    search_attempts: Counter[tuple[str, ...]] = field(default_factory=Counter)
    unkind: Counter[str] = field(default_factory=Counter)  # realism faults served, by switch

    @property
    def query(self) -> dict[str, str]:
        """Parameters by name (the last one wins, as in most web frameworks)."""
        return dict(self.params)

    def choice(self, name: str, allowed: Sequence[str], default: str) -> str:
        """A parameter restricted to allowed values."""
        value = self.query.get(name, default)
        if value not in allowed:
            raise invalid(name)
        return value

    def since(self) -> datetime | None:
        """The `since` parameter as an aware datetime."""
        raw = self.query.get("since")
        return None if raw is None else parse_time(raw, "since")

    def repo(self, owner: str, name: str) -> Repo:
        """The repository (names are case-insensitive); 404 when missing or hidden."""
        wanted = f"{owner}/{name}".lower()
        for full_name, repo in self.ds.repos.items():
            if full_name.lower() == wanted and full_name not in self.hidden:
                return repo
        raise not_found()

    def item(self, owner: str, name: str, number: str, *, pr: bool = False) -> Issue:
        """An issue (or, with pr, a pull request) by number; 404 otherwise."""
        found = self.repo(owner, name).issues.get(int(number))
        if found is None or (pr and not found.is_pr):
            raise not_found()
        return found

    def can_see(self, review: Review) -> bool:
        """PENDING reviews are visible to their author only."""
        return review.submitted_at is not None or review.user == self.viewer


def parse_time(raw: str, name: str) -> datetime:
    """An ISO 8601 parameter; naive times are UTC."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as err:
        raise invalid(name) from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def paginate(
    call: Call, items: Sequence[T], render: Callable[[T], JSON], cap: int | None = None
) -> Reply:
    """One page of items with GitHub's Link header (`cap` limits reachable items)."""
    per_page, page = _page_params(call)
    reachable = len(items) if cap is None else min(len(items), cap)
    last = max(1, math.ceil(reachable / per_page))
    start = (page - 1) * per_page
    chunk = items[start : min(start + per_page, reachable)]
    rels = []
    if page > 1:
        rels.append(("prev", page - 1))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    headers = {"Link": ", ".join(f'<{_page_url(call, n)}>; rel="{rel}"' for rel, n in rels)}
    return Reply(200, [render(x) for x in chunk], headers if rels else {})


def _page_params(call: Call) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = call.query.get(name, "")
        return int(raw) if raw.isdigit() and int(raw) > 0 else default

    return min(number("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE), number("page", 1)


def _page_url(call: Call, page: int) -> str:
    params = [(k, v) for k, v in call.params if k != "page"] + [("page", str(page))]
    return f"{call.render.base}{call.path}?{urlencode(params)}"


def _ordered(items: list[T], key: Callable[[T], Any], direction: str) -> list[T]:
    return sorted(items, key=key, reverse=direction == "desc")


# endpoints -----------------------------------------------------------------------------


def get_user(call: Call) -> Reply:
    """GET /user."""
    if call.viewer is None:
        raise ApiError(401, "Requires authentication")
    return Reply(200, call.render.profile(call.viewer, private=True))


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
    return paginate(call, _ordered(found, keys[sort], direction), call.render.issue)


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
    return _ordered(items, lambda x: key(x)[sort], direction)


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
    return paginate(call, _ordered(found, keys[sort], direction), call.render.pull)


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
    per_page, page = _page_params(call)
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
