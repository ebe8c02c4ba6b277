"""counts_by_period (the report's 52-week count) agrees with contributions() (the listing).

The count compares each event's stored time with the edges in Python; the listing lets the
database filter. Both must put every event of the stand-in's synced data set in the same
period, on SQLite and on PostgreSQL (CONTRIBBOT_TEST_DB), including an event exactly on
an edge and weeks across a daylight-saving change.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, USERS, Standin, copy_standin, load
from sqlalchemy import Engine

from contribbot.activity import TOTAL_OF_KIND, contributions, counts_by_period
from contribbot.activity.rules import TOTAL_KEYS
from contribbot.store.db import open_database, session_scope
from contribbot.timeutil import shift_week, week_bounds, week_of


@pytest.fixture(scope="module")
def engine(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    config = load(copy_standin(standin, tmp_path_factory.mktemp("counts")))
    return open_database(config.database_url())


def weekly_edges(weeks: int, tz: ZoneInfo | type[UTC] = UTC) -> list[datetime]:
    last = week_of(NOW, tz)
    labels = [shift_week(last, -back, tz) for back in range(weeks - 1, -1, -1)]
    return [*(week_bounds(w, tz)[0] for w in labels), week_bounds(last, tz)[1]]


def listed(engine: Engine, edges: Sequence[datetime]) -> dict[str, list[dict[str, int]]]:
    """The same counts, from the listing: each contribution's time bisected into a period."""
    out = {u: [dict.fromkeys(TOTAL_KEYS, 0) for _ in edges[1:]] for u in USERS}
    with session_scope(engine) as session:
        items = contributions(session, users=USERS, since=edges[0], until=edges[-1])
    for item in items:
        out[item.user.lower()][bisect_right(edges, item.at) - 1][TOTAL_OF_KIND[item.kind]] += 1
    return out


def counted(engine: Engine, edges: Sequence[datetime]) -> dict[str, list[dict[str, int]]]:
    with session_scope(engine) as session:
        return counts_by_period(session, users=USERS, edges=edges)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_a_year_of_weeks_matches_the_listing(engine, zone):
    edges = weekly_edges(52, ZoneInfo(zone))
    got = counted(engine, edges)
    assert got == listed(engine, edges)
    assert sum(sum(week.values()) for weeks in got.values() for week in weeks) > 100


def test_an_event_exactly_on_an_edge_belongs_to_the_period_it_starts(engine):
    with session_scope(engine) as session:
        everything = contributions(
            session, users=USERS, since=NOW - timedelta(days=3650), until=NOW
        )
    # edges at event times, to the microsecond: [edge, next edge) holds the event at edge
    moments = sorted({item.at for item in everything})
    edges = moments[:: max(1, len(moments) // 20)]
    assert len(edges) > 5
    got = counted(engine, edges)
    assert got == listed(engine, edges)
    # the earliest event sits on the first edge, and is counted in the first period
    assert sum(got[everything[0].user.lower()][0].values()) >= 1


def test_users_are_matched_case_insensitively_and_unknown_ones_are_zero(engine):
    edges = weekly_edges(4)
    with session_scope(engine) as session:
        got = counts_by_period(session, users=["ALICE", "nobody-at-all"], edges=edges)
    assert got["alice"] == listed(engine, edges)["alice"]
    assert got["nobody-at-all"] == [dict.fromkeys(TOTAL_KEYS, 0)] * 4
