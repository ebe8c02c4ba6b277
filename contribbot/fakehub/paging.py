"""What every endpoint shares: the request as endpoints see it (Call), GitHub-shaped
errors (ApiError), and pagination with GitHub's Link header (pure)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from contribbot.fakehub.model import Dataset, Issue, Repo, Review
from contribbot.fakehub.realism import Realism
from contribbot.fakehub.render import JSON, Renderer

T = TypeVar("T")
DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100


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
    per_page, page = page_params(call)
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


def page_params(call: Call) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = call.query.get(name, "")
        return int(raw) if raw.isdigit() and int(raw) > 0 else default

    return min(number("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE), number("page", 1)


def _page_url(call: Call, page: int) -> str:
    params = [(k, v) for k, v in call.params if k != "page"] + [("page", str(page))]
    return f"{call.render.base}{call.path}?{urlencode(params)}"


def ordered(items: list[T], key: Callable[[T], Any], direction: str) -> list[T]:
    return sorted(items, key=key, reverse=direction == "desc")
