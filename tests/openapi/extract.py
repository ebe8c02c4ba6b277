"""Extract the response schemas FakeHub serves from GitHub's official OpenAPI description.

Run by hand (see README.md next to this file); CI only reads the committed output:

    cd /tmp && npm pack @octokit/openapi && tar xzf octokit-openapi-*.tgz
    python tests/openapi/extract.py /tmp/package

It writes tests/openapi/github-subset.json: for each served GET operation, the schema of
its 200 application/json response, with every referenced component copied into `$defs`
and OpenAPI 3.0 quirks turned into plain JSON Schema (`nullable`, vendor keys, docs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("github-subset.json")
SPEC_FILE = "generated/api.github.com.json"
REF_PREFIX = "#/components/schemas/"

# Every GET operation the stand-in serves, keyed as the tests key them.
OPERATIONS = [
    "/user",
    "/users/{username}",
    "/user/{account_id}",
    "/rate_limit",
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/issues",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/repos/{owner}/{repo}/issues/comments",
    "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    "/repos/{owner}/{repo}/pulls/{pull_number}/comments",
    "/repos/{owner}/{repo}/pulls/comments",
    "/users/{username}/events/public",
    "/search/issues",
]

# The unions in the description are loose (timeline: anyOf of 33 kinds) or cannot be
# satisfied (event payload: oneOf where `public-event` is `{"type": "object"}`, so every
# payload matches twice). The tests therefore also check each item against the schema
# its discriminating field names.
TIMELINE_EVENTS = {
    "labeled": "labeled-issue-event",
    "unlabeled": "unlabeled-issue-event",
    "commented": "timeline-comment-event",
    "cross-referenced": "timeline-cross-referenced-event",
    "assigned": "timeline-assigned-issue-event",
    "unassigned": "timeline-unassigned-issue-event",
    "reviewed": "timeline-reviewed-event",
    "closed": "state-change-issue-event",
    "reopened": "state-change-issue-event",
    "merged": "state-change-issue-event",
}
EVENT_PAYLOADS = {
    "IssuesEvent": "issues-event",
    "IssueCommentEvent": "issue-comment-event",
    "PullRequestEvent": "pull-request-event",
    "PullRequestReviewEvent": "pull-request-review-event",
    "PullRequestReviewCommentEvent": "pull-request-review-comment-event",
}
# Known defects of the description, fixed on the way out and listed in the output file.
PATCHES: list[dict[str, Any]] = [
    {
        "schema": "event",
        "path": ["properties", "payload"],
        "rename": ["oneOf", "anyOf"],
        "why": "`public-event` is {type: object}, so every payload matches two branches "
        "and oneOf can never hold; the tests check the payload by event type instead",
    },
]
# Keys that only document; dropping them keeps the committed file small.
DROPPED_KEYS = {"description", "example", "examples", "externalDocs", "discriminator", "title"}


def convert(node: Any) -> Any:
    """Turn one OpenAPI 3.0 schema node into plain JSON Schema, recursively."""
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED_KEYS or key.startswith("x-") or key == "nullable":
            continue
        if key == "$ref":
            out[key] = "#/$defs/" + value.removeprefix(REF_PREFIX)
        elif key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if node.get("nullable") is True:
        out = _nullable(out)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Let a converted schema also accept null, as `nullable: true` means in OpenAPI 3.0."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema:
        schema = {**schema, "type": [kind, "null"]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [{"type": "null"}, schema]}


def collect_refs(node: Any, found: set[str]) -> None:
    """Add the names of every component schema referenced under node to found."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref.removeprefix(REF_PREFIX))
        for value in node.values():
            collect_refs(value, found)
    elif isinstance(node, list):
        for item in node:
            collect_refs(item, found)


def closure(roots: list[Any], components: dict[str, Any]) -> list[str]:
    """Names of all component schemas reachable from roots, sorted."""
    pending: set[str] = set()
    for root in roots:
        collect_refs(root, pending)
    pending.update(TIMELINE_EVENTS.values(), EVENT_PAYLOADS.values())
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        collect_refs(components[name], pending)
    return sorted(seen)


def apply_patches(defs: dict[str, Any]) -> None:
    """Apply PATCHES to the converted component schemas."""
    for patch in PATCHES:
        node = defs[patch["schema"]]
        for key in patch["path"]:
            node = node[key]
        old, new = patch["rename"]
        node[new] = node.pop(old)


def response_schema(spec: dict[str, Any], path: str) -> Any:
    """The 200 application/json schema of GET path."""
    return spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def build_subset(spec: dict[str, Any], version: str) -> dict[str, Any]:
    """The whole subset document: provenance, operations, discriminator maps and $defs."""
    components = spec["components"]["schemas"]
    raw = {path: response_schema(spec, path) for path in OPERATIONS}
    names = closure(list(raw.values()), components)
    defs = {name: convert(components[name]) for name in names}
    apply_patches(defs)
    return {
        "source": {
            "package": "@octokit/openapi",
            "version": version,
            "file": SPEC_FILE,
            "openapi": spec["openapi"],
            "api_version": spec["info"]["version"],
        },
        "operations": {f"GET {path}": convert(schema) for path, schema in raw.items()},
        "timeline_events": {k: "#/$defs/" + v for k, v in TIMELINE_EVENTS.items()},
        "event_payloads": {k: "#/$defs/" + v for k, v in EVENT_PAYLOADS.items()},
        "patches": PATCHES,
        "$defs": defs,
    }


def main(argv: list[str]) -> int:
    """Read the unpacked npm package at argv[1] and write the subset file."""
    if len(argv) != 2:
        print(__doc__)
        return 2
    package = Path(argv[1])
    version = json.loads((package / "package.json").read_text())["version"]
    spec = json.loads((package / SPEC_FILE).read_text())
    subset = build_subset(spec, version)
    OUTPUT.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT} ({len(subset['$defs'])} schemas, {OUTPUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
