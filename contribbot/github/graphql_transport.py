"""Sending GraphQL queries through PyGithub's `Requester.graphql_query`, minding the budget.

- every query asks for `rateLimit`; below the reserve, wait for `resetAt`;
- `RATE_LIMITED` (HTTP 200 + errors), or a spent primary limit: wait for the reset;
- a secondary limit (403/429): `retry-after`, else 60 s, 120 s...; other 5xx: backoff;
- 502/504 (a query too heavy for GitHub's 10 s): TooHeavy, the caller halves `first`;
- 404: GraphQLUnavailable (a GitHub Enterprise proxy without it: "auto" falls back to REST);
- `errors` next to `data` (partial results) come back to the caller, who keeps nothing.
Waits go through the client's, so a stop request ends them and they are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from github import GithubException

from contribbot.github.client import GitHubClient
from contribbot.github.errors import (
    BadRequest,
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    SecondaryRateLimit,
    error_for,
)
from contribbot.github.graphql_parse import error_types, parse_rate, reset_time
from contribbot.github.parse import RateLimit

PATH = "/graphql"
SECONDARY_WAIT_S = 60.0
RESET_WAITS = 3  # resets in a row that still answer RATE_LIMITED: give up


class GraphQLUnavailable(BadRequest):
    """The server has no GraphQL endpoint (404)."""


class TooHeavy(GitHubUnavailable):
    """GitHub timed out on the query (502/504): ask for fewer nodes."""


@dataclass
class GraphQLUsage:
    """What GraphQL cost so far: requests sent and points spent."""

    requests: int = 0
    points: int = 0


class GraphQLTransport:
    """Serial GraphQL queries over a GitHubClient's PyGithub requester."""

    def __init__(self, client: GitHubClient, *, reserve: int = 50) -> None:
        self.client = client
        self.reserve = reserve
        self.usage = GraphQLUsage()
        self.rate: RateLimit | None = None

    def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The response body (data and maybe errors); raises what no wait can fix."""
        resets = 0
        while True:
            self._wait_if_low()
            headers, body = self._post(query, variables)
            data = body.get("data") or {}
            rate = parse_rate(data)
            if rate is not None:
                self.rate = self.client.usage.rates["graphql"] = rate
            if "RATE_LIMITED" not in error_types(body):
                cost = int((data.get("rateLimit") or {}).get("cost") or 0)
                self.usage.points += cost
                self.client.usage.spent += cost  # a query counts its points, not 1
                return body
            resets += 1
            if resets > RESET_WAITS:
                raise RateLimited("GitHub's GraphQL API kept answering RATE_LIMITED", path=PATH)
            self._wait_until(reset_time(None, headers), "the GraphQL budget is spent")

    def _post(self, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        failures = 0
        while True:
            self.usage.requests += 1
            self.client.usage.sent += 1
            try:
                headers, body = self.client.requester.graphql_query(query, variables)
                if not isinstance(body.get("data"), str):
                    return headers, body
                # PyGithub hands a body that is not JSON on as {"data": the text}: a
                # proxy's or GitHub's load balancer's HTML page, answered with a 200
                error: GitHubError = GitHubUnavailable(
                    "GitHub answered a GraphQL query with a page that is not JSON", path=PATH
                )
            except requests.exceptions.RequestException as exc:
                error = GitHubUnavailable(
                    f"GitHub is unreachable ({type(exc).__name__})", path=PATH
                )
            except GithubException as exc:
                headers, data = dict(exc.headers or {}), exc.data
                if exc.status == 400 and isinstance(data, dict) and "errors" in data:
                    return headers, data  # GitHub's GraphQL errors come with HTTP 200
                error = self._typed(exc.status, headers, data)
            failures += 1
            self._after(error, failures)

    def _typed(self, status: int, headers: dict[str, Any], data: Any) -> GitHubError:
        if status in (502, 504):
            return TooHeavy(f"GitHub timed out on a GraphQL query ({status})", status=status)
        error = error_for(status, headers, data, PATH)
        if isinstance(error, NotFound):
            return GraphQLUnavailable(
                "this GitHub has no GraphQL API (404 on /graphql); set [github] graphql = "
                '"auto" or false to use REST',
                status=status,
                path=PATH,
            )
        return error

    def _after(self, error: GitHubError, failures: int) -> None:
        if failures > self.client.max_retries or isinstance(error, TooHeavy):
            raise error
        if isinstance(error, SecondaryRateLimit):
            wait = error.retry_after or SECONDARY_WAIT_S * 2 ** (failures - 1)
            self.client.wait(wait, f"GraphQL: {error.reason}; waiting {wait:.0f}s")
        elif isinstance(error, RateLimited):
            self._wait_until(error.rate.reset if error.rate else None, error.reason)
        elif isinstance(error, GitHubUnavailable):
            wait = self.client.backoff_factor * 2 ** (failures - 1)
            self.client.wait(wait, f"GraphQL: {error.reason}; retrying in {wait:.0f}s")
        else:
            raise error

    def _wait_if_low(self) -> None:
        rate = self.rate
        if rate is None or rate.remaining > min(self.reserve, rate.limit // 10):
            return
        self._wait_until(rate.reset, f"{rate.remaining} of {rate.limit} GraphQL points left")
        self.rate = None

    def _wait_until(self, reset: datetime | None, why: str) -> None:
        now = self.client.now()  # resets are wall-clock times: the client's clock
        wait = SECONDARY_WAIT_S if reset is None else (reset - now).total_seconds() + 1
        if wait > 0:
            self.client.wait(wait, f"rate limit: {why}; waiting {wait:.0f}s for the reset")
