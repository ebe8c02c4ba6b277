"""The `sync_state` keys that more than one layer reads: the sync writes them, the
application (when a report may go out) and the report ("data as of") read them."""

from __future__ import annotations


def synced_key(repo: str) -> str:
    """When `repo` last synced completely."""
    return f"repo:{repo}:synced_at"


def failed_key(repo: str) -> str:
    """When a sync of `repo` last failed on the repo itself (not found, 403, SAML...)."""
    return f"repo:{repo}:failed_at"


def failure_key(repo: str) -> str:
    """Why that sync failed: the one line the run logged (it names no secret)."""
    return f"repo:{repo}:failed_why"
