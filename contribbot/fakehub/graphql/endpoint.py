"""POST /graphql: validate against GitHub's schema, price, spend, execute.

GitHub's behaviour as modelled here:
- no token: 401; a body that is not a query: 400;
- a query the schema refuses, a connection without `first`/`last` or over 100, more
  than 500,000 nodes: HTTP 200 with `errors` and no `data`, nothing spent;
- the points budget (5,000 an hour per token) with `x-ratelimit-resource: graphql`;
  a query costing more than what is left: HTTP 200, `errors: [{type: RATE_LIMITED}]`;
- switches for tests: `partial` (a node comes back null with an error beside `data`)
  and `max_nodes` (a heavier query times out with a 502, as GitHub's 10-second limit does).

Not thread-safe: FakeHub holds its lock around `answer`.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, execute_sync, parse, validate

from contribbot.fakehub.graphql.cost import Cost, CostError, query_cost
from contribbot.fakehub.graphql.resolve import (
    Context,
    QueryError,
    resolve_field,
    resolve_type,
    root,
)
from contribbot.fakehub.graphql.schema import load_schema
from contribbot.fakehub.model import Dataset

DOCS = "https://docs.github.com/graphql"
RATE_DOCS = (
    "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api"
)
TIMEOUT_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, "
    "or it could be a GitHub bug. Please include `FAKE:0000` when reporting this issue."
)


@dataclass(frozen=True)
class GraphQLReply:
    """Status, JSON body and extra headers of one POST /graphql."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    cost: int = 0


@dataclass
class _Window:
    start: float
    used: int = 0


@dataclass
class GraphQLEndpoint:
    """The budget and the switches; `answer` serves one request."""

    limit: int = 5000
    window_s: float = 3600
    clock: Callable[[], float] = time.time
    partial: int = 0  # the next N queries lose their first search node, with an error
    max_nodes: int | None = None  # heavier queries answer 502
    enabled: bool = True  # False: 404, as a GitHub Enterprise proxy without GraphQL
    spent_points: int = 0
    _windows: dict[str, _Window] = field(default_factory=dict)

    def set_limit(self, limit: int, window_s: float | None = None) -> None:
        """Change the points budget (and window) and restart every window now."""
        self.limit = limit
        self.window_s = window_s if window_s is not None else self.window_s
        self._windows.clear()

    def answer(
        self,
        ds: Dataset,
        raw: bytes,
        *,
        login: str | None,
        now: datetime,
        hidden: frozenset[str],
    ) -> GraphQLReply:
        """Answer one POST /graphql body."""
        if login is None:
            message = "This endpoint requires you to be authenticated."
            return GraphQLReply(401, {"message": message, "documentation_url": DOCS}, {})
        try:
            request = json.loads(raw or b"{}")
            query, variables = str(request["query"]), request.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return GraphQLReply(
                400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, {}
            )
        document, problems = _checked(query)
        if document is None:
            return self._errors(login, [dict(p) for p in problems])
        schema = load_schema()
        try:
            cost = query_cost(schema, document, variables, request.get("operationName"))
        except CostError as err:
            return self._errors(login, [{"type": err.kind, "message": str(err)}])
        window = self._window(login)
        if cost.points > self.limit - window.used:
            message = f"API rate limit already exceeded for user ID {ds.account(login).id}."
            return self._errors(login, [{"type": "RATE_LIMITED", "message": message}])
        if self.max_nodes is not None and cost.nodes > self.max_nodes:
            return GraphQLReply(502, {"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]}, {})
        window.used += cost.points
        self.spent_points += cost.points
        ctx = Context(ds, login, now, hidden, lambda: self._rate_json(login, cost))
        result = execute_sync(
            schema,
            document,
            root_value=root(ctx),
            variable_values=variables,
            operation_name=request.get("operationName"),
            field_resolver=resolve_field,
            type_resolver=resolve_type,
        )
        body = _body(result)
        if self.partial > 0 and body.get("data") and _break_first_node(body):
            self.partial -= 1
        return GraphQLReply(200, body, self.headers(login), cost.points)

    # budget ---------------------------------------------------------------------------

    def _window(self, login: str) -> _Window:
        now = self.clock()
        window = self._windows.get(login)
        if window is None or now >= window.start + self.window_s:
            window = self._windows[login] = _Window(now)
        return window

    def headers(self, login: str) -> dict[str, str]:
        """The x-ratelimit-* headers of the graphql resource."""
        window = self._window(login)
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.limit - window.used, 0)),
            "x-ratelimit-used": str(window.used),
            "x-ratelimit-reset": str(self._reset(window)),
            "x-ratelimit-resource": "graphql",
        }

    def _reset(self, window: _Window) -> int:
        return math.ceil(window.start + self.window_s)

    def _rate_json(self, login: str, cost: Cost) -> dict[str, Any]:
        window = self._window(login)
        reset = datetime.fromtimestamp(self._reset(window), UTC)
        return {
            "cost": cost.points,
            "limit": self.limit,
            "remaining": max(self.limit - window.used, 0),
            "used": window.used,
            "resetAt": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nodeCount": cost.nodes,
        }

    def _errors(self, login: str, errors: list[dict[str, Any]]) -> GraphQLReply:
        return GraphQLReply(200, {"errors": errors}, self.headers(login))


@functools.lru_cache(maxsize=256)
def _checked(query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    """The parsed query, or None and what the parser or the schema's validation refused.

    Both depend on the query's text only (and the one schema), and a sync sends the same
    few queries with other variables: each text is parsed and validated once a process."""
    try:
        document = parse(query)
    except GraphQLError as err:
        return None, (_error(err),)
    problems = validate(load_schema(), document)
    return (None, tuple(_error(p) for p in problems)) if problems else (document, ())


def _error(problem: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": problem.message}
    if problem.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in problem.locations]
    return out


def _body(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data}
    errors = []
    for error in result.errors or ():
        original = error.original_error
        entry: dict[str, Any] = {"message": error.message, "path": error.path}
        if isinstance(original, QueryError):
            entry["type"] = original.kind
        errors.append(entry)
    if errors:
        body["errors"] = errors
    return body


def _break_first_node(body: dict[str, Any]) -> bool:
    """Null the first search node and report it, as a timed-out resolver does on GitHub."""
    search = (body["data"] or {}).get("search")
    if not isinstance(search, dict) or not search.get("nodes"):
        return False
    nodes = search["nodes"]
    nodes[0] = None
    for edge in search.get("edges") or ():
        edge["node"] = None
        break
    error = {"message": TIMEOUT_MESSAGE, "path": ["search", "nodes", 0]}
    body["errors"] = [*body.get("errors", []), error]
    return True
