"""The sync against the GitHub stand-in: cheap first sync, free idle polls, faults, limits."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import NOW, TOKEN, cli, copy_standin, load, world_copy, write_config

from contribbot.activity import contributions
from contribbot.fakehub import Dataset, FakeHub
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync

EPOCH = datetime(2000, 1, 1, tzinfo=NOW.tzinfo)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The small world (340 issues, the same stories): what these tests check does not
    grow with the repository, and a sync of it is several times faster."""
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


@pytest.fixture
def big_hub() -> Iterator[FakeHub]:
    """The default world (2,970 issues): where a cost must be small next to the repo's."""
    with FakeHub(world_copy(), tokens={TOKEN: "alice"}) as running:
        yield running


def expected(ds: Dataset, users: set[str], since: datetime, until: datetime) -> set[tuple]:
    """An independent oracle: the contributions, computed from the data set itself."""
    out = set()
    for repo in ds.repos.values():
        for issue in repo.issues.values():
            if issue.user in users:
                kind = "pr" if issue.is_pr else "issue"
                out.add(
                    (f"{kind}_opened", issue.user, repo.full_name, issue.number, issue.created_at)
                )
                landed = issue.merged_at or (
                    issue.closed_at
                    if issue.state == "closed" and "Merged" in issue.labels
                    else None
                )
                if issue.is_pr and landed:
                    out.add(("pr_merged", issue.user, repo.full_name, issue.number, landed))
                elif issue.state == "closed":
                    out.add(
                        (
                            f"{kind}_closed",
                            issue.user,
                            repo.full_name,
                            issue.number,
                            issue.closed_at,
                        )
                    )
            for review in issue.reviews:
                if (
                    review.user in users
                    and review.user != issue.user
                    and review.state != "PENDING"
                    and review.submitted_at
                ):
                    out.add(
                        ("review", review.user, repo.full_name, issue.number, review.submitted_at)
                    )
            for comment in issue.comments:
                if comment.user in users:
                    out.add(
                        ("comment", comment.user, repo.full_name, issue.number, comment.created_at)
                    )
    return {c for c in out if since <= c[4] < until}


def stored(engine, users, since=EPOCH, until=None) -> set[tuple]:
    with session_scope(engine) as session:
        items = contributions(
            session, users=list(users), since=since, until=until or NOW + timedelta(days=1)
        )
    return {(c.kind, c.user, c.repo, c.number, c.at) for c in items}


def run_sync(config, hub: FakeHub, sleep=time.sleep) -> tuple[Sync, GitHubClient]:
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01, sleep=sleep)
    sync = Sync(
        engine=open_database(config.database_url()), client=client, config=config, clock=hub.now
    )
    sync.run()
    return sync, client


def test_first_sync_matches_the_data_set_and_costs_the_users_items_not_the_repos(tmp_path, big_hub):
    hub = big_hub
    config = load(write_config(tmp_path, hub.base_url, users=["alice"], repos=["pytorch/pytorch"]))
    sync, client = run_sync(config, hub)
    assert sync.result.exit_code == 0
    engine = open_database(config.database_url())
    assert stored(engine, ["alice"]) == expected(
        hub.dataset, {"alice"}, EPOCH, NOW + timedelta(days=1)
    )

    repo = hub.dataset.repos["pytorch/pytorch"]
    authored = [i for i in repo.issues.values() if i.user == "alice"]
    reviewed = {
        r.issue.number
        for i in repo.issues.values()
        for r in i.reviews
        if r.user == "alice" and i.user != "alice"
    }
    commented = {
        c.issue.number for i in repo.issues.values() for c in i.comments if c.user == "alice"
    }
    searches = [r for r in hub.requests if r.path == "/search/issues"]
    # the searches cost the user's own items / 100 (+1 per phase for the last, short page)
    assert (
        len(searches)
        <= math.ceil(len(authored) / 100)
        + math.ceil(len(reviewed) / 100)
        + math.ceil(len(commented) / 100)
        + 3
    )
    # and the follow-ups one per reviewed PR / commented issue / own recent PR, never the repo
    assert client.usage.sent <= len(searches) + len(reviewed) + len(commented) + len(authored) + 10
    assert client.usage.sent < len(repo.issues) / 4
    for request in hub.requests:
        if request.path.startswith("/repos/") and request.path.endswith(
            ("/issues", "/issues/comments", "/pulls/comments")
        ):
            assert "since" in request.query, request  # no listing of the whole repository


def test_idle_poll_is_free_then_a_poll_picks_up_a_comment_a_review_and_a_merge(
    tmp_path, hub, sync_mode
):
    config = load(write_config(tmp_path, hub.base_url, graphql=sync_mode))
    run_sync(config, hub)
    hub.clear_requests()
    sync, client = run_sync(config, hub)  # nothing changed: every request a free 304
    assert sync.result.items == 0
    budget = 3 * len(config.track.repos) + len(config.track.users)
    assert len(hub.requests) <= budget
    assert all(r.conditional and r.status == 304 for r in hub.requests), hub.requests
    assert hub.spent() == 0 and client.usage.spent == 0
    assert sync.result.spend.points == 0 and sync.result.spend.not_modified == len(hub.requests)
    ds = hub.dataset
    open_pr = ds.alice_open_prs["approved"]
    others_pr = next(
        i.number
        for i in ds.repos["pytorch/pytorch"].issues.values()
        if i.is_pr and i.state == "open" and i.user not in ("alice", "bob", "carol")
    )
    hub.advance(timedelta(minutes=5))
    hub.add_comment(
        "pytorch/pytorch", ds.candidates_by_kind["free_quiet"], "alice", "Looking into it"
    )
    hub.add_review(
        "pytorch/pytorch", others_pr, "alice", "APPROVED"
    )  # no inline comment: only events show it
    hub.merge_pr("pytorch/pytorch", open_pr, via_label=True)
    hub.clear_requests()
    run_sync(config, hub)
    engine = open_database(config.database_url())
    since = hub.now() - timedelta(minutes=2)
    got = {(kind, number) for kind, _, _, number, _ in stored(engine, ["alice"], since=since)}
    assert ("comment", ds.candidates_by_kind["free_quiet"]) in got
    assert ("review", others_pr) in got
    assert ("pr_merged", open_pr) in got
    assert stored(engine, ["alice", "bob", "carol"]) == expected(
        hub.dataset, {"alice", "bob", "carol"}, EPOCH, NOW + timedelta(days=1)
    )
    searches = [r for r in hub.requests if r.path.startswith("/search")]
    assert searches == []  # polls never search
    # alice's comment came in the stream: saved from it, her thread never fetched again
    thread = f"/repos/pytorch/pytorch/issues/{ds.candidates_by_kind['free_quiet']}/comments"
    assert not [r for r in hub.requests if r.path == thread]
    hub.clear_requests()
    run_sync(config, hub)  # the very next idle poll is free again: all 304
    assert hub.requests and all(r.status == 304 for r in hub.requests) and hub.spent() == 0


@pytest.mark.parametrize("kind", ["500", "502", "drop", "secondary", "429"])
def test_faults_are_retried_and_lose_nothing(tmp_path, hub, kind):
    config = load(write_config(tmp_path, hub.base_url, users=["bob"]))
    hub.inject(r"/search/issues|/issues$|/reviews$", kind, times=2, retry_after=1)
    waits: list[float] = []  # what the client waited, noted (and not slept: 2 s a case)
    sync, _ = run_sync(config, hub, sleep=waits.append)
    assert sync.result.exit_code == 0
    if kind in ("secondary", "429"):  # a secondary limit: its retry-after, each time
        assert waits == [1.0, 1.0]
    else:  # a failure: a short backoff (backoff_factor 0.01), each time
        assert len(waits) == 2 and all(0 < w < 1 for w in waits), waits
    engine = open_database(config.database_url())
    assert stored(engine, ["bob"]) == expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=1))
    assert any(r.status != 200 and r.status != 304 for r in hub.requests)  # the faults happened


def test_waits_for_the_rate_limit_reset_instead_of_running_dry(tmp_path, hub, caplog):
    config = load(write_config(tmp_path, hub.base_url, users=["bob"]))
    # the limit's windows and the client's waits on one fake wall clock: however slow the
    # machine, the window cannot reset on its own before the client gets near the bottom
    wall = [datetime.now(UTC).timestamp()]
    hub._limiter.clock = lambda: wall[0]
    hub.set_rate_limit(25, window_s=3600)
    client = GitHubClient(
        api_url=hub.base_url,
        token=TOKEN,
        backoff_factor=0.01,
        sleep=lambda s: wall.__setitem__(0, wall[0] + s),
        clock=lambda: datetime.fromtimestamp(wall[0], UTC),
    )
    sync = Sync(
        engine=open_database(config.database_url()), client=client, config=config, clock=hub.now
    )
    with caplog.at_level("WARNING", logger="contribbot.github"):
        sync.run()
    assert sync.result.exit_code == 0
    assert client.usage.waited_s > 0
    assert "waiting" in caplog.text and "for the reset" in caplog.text
    assert not [r for r in hub.requests if r.status == 403]  # never hit the wall
    engine = open_database(config.database_url())
    assert stored(engine, ["bob"]) == expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=1))


def test_missing_repo_is_one_line_and_the_others_still_sync(tmp_path, hub, sync_mode):
    path = write_config(
        tmp_path, hub.base_url, repos=["pytorch/nope", "pytorch/tutorials"], graphql=sync_mode
    )
    code, out, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 1
    assert "pytorch/nope: repository not found, or the token cannot see it" in err
    assert "Traceback" not in out + err
    code, out, _ = cli("status", "--config", str(path), "--format", "json")
    doc = json.loads(out)
    tutorials = next(r for r in doc["repos"] if r["repo"] == "pytorch/tutorials")
    assert tutorials["last_synced"] and tutorials["items_stored"] > 0


def test_hidden_repo_counts_as_missing(tmp_path, hub):
    hub.hide_repo("pytorch/tutorials")
    path = write_config(tmp_path, hub.base_url, repos=["pytorch/tutorials"], users=["bob"])
    code, _, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 1 and "pytorch/tutorials: repository not found" in err


def test_bad_token_is_exit_2_and_never_printed(tmp_path, hub):
    path = write_config(tmp_path, hub.base_url, token="ghp_wrongwrongwrong")
    code, out, err = cli("sync", "--config", str(path))
    assert code == 2
    assert "GitHub rejected the token" in err
    assert "ghp_wrongwrongwrong" not in out + err
    assert "Traceback" not in out + err


def test_token_is_not_stored_or_logged(tmp_path, hub, caplog):
    path = write_config(tmp_path, hub.base_url, users=["bob"])
    with caplog.at_level("DEBUG"):
        code, out, err = cli("sync", "--config", str(path))
    assert code == 0, err
    for name in ("contrib.db", "contrib.db-wal"):
        file = tmp_path / name
        if file.exists():
            assert TOKEN.encode() not in file.read_bytes()
    assert TOKEN not in caplog.text + out + err


def test_activity_json_contract_against_the_data_set(tmp_path, standin):
    path = copy_standin(standin, tmp_path)  # the default world, synced once per session
    since, until = NOW - timedelta(days=30), NOW
    code, out, err = cli(
        "activity",
        "--config",
        str(path),
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat(),
        "--format",
        "json",
        "--user",
        "alice",
        "--user",
        "bob",
    )
    assert code == 0, err
    rows = json.loads(out)
    assert rows, "the data set has activity in the last 30 days"
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    for row in rows:
        assert set(row) >= {"kind", "user", "repo", "number", "title", "url", "at"}
        assert row["at"].endswith("Z") and row["url"].startswith("https://github.com/")
        assert ("state" in row) == (row["kind"] == "review")
    got = {(r["kind"], r["user"], r["repo"], r["number"], r["at"]) for r in rows}
    want = {
        (k, u, r, n, at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for k, u, r, n, at in expected(standin.dataset, {"alice", "bob"}, since, until)
    }
    assert got == want


def test_activity_rejects_bad_windows(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9")  # never contacted
    code, _, err = cli("activity", "--config", str(path), "--since", "last tuesday")
    assert code == 2 and "--since: 'last tuesday' is not an ISO 8601 time" in err
    code, _, err = cli(
        "activity", "--config", str(path), "--since", "2026-11-20", "--until", "2026-11-01"
    )
    assert code == 2 and "is after --until" in err


def test_sync_by_hand_says_busy_while_the_daemon_holds_the_database(tmp_path, hub):
    from contribbot.app import runtime

    path = write_config(tmp_path, hub.base_url, users=["bob"])
    with runtime.exclusive(load(path), wait_s=0, what="contrib daemon"):
        code, _, err = cli("sync", "--config", str(path), "--wait", "0.5", "--quiet")
    assert code == 3
    assert "database is busy" in err and "contrib daemon" in err
    assert hub.requests == []  # it did not start
    assert cli("sync", "--config", str(path), "--quiet")[0] == 0  # free again afterwards


def test_reconcile_searches_only_what_changed_since_the_last_one(tmp_path, hub):
    tutorials = "pytorch/tutorials"  # 40 issues: enough for every search, quick to sync
    config = load(write_config(tmp_path, hub.base_url, users=["bob"], repos=[tutorials]))
    run_sync(config, hub)
    hub.advance(timedelta(hours=1))
    others_pr = hub.open_pr(tutorials, "dave", "Fix the CUDA tutorial").number
    hub.add_review(tutorials, others_pr, "bob", "CHANGES_REQUESTED")
    hub.clear_requests()
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    engine = open_database(config.database_url())
    Sync(engine=engine, client=client, config=config, clock=hub.now, reconcile=True).run()
    searches = [r.query["q"] for r in hub.requests if r.path == "/search/issues"]
    assert len(searches) == 3 and all("updated:>=" in q for q in searches)
    truth = expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=2))
    assert ("review", "bob", tutorials, others_pr) in {c[:4] for c in truth}
    assert stored(engine, ["bob"]) == {c for c in truth if c[2] == tutorials}
    hub.clear_requests()
    Sync(engine=engine, client=client, config=config, clock=hub.now, reconcile=True).run()
    again = [r for r in hub.requests if r.path == "/search/issues"]
    assert len(again) == 3  # one short page per phase: nothing changed since
    assert all(r.status in (200, 304) for r in again)


def test_a_login_github_does_not_know_fails_alone(tmp_path, hub, sync_mode):
    path = write_config(
        tmp_path,
        hub.base_url,
        users=["bob", "no-such-person"],
        repos=["pytorch/tutorials"],
        graphql=sync_mode,
    )
    code, _, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 1
    assert "pytorch/tutorials: @no-such-person:" in err and "Traceback" not in err
    engine = open_database(load(path).database_url())
    assert stored(engine, ["bob"]) == {
        c
        for c in expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=1))
        if c[2] == "pytorch/tutorials"
    }


def test_repo_names_are_case_insensitive(tmp_path, hub, sync_mode):
    path = write_config(
        tmp_path, hub.base_url, users=["bob"], repos=["PyTorch/Tutorials"], graphql=sync_mode
    )
    assert cli("sync", "--config", str(path), "--quiet")[0] == 0
    code, out, _ = cli("status", "--config", str(path), "--format", "json")
    (repo,) = json.loads(out)["repos"]
    assert repo["items_stored"] > 0 and repo["users"][0]["prs"] == 4
    engine = open_database(load(path).database_url())
    assert stored(engine, ["bob"]) == {
        c
        for c in expected(hub.dataset, {"bob"}, EPOCH, NOW + timedelta(days=1))
        if c[2] == "pytorch/tutorials"
    }
