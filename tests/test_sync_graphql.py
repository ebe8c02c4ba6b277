"""History over GraphQL: the same database as REST, for a fraction of the points."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import NOW, TOKEN, cli, load, write_config
from forked import start
from sqlalchemy import text
from test_fakehub_graphql import SEARCH, post
from test_sync import EPOCH, expected, stored
from test_sync_truth import Wall

from contribbot.errors import ContribError
from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database
from contribbot.sync import Sync

USERS = ["alice", "bob"]
REPOS = ["pytorch/pytorch", "pytorch/tutorials"]
# An item is named by its (repo, number), not its row id: GraphQL gives a PR's pulls id, not
# the issues id REST keys it on, so a PR only GraphQL has seen waits under a placeholder id
# (store/identity.py) until REST's first payload re-keys it. Issues keep comparing ids.
_ITEM = """(select xr.full_name || '#' || x.number from issue x
    join repository xr on xr.id = x.repo_id where x.id = {})"""
ROWS = {
    "issues": """select r.full_name, i.number, case when i.is_pr then 0 else i.id end, i.is_pr,
        i.title, i.body, i.state,
        i.state_reason, a.login, i.author_association, i.created_at, i.updated_at,
        i.closed_at, i.labels, i.assignees, i.comments, i.html_url, p.draft, p.merged_at,
        p.merged_by_label
        from issue i join repository r on r.id = i.repo_id
        left join account a on a.id = i.author_id left join pullrequest p on p.issue_id = i.id""",
    "comments": f"""select c.id, c.kind, {_ITEM.format("c.issue_id")}, a.login, c.created_at,
        c.updated_at, c.author_association, c.body, c.html_url
        from comment c join account a on a.id = c.author_id""",
    "reviews": f"""select v.id, {_ITEM.format("v.pr_id")}, a.login, a.kind, v.state,
        v.submitted_at, v.author_association
        from review v join account a on a.id = v.reviewer_id""",
    "lifecycle_events": f"""select id, {_ITEM.format("issue_id")}, event, label, actor,
        commit_id, created_at from lifecycle_event""",
    "landings_and_reverts": f"""select {_ITEM.format("issue_id")}, kind, at, by_label
        from pr_lifecycle""",
}


def sync_with(tmp_path: Path, hub, mode: str, *, users=USERS, repos=REPOS, per_page=100, wall=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_config(tmp_path, hub.base_url, users=users, repos=repos, graphql=mode)
    path.write_text(path.read_text().replace("[database]", f"per_page = {per_page}\n[database]"))
    config = load(path)
    # a fake `wall`: the client's waits and clock go by it (the stand-in's windows too, if set)
    timed = {"sleep": wall.sleep, "clock": wall.utc} if wall else {}
    client = GitHubClient(
        api_url=hub.base_url, token=TOKEN, backoff_factor=0.01, per_page=per_page, **timed
    )
    engine = open_database(config.database_url())
    sync = Sync(engine=engine, client=client, config=config, clock=hub.now, **timed_sync(wall))
    result = sync.run()
    return sync, result, engine


def timed_sync(wall) -> dict:
    """The sync's own pauses (an incomplete page asked again) on the fake `wall`, if set."""
    return {"sleep": wall.sleep} if wall else {}


def _cell(value):
    # JSON columns come back as text on SQLite and as lists on PostgreSQL
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def dump(engine) -> dict[str, set[tuple]]:
    with engine.connect() as conn:
        return {
            name: {tuple(_cell(v) for v in row) for row in conn.execute(text(sql))}
            for name, sql in ROWS.items()
        }


def test_rest_and_graphql_give_the_same_database_and_the_oracles_activity(tmp_path, hub):
    """Each mode's first sync of the same world equals the oracle (hence the other mode),
    row for row, and GraphQL's costs far fewer points than REST's requests."""
    _, rest_result, rest = sync_with(tmp_path / "rest", hub, "false")
    rest_points = sum(r.points for r in hub.requests if r.counted)
    hub.clear_requests()
    gql_sync, gql_result, gql = sync_with(tmp_path / "gql", hub, "true")
    gql_points = sum(r.points for r in hub.requests if r.counted)
    assert rest_result.exit_code == gql_result.exit_code == 0
    rest_rows, gql_rows = dump(rest), dump(gql)
    for table in ROWS:
        assert rest_rows[table] == gql_rows[table], table
    assert all(rest_rows[t] for t in ROWS)
    truth = expected(hub.dataset, set(USERS), EPOCH, NOW + timedelta(days=1))
    assert stored(gql, USERS) == truth == stored(rest, USERS)
    assert gql_sync.graphql is not None and gql_sync.graphql.usage.points > 0
    assert not [r for r in hub.requests if r.path == "/search/issues"]  # no REST searches
    assert 0 < gql_points < rest_points / 3, (gql_points, rest_points)


def test_auto_falls_back_to_rest_without_a_graphql_endpoint(tmp_path, small_hub):
    hub = small_hub
    hub.graphql.enabled = False
    sync, result, engine = sync_with(tmp_path / "auto", hub, '"auto"', users=["alice"])
    assert result.exit_code == 0 and sync.graphql is None
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )
    sync, result, _ = sync_with(tmp_path / "forced", hub, "true", users=["alice"])
    assert result.exit_code == 1  # graphql = true: no silent fallback
    assert "GraphQL" in " ".join(p for o in result.outcomes for p in o.problems + [o.error or ""])


def test_partial_pages_are_not_kept_but_asked_again(tmp_path, small_hub):
    hub = small_hub
    hub.graphql.partial = 2
    wall = Waits(hub)  # the pauses before asking again pass at once
    _, result, engine = sync_with(
        tmp_path, hub, "true", users=["alice"], repos=REPOS[:1], wall=wall
    )
    assert result.exit_code == 0 and hub.graphql.partial == 0
    assert sorted(set(wall.seen)) == [1, 2]  # it paused after each partial answer, only then
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )


def test_a_502_halves_first_until_the_query_fits(tmp_path, small_hub):
    hub = small_hub
    hub.graphql.max_nodes = 6000  # a page of 100 or 50 is too heavy, 25 fits: two halvings
    _, result, engine = sync_with(tmp_path, hub, "true", users=["alice"], repos=REPOS[:1])
    assert result.exit_code == 0
    sizes = [r.status for r in hub.requests if r.path == "/graphql"]
    assert "502 502 200" in " ".join(map(str, sizes)) and sizes[-1] == 200
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )


class Waits(Wall):
    """The shared fake wall clock (the stand-in's GraphQL windows and the client's waits),
    noting how many queries had been sent at each wait."""

    def __init__(self, hub: FakeHub) -> None:
        super().__init__()
        self.hub = hub
        self.seen: list[int] = []
        hub.graphql.clock = self.now  # the stand-in's windows reset on this clock only

    def utc(self) -> datetime:
        """This clock as the client reads it."""
        return datetime.fromtimestamp(self.t, UTC)

    def sleep(self, seconds: float) -> None:
        """Note the wait, then let it pass at once."""
        self.seen.append(len(queries(self.hub)))
        super().sleep(seconds)


def queries(hub: FakeHub) -> list:
    """The GraphQL requests the stand-in saw, in order."""
    return [r for r in hub.requests if r.path == "/graphql"]


@pytest.mark.parametrize("how", ["budget low", "RATE_LIMITED"])
def test_rate_limited_waits_for_the_reset_and_goes_on(tmp_path, small_hub, how):
    hub = small_hub
    # a fake wall clock shared by the stand-in's 2 s windows and the client's waits: a wait
    # moves it on, and no window resets behind the client's back however slow the machine
    wall = Waits(hub)
    hub.graphql.set_limit(3, window_s=2)  # a page costs 1 point: a wait every third query
    if how == "RATE_LIMITED":  # someone else spent this window: the first query is refused
        for _ in range(3):
            assert post(hub, SEARCH, q="author:bob", first=1).json()["data"]
    before = len(queries(hub))
    sync, result, engine = sync_with(
        tmp_path, hub, "true", users=["alice"], repos=REPOS[:1], wall=wall
    )
    assert result.exit_code == 0
    sent = queries(hub)[before:]
    # refused only when the client had not been told its budget; else it waits before
    assert [i for i, r in enumerate(sent) if not r.counted] == (
        [0] if how == "RATE_LIMITED" else []
    )
    assert sum(r.points for r in sent) > 6 and len(wall.seen) >= 2
    assert sync.client.usage.waited_s > 0
    for at in wall.seen:  # the query after each wait is answered: it waited for the reset
        assert sent[at - before].counted
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )


def test_graphql_config_value_is_validated(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9", graphql='"sometimes"')
    with pytest.raises(ContribError):
        load(path)


@pytest.mark.slow
def test_kill_9_mid_backfill_resumes_with_nothing_lost_or_doubled(tmp_path, small_hub):
    hub = small_hub
    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=REPOS[:1], graphql="true")
    path.write_text(path.read_text().replace("[database]", "per_page = 3\n[database]"))
    proc = start("sync", "--quiet", "--config", str(path), cwd=tmp_path)  # see forked.py
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(r.path == "/graphql" and r.status == 200 for r in hub.requests) >= 8:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    engine = open_database(load(path).database_url())
    with engine.connect() as conn:
        saved_before = conn.execute(text("select count(*) from issue")).scalar()
        states = dict(conn.execute(text("select key, value from sync_state")).all())
    assert 0 < saved_before and not any(
        k.endswith("gql-commented-prs") and v == "done" for k, v in states.items()
    )
    code, _, err = cli("sync", "--quiet", "--config", str(path))  # the rerun, in-process
    assert code == 0, err
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )
    with engine.connect() as conn:
        assert (
            conn.execute(text("select count(*) from issue")).scalar()
            == conn.execute(text("select count(distinct id) from issue")).scalar()
        )


def test_history_all_loads_what_lies_before_history_since(tmp_path, small_hub, sync_mode):
    hub = small_hub
    path = write_config(
        tmp_path,
        hub.base_url,
        users=["alice"],
        repos=REPOS[:1],
        graphql=sync_mode,
        extra='history_since = "2025-06-01"\n',
    )
    config = load(path)
    engine = open_database(config.database_url())

    def run(history_all: bool) -> None:
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
        sync = Sync(
            engine=engine, client=client, config=config, clock=hub.now, history_all=history_all
        )
        assert sync.run().exit_code == 0

    truth = expected(hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1))
    run(False)
    recent = stored(engine, ["alice"])
    assert recent < truth and any(c[4].year < 2025 for c in truth - recent)
    assert (
        history(engine, config) == "since 2025-06-01 (`contrib sync --history all` loads the rest)"
    )
    run(True)
    assert stored(engine, ["alice"]) == truth
    assert history(engine, config) == "all history"


def history(engine, config) -> str:
    from contribbot.app.status import status
    from contribbot.store.db import session_scope

    with session_scope(engine) as session:
        return status(session, config=config)["repos"][0]["users"][0]["history"]


def test_init_proposes_a_year_of_history_and_says_how_to_load_the_rest(tmp_path):
    target = tmp_path / "contrib.toml"
    code, out, _ = cli(
        "init", "--user", "alice", "--repo", "pytorch/pytorch", "--path", str(target)
    )
    assert code == 0 and "contrib sync --history all" in out.replace("\n", " ")
    since = load(target).track.history_since
    today = __import__("datetime").date.today()
    assert since is not None and since.startswith(str(today.year - 1))


def test_a_long_history_loads_in_chunks_between_polls(tmp_path, small_hub):
    hub = small_hub
    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=REPOS[:1], graphql="true")
    path.write_text(path.read_text().replace("[database]", "per_page = 10\n[database]"))
    config = load(path)
    engine = open_database(config.database_url())
    truth = expected(hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1))
    lines, polls = [], 0
    while polls < 30:
        polls += 1
        hub.clear_requests()
        client = GitHubClient(api_url=hub.base_url, token=TOKEN, per_page=10)
        sync = Sync(engine=engine, client=client, config=config, clock=hub.now, history_pages=3)
        assert sync.run().exit_code == 0
        searches = [r for r in hub.requests if r.path == "/graphql"]
        assert len(searches) <= 3 + 2  # its share of pages (+ a long thread's pages)
        lines.append(history(engine, config))
        if lines[-1] == "all history":
            break
    assert polls > 3 and stored(engine, ["alice"]) == truth
    assert any("requests to go" in line for line in lines)
