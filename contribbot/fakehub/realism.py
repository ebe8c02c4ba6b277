"""How unkind the stand-in is: GitHub's real-world quirks, each behind a switch (pure).

All off by default, so tests written against the kind stand-in keep their numbers.
`Realism.all()` turns every one on. Every choice is a hash of the seed and the object,
so a run is reproducible: the same event is always late by the same amount, the same
search page is incomplete on the same attempt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

# GitHub's docs: an event can take from 30 seconds to 6 hours to appear.
EVENT_DELAY_MIN = timedelta(seconds=30)
EVENT_DELAY_MAX = timedelta(hours=6)
EVENT_WINDOW_REAL = timedelta(days=30)
# How often ETag-only changes (reactions) tick over, in hub time.
CHURN_BUCKET = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Realism:
    """Which of GitHub's unkind behaviours the stand-in shows (all off by default)."""

    # Events appear 30 s..6 h of hub time after they happened, so a late one lands
    # behind newer ones already read; only the last 30 days are listed (not 90).
    late_events: bool = False
    # Search pages (full or short) sometimes say `incomplete_results: true` and miss
    # some hits; asking again for the same page eventually gets them all.
    incomplete_search: bool = False
    # An exhausted primary limit is answered with 429 instead of 403.
    primary_429: bool = False
    # Every `secondary_every`-th counted request hits a secondary limit (403 or 429)
    # without `retry-after`.
    secondary_no_retry_after: bool = False
    # The data set holds reverted PRs (Reverted label + reopen) and relanded ones.
    reverts: bool = False
    # Reactions tick over every 15 minutes of hub time on some items: their ETags
    # change while `updated_at` stays put.
    reaction_churn: bool = False
    seed: int = 7
    secondary_every: int = 37
    incomplete_share: float = 0.35

    @classmethod
    def all(cls, seed: int = 7) -> Realism:
        """Every switch on."""
        switches = {f.name: True for f in fields(cls) if f.type in ("bool", bool)}
        return cls(**switches, seed=seed)

    @classmethod
    def only(cls, name: str, seed: int = 7) -> Realism:
        """Just one switch on (for a test per behaviour)."""
        if name not in cls.switches():
            raise ValueError(f"unknown realism switch {name!r}")
        return cls(**{name: True}, seed=seed)

    @classmethod
    def switches(cls) -> tuple[str, ...]:
        """The names of the on/off switches."""
        return tuple(f.name for f in fields(cls) if f.type in ("bool", bool))


def unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from parts."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def event_delay(seed: int, event_id: str) -> timedelta:
    """How late an event shows up: most after 30 s, one in three up to 6 hours."""
    if unit(seed, "late?", event_id) >= 1 / 3:
        return EVENT_DELAY_MIN
    span = (EVENT_DELAY_MAX - EVENT_DELAY_MIN).total_seconds()
    return EVENT_DELAY_MIN + timedelta(seconds=round(unit(seed, "delay", event_id) * span))


def search_incomplete(realism: Realism, query: str, page: int, attempt: int) -> bool:
    """Whether this attempt at a search page times out (never three times in a row)."""
    if not realism.incomplete_search or attempt >= 2:
        return False
    return unit(realism.seed, "incomplete", query, page, attempt) < realism.incomplete_share


def drop_some(items: Sequence[T], realism: Realism, query: str, ids: Sequence[int]) -> list[T]:
    """What a timed-out search still found: about four hits in five."""
    return [x for x, i in zip(items, ids, strict=True) if unit(realism.seed, query, i) >= 0.2]


def secondary_due(realism: Realism, counted: int) -> bool:
    """Whether the `counted`-th counted request trips a secondary limit."""
    return realism.secondary_no_retry_after and counted % realism.secondary_every == 0


def churn(realism: Realism, object_id: int, now: datetime) -> int:
    """Extra reactions on an object at `now`: one item in ten changes every 15 minutes."""
    if not realism.reaction_churn or unit(realism.seed, "churn?", object_id) >= 0.1:
        return 0
    bucket = int(now.timestamp() // CHURN_BUCKET.total_seconds())
    return int(unit(realism.seed, "churn", object_id, bucket) * 5)
