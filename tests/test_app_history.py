"""`contrib status`'s history line (pure), and the status of a REST history loading in chunks."""

from __future__ import annotations

import re

from contribbot.app.history import history_line

R, U = "o/r", "alice"


def line(
    states: dict[str, str], since: str | None = "2025-11-01", phases: int = 5, follow_ups: int = 0
) -> str:
    return history_line(
        states, repo=R, login=U, since=since, phases=lambda: phases, follow_ups=follow_ups
    )


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


def test_follow_ups_queued_while_searching_add_to_the_requests_and_say_whose():
    states = {
        f"backfill:{R}:{U}:authored": "2023-04-02T10:00:00Z",
        f"backfill:{R}:{U}:authored:left": "4",
    }
    assert line(states, phases=1) == "history up to 2023-04, about 4 requests to go"
    assert line(states, phases=1, follow_ups=40) == (
        "history up to 2023-04, about 44 requests to go"
        " (40 of them follow-ups queued for the repo, shared by its users)"
    )
    # the searches are at their last page: only the follow-ups are left
    last = {**states, f"backfill:{R}:{U}:authored:left": "0"}
    assert line(last, phases=1, follow_ups=3).startswith("history up to 2023-04, about 3 req")


def test_searched_history_is_not_all_history_while_follow_ups_are_queued():
    first = {f"backfill:{R}:{U}": "2026-11-20T12:00:00Z"}
    shared = "follow-ups to go (queued for the repo, shared by its users)"
    assert line(first, since=None, follow_ups=120) == f"all history searched, about 120 {shared}"
    assert line(first, since=None, follow_ups=0) == "all history"
    assert line(first, follow_ups=120) == (
        f"since 2025-11-01, about 120 {shared}; `contrib sync --history all` loads the rest"
    )
    older = {**first, f"history:{R}:{U}": "2026-11-21T00:00:00Z"}
    assert line(older, follow_ups=7) == f"all history searched, about 7 {shared}"
    assert line(older, follow_ups=0) == "all history"
    # another user's follow-ups do not make a user who has not started look started
    assert line({}, follow_ups=7) == "not yet"


def test_status_counts_a_rest_backfills_queued_follow_ups(tmp_path):
    """A REST history loading in chunks (the daemon's polls): `contrib status` adds the
    `history-*` follow-ups queued in the repo, and says "all history" only once they are
    fetched."""
    from conftest import TOKEN, load, world_copy, write_config
    from sqlalchemy import text

    from contribbot.app.status import status
    from contribbot.fakehub import FakeHub
    from contribbot.github.client import GitHubClient
    from contribbot.store.db import open_database, session_scope
    from contribbot.sync import Sync

    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as hub:
        # bob's history in small pages: 5 polls, the last leaving 16 follow-ups (alice's
        # takes 10 polls and leaves 287, which the last poll below then fetches)
        path = write_config(tmp_path, hub.base_url, users=["bob"], repos=["pytorch/pytorch"])
        path.write_text(path.read_text().replace("[database]", "per_page = 3\n[database]"))
        config = load(path)
        engine = open_database(config.database_url())

        def poll(pages: int | None) -> tuple[str, int, bool]:
            client = GitHubClient(api_url=hub.base_url, token=TOKEN, per_page=3)
            sync = Sync(
                engine=engine, client=client, config=config, clock=hub.now, history_pages=pages
            )
            assert sync.run().exit_code == 0
            with engine.connect() as conn:
                queued = conn.execute(
                    text("select count(*) from sync_task where kind like 'history-%'")
                ).scalar_one()
                searched = conn.execute(
                    text("select count(*) from sync_state where key = :k"),
                    {"k": "backfill:pytorch/pytorch:bob"},
                ).scalar_one()
            with session_scope(engine) as session:
                line = status(session, config=config)["repos"][0]["users"][0]["history"]
            return line, queued, bool(searched)

        seen = [poll(2)]
        while not seen[-1][2] and len(seen) < 40:
            seen.append(poll(2))
        assert seen[-1][2], "the searches did not finish in 40 polls"
        shared = "follow-ups queued for the repo, shared by its users"
        loading = [(line, queued) for line, queued, done in seen if not done and queued]
        assert loading, "no poll left follow-ups queued while the searches went on"
        for line, queued in loading:
            got = re.fullmatch(
                rf"history (up to \d{{4}}-\d\d|loading), about (\d+) requests to go"
                rf" \((\d+) of them {shared}\)",
                line,
            )
            assert got, line
            assert int(got[3]) == queued and int(got[2]) > queued  # search pages, too
        line, queued, _ = seen[-1]
        assert queued > 0, "the last search's poll fetched every follow-up: no test"
        assert line == (
            f"all history searched, about {queued} follow-ups to go"
            " (queued for the repo, shared by its users)"
        )
        assert poll(None) == ("all history", 0, True)
