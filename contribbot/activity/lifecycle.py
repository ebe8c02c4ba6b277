"""Pure: when a PR landed, was reverted and landed again, read from its timeline.

PyTorch's merge bot lands a PR by closing it and labelling it `Merged` (GitHub's
`merged_at` stays null), and reverts it by labelling it `Reverted` and reopening it.
Labels are sticky: a re-landed PR carries both, and the bot's second `Merged` is a
no-op, so GitHub records no new `labeled` event for it. The rules, in timeline order:

- a `merged` event (GitHub's own merge) is a landing; the `closed` beside it is not another;
- a `closed` event is a landing (at the close) when
  (a) a merged label is added within PAIR_WINDOW of it, before or after (the bot closes
      and labels within seconds, in either order), or
  (b) a merged label is already on and the PR never landed before, or
  (c) a merged label is still on after a revert, and the close is made by a commit or by
      an account that landed the PR before (the bot re-landing it);
  a merged label added later, while the PR stays closed, makes that close a landing too
  (it landed at the close; the label came late);
- while landed, a reverted label or a `reopened` event is a revert (the bot does both,
  seconds apart: one revert, at the first of them);
- labels match case-insensitively, and so do the bot's numbered repeats (`mergedX1`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # a type only: the label check of every read command imports this module
    from contribbot.github.parse import LifecycleEvent

PAIR_WINDOW = timedelta(minutes=10)
State = Literal["open", "landed", "reverted", "closed"]
_Predicate = Callable[["LifecycleEvent"], bool]


@dataclass(frozen=True)
class Moment:
    """A landing or a revert: when, by whom, and whether only a label says it landed."""

    at: datetime
    actor: str | None = None
    by_label: bool = False


@dataclass(frozen=True)
class Lifecycle:
    """A PR's history from its timeline."""

    landings: tuple[Moment, ...] = ()
    reverts: tuple[Moment, ...] = ()
    state: State = "open"
    closed_unmerged_at: datetime | None = None  # closed now, and that close was no landing

    @property
    def merged_at(self) -> datetime | None:
        """The landing that stands now (None when open, reverted or closed unmerged)."""
        return self.landings[-1].at if self.state == "landed" else None

    @property
    def reverted_at(self) -> datetime | None:
        """When the standing revert happened (only while the PR is reverted)."""
        return self.reverts[-1].at if self.state == "reverted" else None


def label_matcher(labels: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive full match of any of `labels`, or its numbered repeat (`X2`)."""
    names = sorted({label.strip().lower() for label in labels if label.strip()})
    if not names:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile(rf"(?:{'|'.join(map(re.escape, names))})(?:\s*x\d+)?", re.IGNORECASE)


def label_config_key(merged_labels: Iterable[str], reverted_labels: Iterable[str]) -> str:
    """A short fingerprint of the label rules: a change means the history is re-derived."""
    rules = [
        sorted({x.lower() for x in merged_labels}),
        sorted({x.lower() for x in reverted_labels}),
    ]
    return hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:16]


class _Walk:
    """The state carried along the timeline."""

    def __init__(self, merged: re.Pattern[str], reverted: re.Pattern[str]) -> None:
        self.merged, self.reverted = merged, reverted
        self.landings: list[Moment] = []
        self.reverts: list[Moment] = []
        self.landers: set[str] = set()
        self.labels: set[str] = set()
        self.landed = False
        self.closed: LifecycleEvent | None = None  # the close in force, if closed
        self.used: set[int] = set()  # label events already paired with a close
        self.landing_closes: set[int] = set()

    def is_merged_label(self, event: LifecycleEvent) -> bool:
        return event.event == "labeled" and _full(self.merged, event.label)

    def merged_label_on(self) -> bool:
        return any(_full(self.merged, label) for label in self.labels)

    def land(self, close: LifecycleEvent, *, by_label: bool, also: str | None = None) -> None:
        self.landings.append(Moment(close.at, close.actor, by_label))
        self.landing_closes.add(close.id)
        self.landed = True
        self.landers.update(a.lower() for a in (close.actor, also) if a)

    def revert(self, event: LifecycleEvent) -> None:
        if self.landed:
            self.reverts.append(Moment(event.at, event.actor))
            self.landed = False


def lifecycle(
    events: Sequence[LifecycleEvent],
    *,
    merged_labels: Iterable[str],
    reverted_labels: Iterable[str],
) -> Lifecycle:
    """Every landing and revert of a PR, from its timeline's lifecycle events."""
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    walk = _Walk(label_matcher(merged_labels), label_matcher(reverted_labels))
    for index, event in enumerate(ordered):
        if event.event == "merged":
            if not walk.landed:
                walk.landings.append(Moment(event.at, event.actor))
                walk.landed = True
        elif event.event == "closed":
            _on_close(walk, ordered, index)
        elif event.event == "reopened":
            walk.closed = None
            walk.revert(event)
        elif event.event == "labeled" and event.label:
            walk.labels.add(event.label.lower())
            _on_label(walk, event)
        elif event.event == "unlabeled" and event.label:
            walk.labels.discard(event.label.lower())
    return _result(walk)


def _on_close(walk: _Walk, ordered: Sequence[LifecycleEvent], index: int) -> None:
    close = ordered[index]
    walk.closed = close
    if walk.landed or _near(ordered, index, lambda e: e.event == "merged"):
        return  # the close of a GitHub merge, or of a PR that already landed
    label = _near(ordered, index, lambda e: walk.is_merged_label(e) and e.id not in walk.used)
    if label is not None:
        walk.used.add(label.id)
        walk.land(close, by_label=True, also=label.actor)
    elif walk.merged_label_on() and not walk.landings:
        walk.land(close, by_label=True)
    elif walk.merged_label_on() and (
        close.commit_id or (close.actor or "").lower() in walk.landers
    ):
        walk.land(close, by_label=True)


def _on_label(walk: _Walk, event: LifecycleEvent) -> None:
    if _full(walk.reverted, event.label):
        walk.revert(event)
    elif walk.is_merged_label(event) and event.id not in walk.used:
        if walk.closed is not None and not walk.landed:
            walk.used.add(event.id)  # a late label: it landed at the close
            walk.land(walk.closed, by_label=True, also=event.actor)


def _near(
    ordered: Sequence[LifecycleEvent], index: int, wanted: _Predicate
) -> LifecycleEvent | None:
    """The event nearest to ordered[index] within PAIR_WINDOW that is `wanted`, if any."""
    at = ordered[index].at
    found = [
        e
        for i, e in enumerate(ordered)
        if i != index and abs(e.at - at) <= PAIR_WINDOW and wanted(e)
    ]
    return min(found, key=lambda e: abs(e.at - at), default=None)


def _full(pattern: re.Pattern[str], label: str | None) -> bool:
    return label is not None and pattern.fullmatch(label.strip()) is not None


def _result(walk: _Walk) -> Lifecycle:
    if walk.landed:
        state: State = "landed"
    elif walk.closed is not None:
        state = "closed"
    else:
        state = "reverted" if walk.reverts else "open"
    return Lifecycle(
        landings=tuple(walk.landings),
        reverts=tuple(walk.reverts),
        state=state,
        closed_unmerged_at=(
            walk.closed.at
            if state == "closed" and walk.closed and walk.closed.id not in walk.landing_closes
            else None
        ),
    )
