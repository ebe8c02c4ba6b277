"""GitHub's GraphQL points formula and node limit (pure).

GitHub's "Rate limits and node limits for the GraphQL API"
(docs.github.com/en/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api):
- node limit: every connection needs `first` or `last`, within 1-100; a call may ask for
  at most 500,000 nodes (a connection's nodes: the product of the `first`s down to it);
- "Predicting the point value of a query": 1. add up the number of requests needed to
  fulfill each unique connection in the call, assuming every request reaches the
  `first`/`last` limit (so a connection needs one request per parent node it hangs
  under: the product of the `first`s *above* it; its own `first` does not count);
  2. divide by 100 and round to the nearest whole number; the minimum is 1.
  The page's example: repositories(first: 100) > issues(first: 50) > labels(first: 60)
  needs 1 + 100 + 5,000 = 5,101 requests: 51 points (tests/test_fakehub_graphql.py).
The documentation does not say which way a half rounds; this rounds it up (the dearer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.type import GraphQLInterfaceType, GraphQLNamedType

MAX_PAGE = 100
MAX_NODES = 500_000


class CostError(ValueError):
    """A query GitHub refuses before running it (pagination bounds, node limit)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Cost:
    """What a query costs: requests (the formula's sum), nodes, and points."""

    requests: int
    nodes: int

    @property
    def points(self) -> int:
        """requests / 100, rounded half up, at least 1."""
        return max(1, (self.requests + 50) // 100)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    requests: int = 0
    nodes: int = 0


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> Cost:
    """The cost of the (validated) document's operation; CostError if GitHub refuses it."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if operation_name in (None, o.name and o.name.value)), None
    )
    root = schema.query_type
    if operation is None or root is None:
        return Cost(0, 0)
    walk = _Walk(schema, fragments, variables or {})
    _selections(walk, root, operation.selection_set, 1)
    if walk.nodes > MAX_NODES:
        raise CostError(
            "MAX_NODE_LIMIT_EXCEEDED",
            f"This query requests up to {walk.nodes:,} possible nodes which exceeds "
            f"the maximum limit of {MAX_NODES:,}.",
        )
    return Cost(walk.requests, walk.nodes)


def _selections(
    walk: _Walk, parent: GraphQLNamedType, selection_set: SelectionSetNode, multiplier: int
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            _field(walk, parent, selection, multiplier)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = parent if condition is None else _type(walk, parent, condition.name.value)
            _selections(walk, target, selection.selection_set, multiplier)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments[selection.name.value]
            target = _type(walk, parent, fragment.type_condition.name.value)
            _selections(walk, target, fragment.selection_set, multiplier)


def _type(walk: _Walk, parent: GraphQLNamedType, name: str) -> GraphQLNamedType:
    found = walk.schema.get_type(name)
    return found if found is not None else parent


def _field(walk: _Walk, parent: GraphQLNamedType, node: FieldNode, multiplier: int) -> None:
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return
    definition = parent.fields.get(node.name.value)
    if definition is None or node.selection_set is None:
        return
    child = get_named_type(definition.type)
    if child.name.endswith("Connection") and "first" in definition.args:
        size = 0 if _counts_only(node) else _page_size(walk, node)
        walk.requests += multiplier
        multiplier *= size
        walk.nodes += multiplier
    _selections(walk, child, node.selection_set, multiplier)


def _counts_only(node: FieldNode) -> bool:
    """`comments { totalCount }` needs no `first`: it asks for no nodes (still a request)."""
    chosen = node.selection_set.selections if node.selection_set else ()
    names = {s.name.value for s in chosen if isinstance(s, FieldNode)}
    has_args = any(a.name.value in ("first", "last") for a in node.arguments or ())
    return (
        not has_args
        and len(names) == len(chosen)
        and names <= {"totalCount", "pageInfo", "__typename"}
    )


def _page_size(walk: _Walk, node: FieldNode) -> int:
    args = {
        a.name.value: value_from_ast_untyped(a.value, dict(walk.variables))
        for a in node.arguments or ()
    }
    size = args.get("first") if args.get("first") is not None else args.get("last")
    name = node.name.value
    if size is None:
        raise CostError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{name}` "
            "connection.",
        )
    which = "first" if args.get("first") is not None else "last"
    if not 1 <= int(size) <= MAX_PAGE:
        raise CostError(
            "EXCESSIVE_PAGINATION",
            f"Requesting {size} records on the `{name}` connection exceeds the `{which}` "
            f"limit of {MAX_PAGE} records.",
        )
    return int(size)
