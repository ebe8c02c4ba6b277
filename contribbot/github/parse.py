"""Pure parsing of GitHub REST JSON into plain data. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contribbot.timeutil import parse_github_time

LINK_RE = re.compile(r'<([^>]+)>;\s*rel="([a-z]+)"')
ISSUE_URL_RE = re.compile(r"/repos/([^/]+/[^/]+)/(?:issues|pulls)/(\d+)$")
BOT_SUFFIX = "[bot]"


@dataclass(frozen=True)
class RateLimit:
    """The `x-ratelimit-*` headers of one response."""

    resource: str
    limit: int
    remaining: int
    used: int
    reset: datetime


@dataclass(frozen=True)
class IssueData:
    """An issue or PR as the issues list, the issue endpoint or search returns it."""

    id: int
    repo: str
    number: int
    is_pr: bool
    title: str
    body: str
    state: str
    state_reason: str | None
    author: str | None
    author_id: int | None
    author_kind: str
    author_association: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    comments: int
    html_url: str
    draft: bool
    merged_at: datetime | None


@dataclass(frozen=True)
class CommentData:
    """A conversation comment (kind "issue") or an inline review comment (kind "review")."""

    id: int
    kind: str
    repo: str
    number: int
    author: str | None
    author_id: int | None
    author_kind: str
    author_association: str | None
    created_at: datetime
    updated_at: datetime
    body: str
    html_url: str
    review_id: int | None


@dataclass(frozen=True)
class ReviewData:
    """A review of a PR."""

    id: int
    reviewer: str | None
    reviewer_id: int | None
    reviewer_kind: str
    state: str
    submitted_at: datetime | None
    author_association: str | None


@dataclass(frozen=True)
class EventData:
    """A public user event, reduced to what the sync follows up on."""

    id: int
    type: str
    repo: str
    number: int | None
    created_at: datetime


def parse_rate_limit(headers: dict[str, Any]) -> RateLimit | None:
    """Read `x-ratelimit-*` (header names in any case); None when absent."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        return RateLimit(
            resource=str(lower.get("x-ratelimit-resource", "core")),
            limit=int(lower["x-ratelimit-limit"]),
            remaining=int(lower["x-ratelimit-remaining"]),
            used=int(lower.get("x-ratelimit-used", 0)),
            reset=datetime.fromtimestamp(int(lower["x-ratelimit-reset"]), UTC),
        )
    except (KeyError, ValueError):
        return None


def parse_links(header: str | None) -> dict[str, str]:
    """The rel -> URL map of a `Link` header."""
    return {rel: url for url, rel in LINK_RE.findall(header or "")}


def repo_from_url(url: str) -> str:
    """`owner/name` from an API URL such as .../repos/owner/name/issues/3."""
    marker = "/repos/"
    tail = url[url.index(marker) + len(marker) :]
    owner, name = tail.split("/")[:2]
    return f"{owner}/{name}"


def item_repo(obj: dict[str, Any]) -> str | None:
    """The repo a listed issue, PR or comment names in its API URLs (`owner/name`), if any."""
    for key in ("repository_url", "issue_url", "pull_request_url"):
        url = obj.get(key)
        if isinstance(url, str) and "/repos/" in url:
            return repo_from_url(url)
    return None


def issue_ref_from_url(url: str) -> tuple[str, int]:
    """(owner/name, number) from an issue or PR API URL."""
    match = ISSUE_URL_RE.search(url)
    if match is None:
        raise ValueError(f"not an issue URL: {url}")
    return match.group(1), int(match.group(2))


@dataclass(frozen=True)
class Spelling:
    """How one API names the fields the row parsers read: REST's snake_case, GraphQL's
    camelCase. One parser per row type serves both, so both give the very same rows."""

    id: str
    author: str
    association: str
    created: str
    updated: str
    closed: str
    submitted: str
    url: str
    draft: str


_NAMES = {  # Spelling's field: (REST's name, GraphQL's)
    "id": ("id", "fullDatabaseId"),  # a BigInt: GraphQL sends it as a string
    "author": ("user", "author"),
    "association": ("author_association", "authorAssociation"),
    "created": ("created_at", "createdAt"),
    "updated": ("updated_at", "updatedAt"),
    "closed": ("closed_at", "closedAt"),
    "submitted": ("submitted_at", "submittedAt"),
    "url": ("html_url", "url"),
    "draft": ("draft", "isDraft"),
}
REST = Spelling(**{name: pair[0] for name, pair in _NAMES.items()})
GRAPHQL = Spelling(**{name: pair[1] for name, pair in _NAMES.items()})


def account(obj: dict[str, Any] | None) -> tuple[str | None, int | None, str]:
    """(login, database id, "User" or "Bot") of a REST user or a GraphQL actor; a GraphQL
    Bot's login gets REST's `[bot]` suffix (GraphQL says `dependabot`, REST `dependabot[bot]`)."""
    if not obj:
        return None, None, "User"
    login = str(obj["login"])
    if obj.get("__typename") == "Bot" and not login.endswith(BOT_SUFFIX):
        login += BOT_SUFFIX
    bot = "Bot" in (obj.get("type"), obj.get("__typename")) or login.endswith(BOT_SUFFIX)
    ident = obj["databaseId"] if "databaseId" in obj else obj.get("id")
    return login, ident, "Bot" if bot else "User"


def required_time(text: str | None) -> datetime:
    """A timestamp that must be there (ValueError when it is not)."""
    moment = parse_github_time(text)
    if moment is None:
        raise ValueError("missing timestamp")
    return moment


def pull_placeholder(pulls_id: int) -> int:
    """The row id of a PR known only by its pulls API id (GraphQL's `fullDatabaseId` of a
    PullRequest), until a REST payload gives its issues API id: GitHub numbers a PR in both
    sequences and the two always differ, so the placeholder is negative, never a REST id."""
    return -abs(pulls_id)


def is_placeholder(ident: int) -> bool:
    """Whether a stored issue id is a PR's placeholder (see pull_placeholder)."""
    return ident < 0


@dataclass(frozen=True)
class IssueFacts:
    """What REST and GraphQL carry in different shapes, read by each side's parser."""

    repo: str
    is_pr: bool
    state: str
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    comments: int
    merged_at: datetime | None


def issue_row(obj: dict[str, Any], facts: IssueFacts, spelling: Spelling = REST) -> IssueData:
    """An issue/PR row from the fields both APIs share, plus the `facts` read elsewhere."""
    s = spelling
    author, author_id, kind = account(obj.get(s.author))
    return IssueData(
        id=int(obj[s.id]),
        repo=facts.repo,
        number=int(obj["number"]),
        is_pr=facts.is_pr,
        title=str(obj.get("title") or ""),
        body=str(obj.get("body") or ""),
        state=facts.state,
        state_reason=facts.state_reason,
        author=author,
        author_id=author_id,
        author_kind=kind,
        author_association=obj.get(s.association),
        created_at=required_time(obj[s.created]),
        updated_at=required_time(obj[s.updated]),
        closed_at=parse_github_time(obj.get(s.closed)),
        labels=facts.labels,
        assignees=facts.assignees,
        comments=facts.comments,
        html_url=str(obj[s.url]),
        draft=bool(obj.get(s.draft) or False),
        merged_at=facts.merged_at,
    )


def parse_issue(obj: dict[str, Any]) -> IssueData:
    """An issue/PR object from /issues, /issues/{n} or /search/issues."""
    pull = obj.get("pull_request")
    facts = IssueFacts(
        repo=repo_from_url(obj.get("repository_url") or obj["url"]),
        is_pr=pull is not None,
        state=str(obj["state"]),
        state_reason=obj.get("state_reason"),
        labels=tuple(str(label["name"]) for label in obj.get("labels") or ()),
        assignees=tuple(str(a["login"]) for a in obj.get("assignees") or ()),
        comments=int(obj.get("comments") or 0),
        merged_at=parse_github_time(pull.get("merged_at")) if pull else None,
    )
    return issue_row(obj, facts)


def comment_row(
    obj: dict[str, Any],
    *,
    kind: str,
    repo: str,
    number: int,
    review_id: int | None = None,
    spelling: Spelling = REST,
) -> CommentData:
    """A comment row (REST or GraphQL spelling) under issue `number` of `repo`."""
    s = spelling
    author, author_id, author_kind = account(obj.get(s.author))
    return CommentData(
        id=int(obj[s.id]),
        kind=kind,
        repo=repo,
        number=number,
        author=author,
        author_id=author_id,
        author_kind=author_kind,
        author_association=obj.get(s.association),
        created_at=required_time(obj[s.created]),
        updated_at=required_time(obj[s.updated]),
        body=str(obj.get("body") or ""),
        html_url=str(obj[s.url]),
        review_id=review_id,
    )


def _comment(obj: dict[str, Any], *, kind: str, parent_url: str) -> CommentData:
    repo, number = issue_ref_from_url(obj[parent_url])
    review_id = obj.get("pull_request_review_id")
    return comment_row(obj, kind=kind, repo=repo, number=number, review_id=review_id)


def parse_issue_comment(obj: dict[str, Any]) -> CommentData:
    """A conversation comment from /issues/comments or /issues/{n}/comments."""
    return _comment(obj, kind="issue", parent_url="issue_url")


def parse_review_comment(obj: dict[str, Any]) -> CommentData:
    """An inline review comment from /pulls/comments or /pulls/{n}/comments."""
    return _comment(obj, kind="review", parent_url="pull_request_url")


def parse_review(obj: dict[str, Any], spelling: Spelling = REST) -> ReviewData:
    """A review from /pulls/{n}/reviews (or a GraphQL PullRequestReview)."""
    reviewer, reviewer_id, kind = account(obj.get(spelling.author))
    return ReviewData(
        id=int(obj[spelling.id]),
        reviewer=reviewer,
        reviewer_id=reviewer_id,
        reviewer_kind=kind,
        state=str(obj["state"]),
        submitted_at=parse_github_time(obj.get(spelling.submitted)),
        author_association=obj.get(spelling.association),
    )


def parse_event(obj: dict[str, Any]) -> EventData:
    """A public event; `number` is the PR or issue it concerns, where it has one."""
    payload = obj.get("payload") or {}
    target = payload.get("pull_request") or payload.get("issue") or {}
    number = target.get("number")
    return EventData(
        id=int(obj["id"]),
        type=str(obj["type"]),
        repo=str(obj["repo"]["name"]),
        number=int(number) if number is not None else None,
        created_at=required_time(obj["created_at"]),
    )


LIFECYCLE_EVENTS = frozenset({"labeled", "unlabeled", "closed", "reopened", "merged"})


@dataclass(frozen=True)
class LifecycleEvent:
    """One timeline event that can land, revert or close a PR (labels, close, reopen, merge)."""

    id: int
    event: str
    at: datetime
    actor: str | None = None
    label: str | None = None  # labeled / unlabeled only
    commit_id: str | None = None  # a close or merge made by a commit


def parse_lifecycle_event(obj: dict[str, Any]) -> LifecycleEvent | None:
    """A timeline item as a LifecycleEvent; None for the other kinds (comments, commits...)."""
    kind = obj.get("event")
    at = parse_github_time(obj.get("created_at"))
    if kind not in LIFECYCLE_EVENTS or at is None or obj.get("id") is None:
        return None
    label = obj.get("label") or {}
    actor = obj.get("actor") or {}
    return LifecycleEvent(
        id=int(obj["id"]),
        event=str(kind),
        at=at,
        actor=actor.get("login"),
        label=label.get("name") if kind in ("labeled", "unlabeled") else None,
        commit_id=obj.get("commit_id"),
    )
