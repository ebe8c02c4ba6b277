"""How far a user's history has loaded, for `contrib status` (pure: states in, a line out).

Searches load a history oldest first, each phase keeping its `created:>=` checkpoint
(`...:<phase>`) and how many pages its search had left after the last one
(`...:<phase>:left`); `backfill:` is the first sync, `history:` the part before
`history_since` that `contrib sync --history all` loads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

DONE = "done"


def history_line(
    states: Mapping[str, str],
    *,
    repo: str,
    login: str,
    since: str | None,
    phases: Callable[[], int],
) -> str:
    """`history up to 2023-04, about 40 requests to go`, or what is done.

    `phases` counts the search phases; it is asked only while a history is loading (the
    sync's phase tables import the GitHub client, which `contrib status` does not need).
    """
    first, older = f"backfill:{repo}:{login}", f"history:{repo}:{login}"
    if states.get(first) is None:
        return _loading(states, first, phases) if _started(states, first) else "not yet"
    if not since or states.get(older) is not None:
        return "all history"
    if _started(states, older):
        return _loading(states, older, phases)
    return f"since {since[:10]} (`contrib sync --history all` loads the rest)"


def _started(states: Mapping[str, str], prefix: str) -> bool:
    return any(key.startswith(f"{prefix}:") for key in states)


def _loading(states: Mapping[str, str], prefix: str, phases: Callable[[], int]) -> str:
    checkpoints = {
        key: value
        for key, value in states.items()
        if key.startswith(f"{prefix}:") and not key.endswith(":left") and value != DONE
    }
    done = sum(
        1
        for k, v in states.items()
        if k.startswith(f"{prefix}:") and v == DONE and ":left" not in k
    )
    lefts = [int(states[f"{key}:left"]) for key in checkpoints if f"{key}:left" in states]
    untouched = max(phases() - done - len(checkpoints), 0)
    to_go = sum(lefts) + untouched
    reached = min((v[:7] for v in checkpoints.values() if v), default=None)
    where = f"history up to {reached}" if reached else "history loading"
    return f"{where}, about {to_go} requests to go" if lefts or untouched else where
