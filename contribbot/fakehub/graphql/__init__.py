"""The stand-in's GraphQL API: GitHub's own schema, resolvers over the data set, its points.

schema.py loads the vendored schema, resolve.py maps the data set onto it, cost.py is
GitHub's points formula, endpoint.py serves POST /graphql with the budget and switches.
"""

from __future__ import annotations

from contribbot.fakehub.graphql.cost import Cost, CostError, query_cost
from contribbot.fakehub.graphql.endpoint import GraphQLEndpoint, GraphQLReply
from contribbot.fakehub.graphql.schema import SCHEMA_PACKAGE, SCHEMA_VERSION, load_schema

__all__ = [
    "SCHEMA_PACKAGE",
    "SCHEMA_VERSION",
    "Cost",
    "CostError",
    "GraphQLEndpoint",
    "GraphQLReply",
    "load_schema",
    "query_cost",
]
