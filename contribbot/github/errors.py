"""GitHub's answers as typed errors, as gidgethub does (pure: no I/O).

Every error carries the HTTP status (0 when GitHub could not be reached), a one-line
reason safe to print, and the response's headers with the rate limit parsed out, so
callers decide by type (wait, stop the run, skip one repository) instead of by text.

    GitHubError (ContribError)
      GitHubUnavailable        5xx, dropped connections, no network
      WaitInterrupted          a stop request (SIGTERM, Ctrl-C) ended a wait
      BadRequest               any other 4xx
        Forbidden              403 that is no rate limit (e.g. SAML SSO enforcement)
        NotFound               404 or 410
        RepoMoved              a repo answered under another name (renamed or transferred)
        ValidationFailed       422 (e.g. search names a user GitHub does not know)
        RateLimited            the primary limit is spent (403 or 429, remaining 0)
          SecondaryRateLimit   a secondary limit (403 or 429, maybe without retry-after)
      BadCredentials (+AuthError)  401: the token is wrong, revoked or expired
    TokenMissing (AuthError)   no token, and `[github] anonymous` is not set
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from contribbot.errors import AuthError, ContribError
from contribbot.github.parse import RateLimit, parse_rate_limit

REASON_MAX = 200
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SECONDARY_HINTS = ("secondary rate limit", "abuse detection")


class GitHubError(ContribError):
    """GitHub answered with an error, or could not be reached."""

    def __init__(
        self,
        reason: str,
        *,
        status: int = 0,
        headers: Mapping[str, Any] | None = None,
        path: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.path = path
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.rate: RateLimit | None = parse_rate_limit(self.headers)

    @property
    def retry_after(self) -> float | None:
        """Seconds from `retry-after`, when GitHub sent a usable one."""
        raw = self.headers.get("retry-after", "").strip()
        try:
            value = float(raw)
        except ValueError:
            return None
        return value if value >= 0 else None


class GitHubUnavailable(GitHubError):
    """GitHub kept failing (5xx or dropped connections), or the network is down."""


class WaitInterrupted(GitHubError):
    """A stop request ended a rate-limit or retry wait; nothing was sent after it."""


class BadRequest(GitHubError):
    """GitHub refused the request (a 4xx that fits no narrower type)."""


class Forbidden(BadRequest):
    """403 that is not a rate limit: SAML SSO enforcement, a blocked user, a private repo."""


class NotFound(BadRequest):
    """404 or 410: the object does not exist, or the token cannot see it."""


class RepoMoved(BadRequest):
    """GitHub answered for a repository under another name: it was renamed or transferred.

    GitHub redirects the old name (301), but the client it uses drops a redirected
    request's query (`since`, `state`, `per_page`), and items would be stored under the
    new name: the repo is not synced until the config names it as GitHub does."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(
            f"GitHub now calls it {new} (renamed or transferred): change {old} to {new} "
            "in [track] repos",
            status=301,
        )
        self.new = new


class ValidationFailed(BadRequest):
    """422: GitHub found the request invalid."""


class RateLimited(BadRequest):
    """The primary rate limit is spent until `rate.reset`."""


class SecondaryRateLimit(RateLimited):
    """A secondary rate limit: wait `retry_after`, or a minute and then longer."""


class BadCredentials(GitHubError, AuthError):
    """401: GitHub rejected the token (wrong, revoked or expired)."""


class TokenMissing(AuthError):
    """No token was found, and syncing anonymously was not asked for."""


def reason_text(text: object) -> str:
    """GitHub's message as one short printable line (it is untrusted text)."""
    line = " ".join(_UNPRINTABLE.sub(" ", str(text)).split())
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 1] + "…"


def error_for(status: int, headers: Mapping[str, Any], body: Any, path: str) -> GitHubError:
    """The typed error for an error response (status >= 400)."""
    message = reason_text(body.get("message", "")) if isinstance(body, dict) else ""
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    kind, reason = _classify(status, lower, message, path)
    return kind(reason, status=status, headers=lower, path=path)


def _classify(
    status: int, headers: Mapping[str, str], message: str, path: str
) -> tuple[type[GitHubError], str]:
    said = f": {message}" if message else ""
    if status == 401:
        return BadCredentials, (
            "GitHub rejected the token (401 Bad credentials): it is wrong, revoked or "
            "expired; set a new one in $GITHUB_TOKEN or [github] token, or run `gh auth login`"
        )
    if status in (403, 429):
        if headers.get("x-ratelimit-remaining") == "0":
            return RateLimited, f"{status} on {path}: the rate limit is spent{said}"
        hinted = any(hint in message.lower() for hint in _SECONDARY_HINTS)
        if hinted or "retry-after" in headers or status == 429:
            return SecondaryRateLimit, f"{status} on {path}: a secondary rate limit{said}"
        return Forbidden, f"GitHub answered 403 on {path}{said or ': forbidden'}"
    if status in (404, 410):
        return NotFound, f"{path}: not found ({status})"
    if status == 422:
        return ValidationFailed, f"GitHub answered 422 on {path}{said}"
    if status >= 500:
        return GitHubUnavailable, f"GitHub kept failing with {status} on {path}"
    return BadRequest, f"GitHub answered {status} on {path}{said}"


def reset_in(rate: RateLimit | None, now: datetime) -> float | None:
    """Seconds until the rate limit resets (None when unknown)."""
    if rate is None:
        return None
    return (rate.reset - now.astimezone(UTC)).total_seconds()


# After one of these nothing else in the run can get through to GitHub either.
RUN_ENDING: tuple[type[Exception], ...] = (AuthError, GitHubUnavailable, RateLimited)
