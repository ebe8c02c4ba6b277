"""Candidates against the GitHub stand-in: every kind of availability, free idle
re-checks, ranking per user and across the cohort, history, and the CLI contract.

Statuses and ages depend on the time, so assertions about them call the service with
the stand-in's clock; the CLI tests only check what holds on any date.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, TOKEN, Standin, cli, copy_standin, load, world_copy, write_config
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import select

from contribbot.candidates.model import Candidate
from contribbot.candidates.refresh import REFRESHED_KEY, RefreshResult, refresh_candidates
from contribbot.candidates.render import candidates_markdown, candidates_table
from contribbot.candidates.service import Ranked, rank
from contribbot.config import Config
from contribbot.fakehub import Dataset, FakeHub
from contribbot.fakehub import Issue as HubIssue
from contribbot.github.client import GitHubClient
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import CandidateRecord

PYTORCH, TUTORIALS = "pytorch/pytorch", "pytorch/tutorials"
USERS = ["alice", "bob"]
REPOS = [PYTORCH, TUTORIALS]
CONTRACT_KEYS = {
    "repo", "number", "title", "url", "labels", "status", "score",
    "reasons", "taken_by", "pr", "first_seen", "user",
}  # fmt: skip
OPTIONAL_KEYS = {"new", "pr_url"}
STATUSES = {"free", "stale_claim", "taken", "mine"}
ASK = "ask politely before starting"
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# --- an independent oracle, read from the data set -----------------------------------


def ago(moment: datetime, now: datetime = NOW) -> str:
    days = (now - moment) // timedelta(days=1)
    return f"{days} day{'s' * (days != 1)} ago"


def hub_issue(ds: Dataset, kind: str) -> HubIssue:
    return ds.issue(PYTORCH, ds.candidates_by_kind[kind])


def linked_pr(ds: Dataset, kind: str) -> HubIssue | None:
    """The open PR whose text mentions the candidate, if one does."""
    refs = [e.source for e in hub_issue(ds, kind).timeline if e.kind == "cross-referenced"]
    return next((s for s in refs if s is not None and s.is_pr and s.state == "open"), None)


def claim(ds: Dataset, kind: str, login: str) -> tuple[datetime, str]:
    comment = next(c for c in hub_issue(ds, kind).comments if c.user == login)
    return comment.created_at, comment.body


def open_candidates(ds: Dataset, config: Config) -> set[tuple[str, int]]:
    """Open issues (not PRs) of the tracked repos that carry a beginner label."""
    found = set()
    for repo in config.track.repos:
        wanted = {label.casefold() for label in config.repo(repo).candidate_labels}
        for issue in ds.repos[repo].issues.values():
            labels = {label.casefold() for label in issue.labels}
            if not issue.is_pr and issue.state == "open" and labels & wanted:
                found.add((repo, issue.number))
    return found


# --- one synced database shared by the tests that only read it ----------------------


@dataclass
class World:
    hub: FakeHub
    path: Path
    config: Config
    engine: Engine
    first: RefreshResult

    def kind(self, name: str) -> int:
        return self.hub.dataset.candidates_by_kind[name]

    def ranked(
        self, *, users: list[str] = USERS, show_all: bool = True
    ) -> dict[str, list[Candidate]]:
        with session_scope(self.engine) as session:
            found = rank(
                session, config=self.config, users=users, repos=REPOS, now=NOW, show_all=show_all
            )
        return {login: [r.candidate for r in rows] for login, rows in found.items()}

    def for_user(self, login: str) -> dict[int, Candidate]:
        """Everything `login` would see with --all, in pytorch/pytorch, by number."""
        return {c.number: c for c in self.ranked()[login] if c.repo == PYTORCH}


def client_for(hub: FakeHub) -> GitHubClient:
    return GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)


def refresh(hub: FakeHub, config: Config, engine: Engine) -> RefreshResult:
    return refresh_candidates(engine=engine, client=client_for(hub), config=config, clock=hub.now)


def ranked_now(hub: FakeHub, config: Config, engine: Engine) -> list[Ranked]:
    """Everything alice would see with --all, ranked at the stand-in's time."""
    with session_scope(engine) as session:
        found = rank(
            session, config=config, users=["alice"], repos=[PYTORCH], now=hub.now(), show_all=True
        )
    return found["alice"]


def records(engine: Engine) -> dict[int, CandidateRecord]:
    with session_scope(engine) as session:
        rows = session.exec(select(CandidateRecord)).all()
        for row in rows:
            session.expunge(row)
    return {r.number: r for r in rows}


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The small world (the same kinds of candidate, a ninth of the issues), for the tests
    that sync or refresh on their own and read what to expect from its data set."""
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as running:
        yield running


@pytest.fixture(scope="module")
def world(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The session's synced stand-in (the default world, synced and its candidates refreshed
    at NOW; carol too, whom this config does not track), and a hub serving the same world."""
    with FakeHub(world_copy(), tokens={TOKEN: "alice"}) as hub:
        directory = tmp_path_factory.mktemp("world")
        path = copy_standin(standin, directory, hub.base_url, users=USERS)
        config = load(path)
        engine = open_database(config.database_url())
        # the stored ETags are keyed by the session hub's address: one refresh against this
        # hub keeps them under its own (the same world at the same time: nothing changes)
        again = refresh(hub, config, engine)
        assert (again.new, again.closed, again.listed) == (0, 0, standin.refreshed["listed"])
        yield World(hub, path, config, engine, RefreshResult(**standin.refreshed))


# --- every kind: its status and its reason -------------------------------------------


def expected_kinds(ds: Dataset) -> list[tuple[str, str, str, str | None, str | None]]:
    """(kind, user, status, held by, one of its reasons), read from the data set."""
    kwon, mei, bobs = (linked_pr(ds, k) for k in ("taken_pr", "stale_pr", "mine_bob_pr"))
    assert kwon and mei and bobs
    raj_at, raj_says = claim(ds, "taken_claim", "raj-patel")
    noor_at, tomas_at = (
        claim(ds, "claim_declined", "noor-h")[0],
        claim(ds, "stale_claim", "tomas-v")[0],
    )
    take_at, take = claim(ds, "mine_alice", "alice")
    bobs_pr = f"PR #{bobs.number} by @bob, open, updated {ago(bobs.updated_at)}"
    return [
        ("free_nn", "alice", "free", None, None),
        ("free_docs", "alice", "free", None, None),
        ("free_quiet", "alice", "free", None, "no one has commented"),
        ("taken_pr", "alice", "taken", "kwon-ji",
         f"PR #{kwon.number} by @kwon-ji, open, updated {ago(kwon.updated_at)}"),
        ("taken_claim", "alice", "taken", "raj-patel",
         f"claimed by @raj-patel {ago(raj_at)}: “{raj_says}”"),
        ("claim_declined", "alice", "free", None,
         f"claim by @noor-h {ago(noor_at)} was turned down by @maint-ada"),
        ("stale_claim", "alice", "stale_claim", "tomas-v",
         f"claimed by @tomas-v {ago(tomas_at)} with nothing since: {ASK}"),
        ("stale_pr", "alice", "stale_claim", "mei-lin",
         f"PR #{mei.number} by @mei-lin, open, last updated {ago(mei.updated_at)} "
         f"with nothing since: {ASK}"),
        ("assigned", "alice", "taken", "omar-f", "assigned to @omar-f"),
        ("mine_alice", "alice", "mine", "alice", f"you claimed it {ago(take_at)}: “{take}”"),
        ("mine_alice", "bob", "taken", "alice", f"claimed by @alice {ago(take_at)}: “{take}”"),
        ("mine_bob_pr", "bob", "mine", "bob",
         f"your PR #{bobs.number}, open, updated {ago(bobs.updated_at)}"),
        ("mine_bob_pr", "alice", "taken", "bob", bobs_pr),
    ]  # fmt: skip


def test_every_kind_of_candidate_has_its_status_and_a_checkable_reason(world: World) -> None:
    ds, seen = world.hub.dataset, {u: world.for_user(u) for u in USERS}
    for kind, user, status, holder, reason in expected_kinds(ds):
        got, pr = seen[user][world.kind(kind)], linked_pr(ds, kind)
        assert (got.status, got.taken_by) == (status, holder), (kind, user)
        assert (got.pr and got.pr.number) == (pr and pr.number), (kind, user)
        assert reason is None or reason in got.reasons, (kind, user, got.reasons)
        if status == "free":  # nothing holds it, so no reason may say otherwise
            assert not [r for r in got.reasons if r.startswith(("PR #", "claimed", "assigned"))]


def test_closed_candidates_are_never_listed(world: World) -> None:
    closed = world.kind("closed")
    assert hub_issue(world.hub.dataset, "closed").state == "closed"
    assert closed not in world.for_user("alice") and closed not in world.for_user("bob")
    assert closed not in records(world.engine)  # closed before it was ever seen open
    assert world.first.listed == len(open_candidates(world.hub.dataset, world.config))


def test_refresh_records_when_each_candidate_was_taken(world: World) -> None:
    ds, stored = world.hub.dataset, records(world.engine)
    cross_ref = next(
        e.created_at for e in hub_issue(ds, "taken_pr").timeline if e.kind == "cross-referenced"
    )
    assigned = next(
        e.created_at for e in hub_issue(ds, "assigned").timeline if e.kind == "assigned"
    )
    taken = {
        "taken_pr": cross_ref,
        "taken_claim": claim(ds, "taken_claim", "raj-patel")[0],
        "assigned": assigned,
        "mine_alice": claim(ds, "mine_alice", "alice")[0],  # taken, for anyone but alice
    }
    for kind, at in taken.items():
        record = stored[world.kind(kind)]
        assert (record.status, record.taken_at) == ("taken", at), kind
    for kind in ("free_nn", "claim_declined", "stale_claim"):
        assert stored[world.kind(kind)].taken_at is None, kind


# --- an idle re-check costs nothing --------------------------------------------------


def test_idle_recheck_is_all_304_one_request_per_label_and_open_candidate(world: World) -> None:
    hub, config = world.hub, world.config
    wanted = open_candidates(hub.dataset, config)
    assert world.first.timelines_changed == len(wanted) and world.first.profile_prs > 0
    hub.clear_requests()
    client = client_for(hub)
    again = refresh_candidates(engine=world.engine, client=client, config=config, clock=hub.now)
    labels = [(repo, label) for repo in REPOS for label in config.repo(repo).candidate_labels]
    seen = hub.requests
    assert len(seen) == len(labels) + len(wanted)
    assert all(r.conditional and r.status == 304 for r in seen), seen
    assert hub.spent() == 0 and client.usage.spent == 0
    listings = sorted((r.path, r.query.get("labels")) for r in seen if r.path.endswith("/issues"))
    assert listings == sorted((f"/repos/{repo}/issues", label) for repo, label in labels)
    timelines = {r.path for r in seen if r.path.endswith("/timeline")}
    assert timelines == {f"/repos/{repo}/issues/{n}/timeline" for repo, n in wanted}
    assert (again.new, again.timelines_changed, again.profile_prs) == (0, 0, 0)


# --- ranking: personal, and split across the cohort ----------------------------------


def cited_prs(reason: str) -> int:
    """How many PRs "you touched x in #1, #2 and 5 more" cites."""
    more = re.search(r" and (\d+) more$", reason)
    return len(re.findall(r"#\d+", reason)) + (int(more.group(1)) if more else 0)


def assert_cites_own_prs(ds: Dataset, reason: str, login: str, folder: str) -> None:
    for number in map(int, re.findall(r"#(\d+)", reason)):
        pr = ds.issue(PYTORCH, number)
        assert pr.is_pr and pr.user == login, reason
        assert any(f.filename.startswith(folder + "/") for f in pr.files), reason


def test_two_users_are_ranked_by_their_own_history(world: World) -> None:
    ds, nn, docs = world.hub.dataset, world.kind("free_nn"), world.kind("free_docs")
    ranked = world.ranked()
    order = {login: [c.number for c in rows] for login, rows in ranked.items()}
    assert order["alice"].index(nn) < order["alice"].index(docs)
    assert order["bob"].index(docs) < order["bob"].index(nn)
    alice, bob = world.for_user("alice"), world.for_user("bob")
    assert alice[nn].score > alice[docs].score and bob[docs].score > bob[nn].score

    touched = [r for r in alice[nn].reasons if r.startswith("you touched torch/nn in #")]
    assert len(touched) == 1
    assert_cites_own_prs(ds, touched[0], "alice", "torch/nn")
    recent = sorted(
        (i for i in ds.repos[PYTORCH].issues.values() if i.is_pr and i.user == "alice"),
        key=lambda i: i.created_at,
    )[-30:]  # the profile reads the files of the user's 30 most recent PRs
    in_nn = [p for p in recent if any(f.filename.startswith("torch/nn/") for f in p.files)]
    assert cited_prs(touched[0]) == len(in_nn)

    touched = [r for r in bob[docs].reasons if r.startswith("you touched docs/source in #")]
    assert len(touched) == 1
    assert_cites_own_prs(ds, touched[0], "bob", "docs/source")
    # no history, no claim of one
    assert bob[nn].fit == 0 and not [r for r in bob[nn].reasons if r.startswith("you ")]
    assert alice[docs].fit == 0 and not [r for r in alice[docs].reasons if r.startswith("you ")]


def test_an_issue_both_would_get_goes_to_the_better_fit(world: World) -> None:
    nn, docs = world.kind("free_nn"), world.kind("free_docs")
    shown = {login: {c.key for c in rows} for login, rows in world.ranked(show_all=False).items()}
    assert (PYTORCH, nn) in shown["alice"] and (PYTORCH, nn) not in shown["bob"]
    assert (PYTORCH, docs) in shown["bob"] and (PYTORCH, docs) not in shown["alice"]
    assert not shown["alice"] & shown["bob"]  # every issue goes to one user only
    everything = world.ranked(show_all=True)
    assert all({nn, docs} <= {c.number for c in rows} for rows in everything.values())
    # asking for one user still splits across every tracked user
    only_bob = {c.number for c in world.ranked(users=["bob"], show_all=False)["bob"]}
    assert docs in only_bob and nn not in only_bob
    for flags, visible in (([], False), (["--all"], True)):
        code, out, err = cli("candidates", "-c", str(world.path), "-u", "bob", "-f", "json", *flags)
        assert code == 0, err
        assert (nn in {row["number"] for row in json.loads(out)}) is visible


# --- history -------------------------------------------------------------------------


def test_history_first_seen_taken_and_closed(tmp_path: Path, hub: FakeHub) -> None:
    config = load(write_config(tmp_path, hub.base_url, users=["alice"], repos=[PYTORCH]))
    engine = open_database(config.database_url())
    kinds = hub.dataset.candidates_by_kind
    quiet, nn = kinds["free_quiet"], kinds["free_nn"]
    before = hub.now()
    refresh(hub, config, engine)
    first = records(engine)
    assert {(PYTORCH, n) for n in first} == open_candidates(hub.dataset, config)
    assert all(before <= r.first_seen <= hub.now() for r in first.values())
    assert (first[quiet].status, first[quiet].taken_at) == ("free", None)

    hub.advance(timedelta(hours=2))
    comment = hub.add_comment(PYTORCH, quiet, "someone", "I'd like to work on this")
    newcomer = hub.open_issue(
        PYTORCH, "maint-lin", "Typo in torch.fft", labels=["good first issue"]
    )
    hub.advance(timedelta(hours=3))
    done = refresh(hub, config, engine)
    second = records(engine)
    assert done.new == 1 and second[newcomer.number].first_seen > first[quiet].first_seen
    assert (second[quiet].status, second[quiet].taken_at) == ("taken", comment.created_at)
    assert {n: second[n].first_seen for n in first} == {n: r.first_seen for n, r in first.items()}
    got = next(r.candidate for r in ranked_now(hub, config, engine) if r.candidate.number == quiet)
    assert (got.status, got.taken_by) == ("taken", "someone")
    assert "claimed by @someone 3 hours ago: “I'd like to work on this”" in got.reasons

    hub.advance(timedelta(hours=1))
    closed = hub.close_issue(PYTORCH, nn)
    assert refresh(hub, config, engine).closed == 1
    third = records(engine)
    assert (third[nn].status, third[nn].closed_at) == ("closed", closed.closed_at)
    assert third[nn].first_seen == first[nn].first_seen
    assert nn not in {r.candidate.number for r in ranked_now(hub, config, engine)}


def test_sync_refreshes_candidates_when_due_and_sees_a_close(tmp_path: Path, hub: FakeHub) -> None:
    path = write_config(tmp_path, hub.base_url, users=["bob"], repos=[PYTORCH])
    count = len(open_candidates(hub.dataset, load(path)))
    code, _, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 0, err
    engine = open_database(load(path).database_url())
    assert len(records(engine)) == count
    with session_scope(engine) as session:  # a day passes: the next sync refreshes them
        save.set_state(session, key=REFRESHED_KEY, value="2000-01-01T00:00:00Z", now=NOW)
    closed = hub.close_issue(PYTORCH, hub.dataset.candidates_by_kind["free_docs"])
    assert cli("sync", "--config", str(path), "--quiet")[0] == 0
    assert records(engine)[closed.number].closed_at == closed.closed_at


def test_sync_leaves_candidates_alone_until_they_are_due(tmp_path: Path, hub: FakeHub) -> None:
    path = write_config(tmp_path, hub.base_url, users=["bob"], repos=[PYTORCH])
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0 and "candidates: " in err, err
    code, _, err = cli("sync", "--config", str(path))
    assert code == 0 and "candidates: " not in err, err  # [schedule] candidates = 1d


# --- the CLI: JSON contract, formats, bad input --------------------------------------


def candidates_json(world: World, *flags: str) -> list[dict[str, Any]]:
    code, out, err = cli("candidates", "--config", str(world.path), "--format", "json", *flags)
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def assert_contract(row: dict[str, Any], ds: Dataset) -> None:
    assert CONTRACT_KEYS <= set(row) <= CONTRACT_KEYS | OPTIONAL_KEYS, row
    issue = ds.issue(row["repo"], row["number"])
    assert row["title"] == issue.title and row["labels"] == issue.labels
    assert row["url"] == f"https://github.com/{row['repo']}/issues/{row['number']}"
    assert row["status"] in STATUSES and row["user"] in USERS
    assert isinstance(row["score"], float) and 0 <= row["score"] <= 1
    assert row["reasons"] and all(isinstance(r, str) for r in row["reasons"])
    assert row["pr"] is None or (type(row["pr"]) is int and row["pr_url"].startswith("https://"))
    assert row["taken_by"] is None or isinstance(row["taken_by"], str)
    assert (row["status"] == "mine") == (row["taken_by"] == row["user"])
    if row["status"] == "free":
        assert row["taken_by"] is None and row["pr"] is None
    assert UTC_Z.match(row["first_seen"])


def test_json_contract(world: World) -> None:
    ds, kind = world.hub.dataset, world.kind
    rows = candidates_json(world)
    assert rows and not [r for r in rows if r["status"] == "taken"]
    for row in rows:
        assert_contract(row, ds)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)

    everything = candidates_json(world, "--all", "--limit", "50")
    wanted = open_candidates(ds, world.config)
    assert {(r["user"], r["repo"], r["number"]) for r in everything} == {
        (user, repo, n) for user in USERS for repo, n in wanted
    }
    taken = [r["status"] == "taken" for r in everything]
    assert any(taken) and taken == sorted(taken)  # taken ones last, with their reasons
    for row in everything:
        assert_contract(row, ds)
    by_key = {(r["user"], r["number"]): r for r in everything if r["repo"] == PYTORCH}
    assigned = by_key["alice", kind("assigned")]
    assert (assigned["status"], assigned["taken_by"], assigned["pr"]) == ("taken", "omar-f", None)
    assert "assigned to @omar-f" in assigned["reasons"]
    mine = by_key["bob", kind("mine_bob_pr")]
    bobs = linked_pr(ds, "mine_bob_pr")
    assert bobs and (mine["status"], mine["taken_by"], mine["pr"]) == ("mine", "bob", bobs.number)


def test_json_filters(world: World) -> None:
    assert {r["user"] for r in candidates_json(world, "--user", "alice")} == {"alice"}
    limited = candidates_json(world, "--limit", "2", "--all")
    assert all(sum(r["user"] == u for r in limited) == 2 for u in USERS)
    tutorials = candidates_json(world, "--repo", TUTORIALS, "--all")
    assert tutorials and {r["repo"] for r in tutorials} == {TUTORIALS}


def test_bad_input_is_exit_2(world: World) -> None:
    code, out, err = cli("candidates", "--config", str(world.path), "--repo", "not/tracked")
    assert code == 2 and out == ""
    assert "error: --repo: not/tracked is not in [track] repos of" in " ".join(err.split())
    code, _, err = cli("candidates", "--config", str(world.path), "--limit", "0")
    assert code == 2 and "--limit" in err and "Traceback" not in err
    code, _, err = cli("candidates", "--config", str(world.path), "--format", "xml")
    assert code == 2 and "--format" in err


def test_an_error_is_one_line_however_long(world: World) -> None:
    code, _, err = cli("candidates", "--config", str(world.path), "--repo", "a/" + "b" * 300)
    assert code == 2 and err.count("\n") == 1, err


NASTY_TITLE = "Fix <script>alert(1)</script> in **docs** [click](javascript:alert(1)) \x1b[2J\u202e"
# the claim phrase comes last: reasons quote at most 60 characters of the line
NASTY_CLAIM = "<img src=x> [red]me[/red] \u202e*I'd like to work on this*"


def test_titles_and_quoted_comments_are_escaped(tmp_path: Path, hub: FakeHub) -> None:
    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=[PYTORCH])
    config, engine = load(path), open_database(load(path).database_url())
    issue = hub.open_issue(PYTORCH, "mallory", NASTY_TITLE, labels=["good first issue"])
    hub.add_comment(PYTORCH, issue.number, "mallory", NASTY_CLAIM)
    refresh(hub, config, engine)

    code, out, err = cli("candidates", "-c", str(path), "-f", "markdown", "--all", "--limit", "50")
    assert code == 0, err
    line = next(x for x in out.splitlines() if f"#{issue.number}:" in x)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in line and "\\*\\*docs\\*\\*" in line
    assert "\\[click\\](javascript" in line and "<script>" not in out
    assert "\x1b" not in out and "\u202e" not in out  # no terminal escapes, no bidi override

    rows = [r for r in ranked_now(hub, config, engine) if r.candidate.number == issue.number]
    quoted = next(r for r in rows[0].candidate.reasons if r.startswith("claimed by @mallory"))
    assert "<img src=x> [red]me[/red]" in quoted  # the reason itself keeps the words
    markdown = candidates_markdown(rows, title="t")
    assert "&lt;img src=x&gt; \\[red\\]me\\[/red\\]" in markdown and "<img" not in markdown
    assert "\\*I'd like to work on this\\*" in markdown and "\u202e" not in markdown
    buffer = io.StringIO()
    Console(file=buffer, width=400, color_system=None).print(candidates_table(rows, title="t"))
    table = buffer.getvalue()
    assert "<img src=x> [red]me[/red]" in table  # literal: not read as rich markup
    assert "Fix <script>alert(1)</script>" in table
    assert "\x1b" not in table and "\u202e" not in table


def test_refresh_flag_fetches_before_ranking(tmp_path: Path, hub: FakeHub) -> None:
    path = write_config(tmp_path, hub.base_url, users=["alice"], repos=[PYTORCH])
    code, out, _ = cli("candidates", "--config", str(path))
    assert code == 0 and "No candidates yet" in out
    code, out, err = cli(
        "candidates", "-c", str(path), "--refresh", "--all", "--limit", "50", "-f", "json"
    )
    assert code == 0, err
    wanted = open_candidates(hub.dataset, load(path))
    assert {(r["repo"], r["number"]) for r in json.loads(out)} == wanted
