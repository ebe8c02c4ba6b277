"""The knobs tests turn on a running FakeHub: rate limits, faults, late events, revoked
tokens, hidden repositories, and the request log they read back."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from contribbot.fakehub.events import event_id
from contribbot.fakehub.limits import FAULT_KINDS, Fault, RateLimiter
from contribbot.fakehub.model import Dataset

_REPO_PATH = re.compile(r"^/repos/(?P<name>[^/]+/[^/]+)(?P<rest>/.*)?$")
_ID_PATH = re.compile(r"^/repositories/(?P<id>\d+)(?P<rest>/.*)?$")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the server saw; status 0 means the connection was dropped."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    conditional: bool
    counted: bool
    resource: str
    login: str | None
    points: int = 1  # what it cost: GraphQL queries cost their points


class Knobs:
    """Mixed into FakeHub; needs its lock, limiter, faults, delays, tokens and log."""

    _lock: threading.RLock
    _limiter: RateLimiter
    _faults: list[Fault]
    _event_delays: dict[str, timedelta]
    _hidden: set[str]
    _log: list[RequestRecord]
    _moved: dict[str, str]
    tokens: dict[str, str]
    dataset: Dataset

    def set_rate_limit(
        self, limit: int, window_s: float | None = None, *, resource: str = "core"
    ) -> None:
        """Change a resource's limit per token (and window), restarting its windows."""
        with self._lock:
            self._limiter.configure(resource, limit, window_s)

    def inject(self, path_regex: str, kind: str, times: int = 1, **opts: Any) -> None:
        """Fail the next `times` matching requests: 500, 502, 503, drop, secondary, 429.

        `retry_after=None` leaves the retry-after header out (secondary, 429)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        retry_after = opts.get("retry_after", 1)  # None: no retry-after header at all
        fault = Fault(
            re.compile(path_regex), kind, times, None if retry_after is None else int(retry_after)
        )
        with self._lock:
            self._faults.append(fault)

    def delay_event(self, object_id: int, delay: timedelta) -> None:
        """Make the public event of a comment, review or timeline entry appear `delay` late."""
        with self._lock:
            self._event_delays[event_id(object_id)] = delay

    def revoke(self, token: str) -> None:
        """Forget a token: from now on it gets 401 Bad credentials."""
        with self._lock:
            self.tokens.pop(token, None)

    def hide_repo(self, full_name: str) -> None:
        """Make a repository 404 (and vanish from search and events)."""
        with self._lock:
            self._hidden.add(full_name)

    def show_repo(self, full_name: str) -> None:
        """Undo hide_repo."""
        with self._lock:
            self._hidden.discard(full_name)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen since the last clear_requests(), oldest first."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._lock:
            self._log.clear()

    def spent(self, resource: str | None = None) -> int:
        """How many logged requests counted against a rate limit (of resource, if given)."""
        with self._lock:
            return sum(1 for r in self._log if r.counted and resource in (None, r.resource))

    def rename_repo(self, old: str, new: str) -> None:
        """Rename or transfer a repository, as GitHub does: its issues now say `new`, and
        requests for `old` get a 301 to /repositories/{id}, which is answered."""
        owner, name = new.split("/")
        with self._lock:
            repo = self.dataset.repos.pop(old)
            repo.owner, repo.name = owner, name
            for issue in repo.issues.values():
                issue.repo = new
            self.dataset.repos[new] = repo
            self.dataset.forget_associations()
            self._moved[old.lower()] = new

    def rename_user(self, old: str, new: str) -> None:
        """Rename an account, as GitHub does: same id, every item now names `new`, the old
        login is a 404 (GitHub redirects no API request for it) and /user/{id} names `new`."""
        with self._lock:
            self.dataset.rename_account(old, new)
            self.tokens.update({t: new for t, login in self.tokens.items() if login == old})

    def redirect_for(self, path: str, query: str, base_url: str) -> str | None:
        """Where GitHub's 301 sends a request for a moved repo's old name, or None."""
        match = _REPO_PATH.match(path)
        to = self._moved.get(match.group("name").lower()) if match else None
        if match is None or to is None:
            return None
        where = f"{base_url}/repositories/{self.dataset.repos[to].id}{match.group('rest') or ''}"
        return f"{where}?{query}" if query else where

    def by_id(self, path: str) -> str:
        """/repositories/{id}/... (where a 301 points) as /repos/{owner}/{name}/..."""
        match = _ID_PATH.match(path)
        if match is None:
            return path
        wanted = int(match.group("id"))
        repo = next((r for r in self.dataset.repos.values() if r.id == wanted), None)
        return path if repo is None else f"/repos/{repo.full_name}{match.group('rest') or ''}"


def moved_body(url: str) -> dict[str, str]:
    """GitHub's body for the 301 of a renamed or transferred repository."""
    return {
        "message": "Moved Permanently",
        "url": url,
        "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
    }
