"""`contrib status`'s history line (pure)."""

from __future__ import annotations

from contribbot.app.history import history_line

R, U = "o/r", "alice"


def line(states: dict[str, str], since: str | None = "2025-11-01", phases: int = 5) -> str:
    return history_line(states, repo=R, login=U, since=since, phases=lambda: phases)


def test_nothing_yet():
    assert line({}) == "not yet"


def test_first_sync_loading_counts_the_requests_left_per_phase():
    states = {
        f"backfill:{R}:{U}:gql-authored-issues": "done",
        f"backfill:{R}:{U}:gql-authored-prs": "2023-04-02T10:00:00Z",
        f"backfill:{R}:{U}:gql-authored-prs:left": "4",
    }
    # 4 pages left, and 3 phases not started yet = at least 3 more
    assert line(states) == "history up to 2023-04, about 7 requests to go"


def test_done_since_history_since_says_how_to_load_the_rest():
    states = {f"backfill:{R}:{U}": "2026-11-20T12:00:00Z"}
    assert line(states) == "since 2025-11-01 (`contrib sync --history all` loads the rest)"
    assert line(states, since=None) == "all history"
    older = {**states, f"history:{R}:{U}:gql-reviewed": "2021-07-01T00:00:00Z"}
    assert line(older, phases=1) == "history up to 2021-07"
    assert line({**states, f"history:{R}:{U}": "2026-11-21T00:00:00Z"}) == "all history"
