"""contribbot.github.errors: GitHub's answers as typed errors (pure, no server)."""

from __future__ import annotations

import pytest

from contribbot.errors import AuthError, ContribError
from contribbot.github.errors import (
    RUN_ENDING,
    BadCredentials,
    BadRequest,
    Forbidden,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    SecondaryRateLimit,
    ValidationFailed,
    error_for,
    reason_text,
)

RATE = {
    "X-RateLimit-Limit": "5000",
    "X-RateLimit-Remaining": "4999",
    "X-RateLimit-Used": "1",
    "X-RateLimit-Reset": "1763640000",
    "X-RateLimit-Resource": "core",
}
SPENT = {**RATE, "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000"}
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."


@pytest.mark.parametrize(
    ("status", "headers", "message", "kind"),
    [
        (401, RATE, "Bad credentials", BadCredentials),
        (403, SPENT, "API rate limit exceeded for user ID 1.", RateLimited),
        (429, SPENT, "API rate limit exceeded for user ID 1.", RateLimited),
        (403, RATE, SECONDARY, SecondaryRateLimit),
        (403, {**RATE, "Retry-After": "30"}, "slow down", SecondaryRateLimit),
        (429, RATE, "Too many requests", SecondaryRateLimit),
        (403, RATE, "Resource protected by organization SAML enforcement.", Forbidden),
        (404, RATE, "Not Found", NotFound),
        (410, RATE, "Gone", NotFound),
        (422, RATE, "Validation Failed", ValidationFailed),
        (400, RATE, "Problems parsing JSON", BadRequest),
        (502, {}, "Bad Gateway", GitHubUnavailable),
    ],
)
def test_each_answer_gets_its_type(
    status: int, headers: dict[str, str], message: str, kind: type[GitHubError]
) -> None:
    error = error_for(status, headers, {"message": message}, "/repos/o/r/issues")
    assert type(error) is kind
    assert error.status == status
    assert isinstance(error, ContribError)
    assert "\n" not in str(error)


def test_errors_carry_the_rate_limit_and_retry_after() -> None:
    error = error_for(403, {**SPENT, "Retry-After": "12"}, {"message": "x"}, "/search/issues")
    assert error.rate is not None and error.rate.remaining == 0 and error.rate.limit == 5000
    assert error.retry_after == 12.0
    assert error.headers["x-ratelimit-resource"] == "core"
    assert error.path == "/search/issues"
    assert error_for(403, {"retry-after": "soon"}, None, "/").retry_after is None


def test_bad_credentials_is_an_auth_error_that_says_how_to_fix_it() -> None:
    error = error_for(401, {}, {"message": "Bad credentials"}, "/user")
    assert isinstance(error, AuthError) and isinstance(error, GitHubError)
    assert error.exit_code == 2
    assert "GITHUB_TOKEN" in error.reason and "gh auth login" in error.reason


def test_run_ending_errors_are_the_ones_no_repo_can_get_past() -> None:
    assert isinstance(error_for(401, {}, None, "/"), RUN_ENDING)
    assert isinstance(error_for(500, {}, None, "/"), RUN_ENDING)
    assert isinstance(error_for(429, SPENT, None, "/"), RUN_ENDING)
    assert not isinstance(error_for(404, {}, None, "/"), RUN_ENDING)
    assert not isinstance(error_for(403, RATE, {"message": "SAML"}, "/"), RUN_ENDING)


def test_github_text_in_a_reason_is_one_short_printable_line() -> None:
    hostile = "line one\nline two\x1b[31m red" + "x" * 500
    reason = reason_text(hostile)
    assert "\n" not in reason and "\x1b" not in reason
    assert len(reason) <= 200
    error = error_for(400, {}, {"message": hostile}, "/x")
    assert "\n" not in str(error) and "\x1b" not in str(error)
