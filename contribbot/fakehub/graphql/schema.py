"""GitHub's published GraphQL schema, vendored from npm @octokit/graphql-schema.

schema.json.gz is that package's schema.json (minified, gzipped; LICENSE.md is its MIT
licence). Its schema.graphql repeats some field definitions, which graphql-core refuses,
so the introspection JSON is what loads. To update: `npm pack @octokit/graphql-schema`,
minify + gzip package/schema.json here, and change SCHEMA_VERSION.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib.resources import files

from graphql import GraphQLSchema, build_client_schema

SCHEMA_PACKAGE = "@octokit/graphql-schema"
SCHEMA_VERSION = "15.26.1"
SCHEMA_SHA256 = "bbdb03f4006f4e34964d67d55385f1c8c47c4cacd507ccdc38af2544247ecddd"  # schema.json


@cache
def load_schema() -> GraphQLSchema:
    """GitHub's schema, built once per process (about half a second)."""
    raw = files("contribbot.fakehub.graphql").joinpath("schema.json.gz").read_bytes()
    schema = build_client_schema(json.loads(gzip.decompress(raw)))
    # GitHub's schema breaks a rule of the spec that graphql-core enforces before it
    # validates a query (an implementation deprecates a field its interface does not,
    # e.g. PullRequest.databaseId vs Reactable.databaseId). GitHub serves it as is, so
    # the stand-in accepts it as is: mark the schema as already checked.
    schema._validation_errors = []
    return schema
