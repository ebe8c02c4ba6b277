"""The migration chain this contribbot ships, read from the scripts' text (no Alembic import).

Opening a database compares its stored revision with the head known here, so everyday
commands import Alembic only when there is something to upgrade.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:None|['\"]([^'\"]+)['\"])", re.MULTILINE)


@dataclass(frozen=True)
class Chain:
    """Every revision shipped, and the newest one (None if there are no scripts)."""

    known: frozenset[str]
    head: str | None


def parse_chain(sources: Iterable[str]) -> Chain:
    """The chain described by the texts of the revision scripts."""
    parents: dict[str, str | None] = {}
    for text in sources:
        rev, down = _REVISION.search(text), _DOWN.search(text)
        if rev is not None and down is not None:
            parents[rev.group(1)] = down.group(1)
    children = {p for p in parents.values() if p is not None}
    heads = sorted(r for r in parents if r not in children)
    if len(heads) > 1:
        raise ValueError(f"the migrations have several heads: {', '.join(heads)}")
    return Chain(known=frozenset(parents), head=heads[0] if heads else None)


def migrations_dir() -> Path:
    """Where the Alembic scripts are: shipped inside the package as contribbot.migrations."""
    return Path(str(resources.files("contribbot.migrations")))


@functools.cache
def shipped_chain() -> Chain:
    """The chain of the migrations installed with this contribbot."""
    versions = migrations_dir() / "versions"
    return parse_chain(p.read_text(encoding="utf-8") for p in sorted(versions.glob("*.py")))
