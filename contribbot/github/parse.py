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


def issue_ref_from_url(url: str) -> tuple[str, int]:
    """(owner/name, number) from an issue or PR API URL."""
    match = ISSUE_URL_RE.search(url)
    if match is None:
        raise ValueError(f"not an issue URL: {url}")
    return match.group(1), int(match.group(2))


def _account(obj: dict[str, Any] | None) -> tuple[str | None, int | None, str]:
    if not obj:
        return None, None, "User"
    login = str(obj["login"])
    kind = "Bot" if obj.get("type") == "Bot" or login.endswith(BOT_SUFFIX) else "User"
    return login, obj.get("id"), kind


def _required_time(text: str | None) -> datetime:
    moment = parse_github_time(text)
    if moment is None:
        raise ValueError("missing timestamp")
    return moment


def parse_issue(obj: dict[str, Any]) -> IssueData:
    """An issue/PR object from /issues, /issues/{n} or /search/issues."""
    author, author_id, kind = _account(obj.get("user"))
    pull = obj.get("pull_request")
    repo = repo_from_url(obj.get("repository_url") or obj["url"])
    return IssueData(
        id=int(obj["id"]),
        repo=repo,
        number=int(obj["number"]),
        is_pr=pull is not None,
        title=str(obj.get("title") or ""),
        body=str(obj.get("body") or ""),
        state=str(obj["state"]),
        state_reason=obj.get("state_reason"),
        author=author,
        author_id=author_id,
        author_kind=kind,
        author_association=obj.get("author_association"),
        created_at=_required_time(obj["created_at"]),
        updated_at=_required_time(obj["updated_at"]),
        closed_at=parse_github_time(obj.get("closed_at")),
        labels=tuple(str(label["name"]) for label in obj.get("labels") or ()),
        assignees=tuple(str(a["login"]) for a in obj.get("assignees") or ()),
        comments=int(obj.get("comments") or 0),
        html_url=str(obj["html_url"]),
        draft=bool(obj.get("draft") or False),
        merged_at=parse_github_time(pull.get("merged_at")) if pull else None,
    )


def _comment(obj: dict[str, Any], *, kind: str, parent_url: str) -> CommentData:
    author, author_id, author_kind = _account(obj.get("user"))
    repo, number = issue_ref_from_url(obj[parent_url])
    return CommentData(
        id=int(obj["id"]),
        kind=kind,
        repo=repo,
        number=number,
        author=author,
        author_id=author_id,
        author_kind=author_kind,
        author_association=obj.get("author_association"),
        created_at=_required_time(obj["created_at"]),
        updated_at=_required_time(obj["updated_at"]),
        body=str(obj.get("body") or ""),
        html_url=str(obj["html_url"]),
        review_id=obj.get("pull_request_review_id"),
    )


def parse_issue_comment(obj: dict[str, Any]) -> CommentData:
    """A conversation comment from /issues/comments or /issues/{n}/comments."""
    return _comment(obj, kind="issue", parent_url="issue_url")


def parse_review_comment(obj: dict[str, Any]) -> CommentData:
    """An inline review comment from /pulls/comments or /pulls/{n}/comments."""
    return _comment(obj, kind="review", parent_url="pull_request_url")


def parse_review(obj: dict[str, Any]) -> ReviewData:
    """A review from /pulls/{n}/reviews."""
    reviewer, reviewer_id, kind = _account(obj.get("user"))
    return ReviewData(
        id=int(obj["id"]),
        reviewer=reviewer,
        reviewer_id=reviewer_id,
        reviewer_kind=kind,
        state=str(obj["state"]),
        submitted_at=parse_github_time(obj.get("submitted_at")),
        author_association=obj.get("author_association"),
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
        created_at=_required_time(obj["created_at"]),
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
