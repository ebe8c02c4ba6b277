"""How far a user's history has loaded, for `contrib status` (pure: states in, a line out).

Searches load a history oldest first, each phase keeping its `created:>=` checkpoint
(`...:<phase>`) and how many pages its search had left after the last one
(`...:<phase>:left`); `backfill:` is the first sync, `history:` the part before
`history_since` that `contrib sync --history all` loads.

Over REST the searches also queue follow-up fetches (`history-*` tasks, one request each,
drained in chunks between polls). They are keyed by repo and item, not by user (two users
may owe the same PR's reviews), so they are counted for the repo and the line says so; a
history is not "all history" while they are queued.
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
    follow_ups: int = 0,
) -> str:
    """`history up to 2023-04, about 40 requests to go`, or what is done.

    `phases` counts the search phases; it is asked only while a history is loading (the
    sync's phase tables import the GitHub client, which `contrib status` does not need).
    `follow_ups`: the history follow-up fetches queued in the repo (for all its users).
    """
    first, older = f"backfill:{repo}:{login}", f"history:{repo}:{login}"
    if states.get(first) is None:
        if not _started(states, first):
            return "not yet"
        return _loading(states, first, phases, follow_ups)
    if not since or states.get(older) is not None:
        if follow_ups:
            return f"all history searched, about {follow_ups} {_SHARED}"
        return "all history"
    if _started(states, older):
        return _loading(states, older, phases, follow_ups)
    rest = "`contrib sync --history all` loads the rest"
    if follow_ups:
        return f"since {since[:10]}, about {follow_ups} {_SHARED}; {rest}"
    return f"since {since[:10]} ({rest})"


_SHARED = "follow-ups to go (queued for the repo, shared by its users)"


def _started(states: Mapping[str, str], prefix: str) -> bool:
    return any(key.startswith(f"{prefix}:") for key in states)


def _loading(
    states: Mapping[str, str], prefix: str, phases: Callable[[], int], follow_ups: int
) -> str:
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
    pages = sum(lefts) + untouched
    reached = min((v[:7] for v in checkpoints.values() if v), default=None)
    where = f"history up to {reached}" if reached else "history loading"
    if not (lefts or untouched or follow_ups):
        return where
    line = f"{where}, about {pages + follow_ups} requests to go"
    if follow_ups:  # not this user's alone: say so
        line += f" ({follow_ups} of them follow-ups queued for the repo, shared by its users)"
    return line
