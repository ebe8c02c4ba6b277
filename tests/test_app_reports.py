"""The report built from the database: the stand-in's data set synced once, a fixed clock.

Golden files are in tests/golden/standin/. Regenerate them after an intended change with
``CONTRIBBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_app_reports.py`` and read the
diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, USERS, Standin, copy_standin, load
from engines import copy_database, db_url
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session, select
from test_report_render import parse
from test_sync import expected

from contribbot.app.reports import make_report
from contribbot.config import Config
from contribbot.fakehub import Dataset
from contribbot.report import text as t
from contribbot.report.model import BALLS, TOTAL_KEYS, UserReport, WeeklyReport, report_to_json
from contribbot.report.render_html import render_html
from contribbot.report.render_markdown import render_markdown
from contribbot.report.render_terminal import print_terminal
from contribbot.report.window import STREAK_WEEKS
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account, Comment, Issue, PullRequest, Repository, Review
from contribbot.timeutil import last_complete_week, shift_week, week_bounds, week_of, zone

GOLDEN_DIR = Path(__file__).parent / "golden" / "standin"
UPDATE_GOLDEN = os.environ.get("CONTRIBBOT_UPDATE_GOLDEN") == "1"
GOALS = "[goals]\nprs_merged = 1\n[goals.alice]\nreviews_given = 2\n"
BERLIN = ZoneInfo("Europe/Berlin")
PYTORCH = "pytorch/pytorch"
# the contract: which kind of contribution feeds which total
TOTAL_OF_KIND = {
    "pr_opened": "prs_opened",
    "pr_merged": "prs_merged",
    "pr_closed": "prs_closed",
    "issue_opened": "issues_opened",
    "issue_closed": "issues_closed",
    "review": "reviews_given",
    "comment": "comments",
}


@dataclass(frozen=True)
class Synced:
    """The stand-in's data set in a database, and the config that points at it."""

    path: Path  # the config file
    config: Config
    engine: Engine
    dataset: Dataset


def sync_standin(standin: Standin, directory: Path, *, extra: str = GOALS) -> Synced:
    """A private copy of the session's synced stand-in database, with `extra` config."""
    path = copy_standin(standin, directory, extra=extra)
    config = load(path)
    return Synced(path, config, open_database(config.database_url()), standin.dataset)


@pytest.fixture(scope="module")
def synced(standin: Standin, tmp_path_factory: pytest.TempPathFactory) -> Synced:
    return sync_standin(standin, tmp_path_factory.mktemp("standin"))


def build(
    synced: Synced,
    *,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    users: tuple[str, ...] = USERS,
    timezone: str = "UTC",
    now: datetime = NOW,
    engine: Engine | None = None,
) -> WeeklyReport:
    report = synced.config.report.model_copy(update={"timezone": zone(timezone)})
    config = synced.config.model_copy(update={"report": report})
    return make_report(
        config,
        db=engine or synced.engine,
        week=week,
        since=since,
        until=until,
        users=users,
        now=now,
    )


def user(report: WeeklyReport, login: str) -> UserReport:
    return next(u for u in report.users if u.login == login)


def oracle_totals(ds: Dataset, login: str, start: datetime, end: datetime) -> dict[str, int]:
    """The totals, computed from the data set itself (test_sync's oracle)."""
    counts = dict.fromkeys(TOTAL_KEYS, 0)
    for kind, *_ in expected(ds, {login}, start, end):
        counts[TOTAL_OF_KIND[kind]] += 1
    return counts


def busiest_week(ds: Dataset) -> str:
    assert ds.alice_busiest_week is not None
    return week_of(ds.alice_busiest_week, UTC)


# --- golden files -----------------------------------------------------------------------


def terminal_text(report: WeeklyReport) -> str:
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    print_terminal(report, console)
    return console.export_text()


def json_text(report: WeeklyReport) -> str:
    return json.dumps(report_to_json(report), indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[WeeklyReport], str]] = {
    "terminal.txt": terminal_text,
    "markdown.md": render_markdown,
    "front-matter.md": lambda report: render_markdown(report, front_matter=True),
    "html.html": render_html,
    "json.json": json_text,
}


@pytest.fixture(scope="module")
def golden_reports(synced: Synced) -> dict[str, WeeklyReport]:
    return {
        "busiest-week": build(synced, week=busiest_week(synced.dataset)),
        "last-week": build(synced, week=last_complete_week(NOW, UTC)),
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("which", ["busiest-week", "last-week"])
def test_golden(golden_reports, which, fmt):
    actual = FORMATS[fmt](golden_reports[which])
    path = GOLDEN_DIR / f"{which}.{fmt}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"missing {path}; run with CONTRIBBOT_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_bytes().decode("utf-8"), f"{path.name} differs from golden"


def test_the_same_report_twice_is_identical(synced, golden_reports):
    again = build(synced, week=busiest_week(synced.dataset))
    assert json_text(again) == json_text(golden_reports["busiest-week"])
    assert render_html(again) == render_html(golden_reports["busiest-week"])


# --- totals, lists, streaks against the data set -------------------------------------


@pytest.mark.parametrize("which", ["busiest-week", "last-week"])
def test_totals_and_previous_totals_match_the_data_set(synced, golden_reports, which):
    report = golden_reports[which]
    previous_start, _ = week_bounds(shift_week(report.week, -1, UTC), UTC)
    for login in USERS:
        mine = user(report, login)
        assert vars(mine.totals) == oracle_totals(synced.dataset, login, report.start, report.end)
        assert vars(mine.previous_totals) == oracle_totals(
            synced.dataset, login, previous_start, report.start
        )


def test_busiest_week_lists_what_alice_did(synced, golden_reports):
    report = golden_reports["busiest-week"]
    alice = user(report, "alice")
    assert alice.totals.prs_merged >= 6 and alice.totals.reviews_given >= 12
    want = expected(synced.dataset, {"alice"}, report.start, report.end)
    for kind, refs in (
        ("pr_merged", alice.merged_prs),
        ("pr_opened", alice.opened_prs),
        ("review", alice.reviews),
    ):
        assert sorted((r.repo, r.number, r.at) for r in refs) == sorted(
            (repo, number, at) for k, _, repo, number, at in want if k == kind
        )
    assert [i.kind for i in alice.issues] == ["issue_opened"] * alice.totals.issues_opened


def test_history_and_streaks_follow_the_weekly_counts(synced, golden_reports):
    report = golden_reports["busiest-week"]
    alice = user(report, "alice")
    assert alice.history_weeks[-1] == report.week and len(alice.history) == 12
    for week, count in zip(alice.history_weeks, alice.history, strict=True):
        start, end = week_bounds(week, UTC)
        assert count == sum(oracle_totals(synced.dataset, "alice", start, end).values())
    # the streak counts back from this week to the first week without a contribution
    streak = 0
    for back in range(STREAK_WEEKS):
        start, end = week_bounds(shift_week(report.week, -back, UTC), UTC)
        if not expected(synced.dataset, {"alice"}, start, end):
            break
        streak += 1
    assert alice.streak_weeks == streak
    assert alice.history[-1] == alice.totals.total()


def test_goals_count_hits_over_twelve_weeks(synced, golden_reports):
    alice = user(golden_reports["busiest-week"], "alice")
    goals = {g.metric: g for g in alice.goals}
    assert set(goals) == {"prs_merged", "reviews_given"}
    merged = goals["prs_merged"]
    assert merged.met and merged.actual == alice.totals.prs_merged
    weekly_merged = [
        oracle_totals(synced.dataset, "alice", *week_bounds(w, UTC))["prs_merged"]
        for w in alice.history_weeks
    ]
    assert merged.weeks_met == sum(1 for n in weekly_merged if n >= 1)
    assert merged.hit_rate == round(merged.weeks_met / 12, 2)
    assert [g.metric for g in user(golden_reports["busiest-week"], "bob").goals] == ["prs_merged"]


# --- ball in court --------------------------------------------------------------------------


def test_every_open_pr_of_alice_has_the_right_ball(synced):
    ds = synced.dataset
    report = build(synced, week=week_of(NOW, UTC), users=("alice",))  # as of NOW, mid-week
    open_prs = {p.number: p for p in user(report, "alice").open_prs}
    assert set(ds.alice_open_prs.values()) <= set(open_prs)
    # the story has no reverted PR (the stand-in's reverts switch is separate);
    # tests/test_activity_history.py shows a reverted PR's ball against the stand-in
    balls = [b for b in BALLS if b != "reverted"]
    for ball in balls:
        assert open_prs[ds.alice_open_prs[ball]].ball == ball, ball
    idle = open_prs[ds.alice_open_prs["idle"]]
    assert idle.ball == "author_replied" and idle.stale
    assert [p.number for p in open_prs.values() if p.stale] == [idle.number]
    as_json = {p["number"]: p for p in report_to_json(report)["users"][0]["open_prs"]}
    assert {as_json[ds.alice_open_prs[b]]["ball"] for b in balls} == set(balls)


def test_days_in_each_ball_state_come_from_the_timeline(synced):
    ds = synced.dataset
    report = build(synced, week=week_of(NOW, UTC), users=("alice",))
    open_prs = {p.number: p for p in user(report, "alice").open_prs}

    def pr(kind: str):
        return ds.issue(PYTORCH, ds.alice_open_prs[kind])

    def by_others(kind: str, state: str) -> datetime:
        return max(r.created_at for r in pr(kind).reviews if r.state == state)

    def days(kind: str) -> int:
        return open_prs[ds.alice_open_prs[kind]].days

    assert days("awaiting_review") == (NOW - pr("awaiting_review").created_at).days
    assert days("draft") == (NOW - pr("draft").created_at).days
    asked = by_others("changes_requested", "CHANGES_REQUESTED")
    assert days("changes_requested") == (NOW - asked).days
    assert days("approved") == (NOW - by_others("approved", "APPROVED")).days
    replied = max(  # a conversation comment, or an answer in a review thread
        *(c.created_at for c in pr("author_replied").comments if c.user == "alice"),
        *(r.created_at for r in pr("author_replied").reviews if r.user == "alice"),
    )
    assert days("author_replied") == (NOW - replied).days
    idle = open_prs[ds.alice_open_prs["idle"]]
    assert idle.idle_days == (NOW - max(c.created_at for c in pr("idle").comments)).days


def test_a_past_week_shows_the_prs_open_then_as_they_were_then(synced):
    ds = synced.dataset
    report = build(synced, week=busiest_week(ds), users=("alice",))
    alice = user(report, "alice")
    for pr in alice.open_prs:
        issue = ds.issue(pr.repo, pr.number)
        assert issue.created_at < report.end
        assert issue.closed_at is None or issue.closed_at >= report.end
    # opened after that week: not there yet
    assert ds.alice_open_prs["approved"] not in {p.number for p in alice.open_prs}


# --- speed: time to first review and to merge ---------------------------------------------


def test_time_to_first_review_and_merge_match_the_data_set(synced, golden_reports):
    report = golden_reports["last-week"]
    since = report.end - timedelta(days=90)
    reviews, merges = [], []
    for issue in synced.dataset.repos[PYTORCH].issues.values():
        if not issue.is_pr or issue.user != "alice" or issue.created_at >= report.end:
            continue
        first = [
            r.created_at
            for r in issue.reviews
            if r.user != "alice" and r.state != "PENDING" and r.created_at < report.end
        ]
        if first and issue.created_at >= since:
            reviews.append((min(first) - issue.created_at).total_seconds() / 3600)
        landed = issue.merged_at or (issue.closed_at if issue.merged_by_label else None)
        if landed and since <= landed < report.end:
            merges.append((landed - issue.created_at).total_seconds() / 3600)
    alice = user(report, "alice")
    assert reviews and merges
    assert alice.time_to_first_review_hours == round(_median(reviews), 1)
    assert alice.time_to_merge_hours == round(_median(merges), 1)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_a_users_figures_do_not_depend_on_who_else_is_in_the_report(synced, golden_reports):
    cohort = user(golden_reports["last-week"], "alice")
    alone = user(build(synced, week=last_complete_week(NOW, UTC), users=("alice",)), "alice")
    assert alone == cohort


# --- edge cases -------------------------------------------------------------------------


def test_an_empty_week_with_history_before_it(synced):
    ds = synced.dataset
    week = next(
        shift_week(busiest_week(ds), -back, UTC)
        for back in range(1, 60)
        if not expected(ds, {"alice"}, *week_bounds(shift_week(busiest_week(ds), -back, UTC), UTC))
    )
    report = build(synced, week=week, users=("alice",))
    alice = user(report, "alice")
    assert alice.totals.total() == 0 and alice.streak_weeks == 0
    assert not (alice.merged_prs or alice.opened_prs or alice.reviews or alice.issues)
    previous = week_bounds(shift_week(week, -1, UTC), UTC)
    assert vars(alice.previous_totals) == oracle_totals(ds, "alice", *previous)
    assert alice.history[-1] == 0 and any(alice.history)
    for render in (terminal_text, render_markdown, render_html):
        assert t.EMPTY_WEEK in render(report)


def test_a_week_before_any_data(synced):
    report = build(synced, week="2020-W10")
    for mine in report.users:
        assert mine.totals.total() == mine.previous_totals.total() == 0
        assert not mine.open_prs and not any(mine.history)
        assert mine.streak_weeks == mine.merged_streak_weeks == 0
        assert mine.time_to_first_review_hours is None and mine.time_to_merge_hours is None
    assert report.data_as_of == NOW


def test_a_user_with_no_history(synced, golden_reports):
    report = golden_reports["busiest-week"]
    carol = user(report, "carol")
    assert carol.totals.total() == carol.previous_totals.total() == 0
    assert carol.history == () and carol.streak_weeks == 0  # shown as "No history yet."
    assert not carol.open_prs and carol.time_to_merge_hours is None
    # everyone else's speed in the tracked repos is still there to compare with
    assert carol.repo_time_to_merge_hours is not None
    assert [(g.metric, g.met, g.weeks_met) for g in carol.goals] == [("prs_merged", False, 0)]
    section = render_markdown(report).split("## carol", 1)[1]
    assert t.NO_HISTORY in section


def test_a_login_the_database_never_saw(synced):
    report = build(synced, week=busiest_week(synced.dataset), users=("Nobody-Here",))
    nobody = user(report, "Nobody-Here")
    assert nobody.totals.total() == 0 and not nobody.open_prs and not any(nobody.history)


def test_logins_match_case_insensitively(synced, golden_reports):
    shouting = user(build(synced, week=busiest_week(synced.dataset), users=("ALICE",)), "ALICE")
    alice = user(golden_reports["busiest-week"], "alice")
    assert shouting.totals == alice.totals and shouting.open_prs == alice.open_prs


def test_prs_merged_by_label_count_as_merged(synced):
    ds = synced.dataset
    report = build(synced, since=(NOW - timedelta(days=90)).isoformat(), until=NOW.isoformat())
    merged = [pr for u in report.users for pr in u.merged_prs]
    assert {pr.merged_by_label for pr in merged} == {True, False}  # pytorch's bot, and GitHub
    for pr in merged:
        issue = ds.issue(pr.repo, pr.number)
        assert pr.merged_by_label == issue.merged_by_label
        if pr.merged_by_label:  # GitHub never saw a merge: the label is all there is
            assert issue.merged_at is None and pr.at == issue.closed_at
    assert sum(u.totals.prs_merged for u in report.users) == len(merged)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_titles_with_markdown_html_and_emoji_are_escaped(synced, fmt):
    repo, number = synced.dataset.landmarks["xss_pr"]
    hostile = synced.dataset.issue(repo, number)
    title = hostile.title
    assert "<script>" in title and "**" in title and "🎉" in title
    assert hostile.closed_at is not None
    week = week_of(hostile.closed_at, UTC)
    assert week != busiest_week(synced.dataset)  # not in the demo's showcase week
    out = FORMATS[fmt](build(synced, week=week))
    if fmt == "json.json":
        merged = json.loads(out)["users"][0]["merged_prs"]
        assert title in [pr["title"] for pr in merged]
    elif fmt == "terminal.txt":
        assert title in " ".join(out.split())  # shown as it is, not as markup
    elif fmt == "html.html":
        parsed = parse(out)
        assert "script" not in parsed.tags and title in parsed.text
        assert "<script>" not in out
    else:
        assert "<script>" not in out and "**nn.Linear**" not in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "🎉" in out


def test_a_week_still_going_on_does_not_break_the_streak(synced):
    monday = week_bounds(week_of(NOW, UTC), UTC)[0]
    early = build(synced, week=week_of(NOW, UTC), users=("alice",), now=monday + timedelta(hours=1))
    finished = build(synced, week=last_complete_week(NOW, UTC), users=("alice",))
    assert user(finished, "alice").streak_weeks > 0
    early_alice = user(early, "alice")
    assert early_alice.history[-1] == 0  # nothing yet as of Monday 01:00
    assert early_alice.streak_weeks == user(finished, "alice").streak_weeks


# --- a non-UTC zone across the end of daylight-saving time -----------------------------------

# Europe/Berlin leaves summer time on Sunday 2026-10-25 at 03:00 (01:00 UTC): ISO week
# 2026-W43 is 169 hours long there.
DST_WEEK = "2026-W43"
EDGE_COMMENTS = {  # UTC time -> the Berlin week it belongs to
    datetime(2026, 10, 18, 21, 59, 59, tzinfo=UTC): "2026-W42",  # Sun 23:59:59 +02:00
    datetime(2026, 10, 18, 22, 0, 0, tzinfo=UTC): "2026-W43",  # Mon 00:00 +02:00
    datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC): "2026-W43",  # Sun 23:59:59 +01:00
    datetime(2026, 10, 25, 23, 0, 0, tzinfo=UTC): "2026-W44",  # Mon 00:00 +01:00
}


@pytest.fixture
def edge_db(synced: Synced, tmp_path: Path) -> Engine:
    """A copy of the synced database with alice's comments on both sides of week edges."""
    engine = open_database(copy_database(synced.config.database_url(), tmp_path / "edges.db"))
    repo, number = synced.dataset.landmarks["every_event_issue"]
    with session_scope(engine) as session:
        alice = session.exec(select(Account).where(Account.login == "alice")).one()
        issue = session.exec(
            select(Issue)
            .join(Repository, Repository.id == Issue.repo_id)
            .where(Repository.full_name == repo, Issue.number == number)
        ).one()
        for offset, at in enumerate(EDGE_COMMENTS):
            session.add(
                Comment(
                    id=9_000_000_000 + offset,
                    kind="issue",
                    issue_id=issue.id,
                    author_id=alice.id,
                    created_at=at,
                    updated_at=at,
                    body="edge",
                    html_url=f"https://github.com/{repo}/issues/{number}#edge-{offset}",
                )
            )
    return engine


def in_berlin(synced: Synced, week: str, engine: Engine) -> WeeklyReport:
    return build(synced, week=week, timezone="Europe/Berlin", users=("alice",), engine=engine)


def test_a_berlin_week_across_the_dst_change(synced, edge_db):
    report = in_berlin(synced, DST_WEEK, edge_db)
    assert (report.start, report.end) == (
        datetime(2026, 10, 19, tzinfo=BERLIN),
        datetime(2026, 10, 26, tzinfo=BERLIN),
    )
    assert report.start.utcoffset() == timedelta(hours=2)
    assert report.end.utcoffset() == timedelta(hours=1)
    assert report.end.astimezone(UTC) - report.start.astimezone(UTC) == timedelta(hours=169)
    as_json = report_to_json(report)
    assert (as_json["start"], as_json["end"], as_json["timezone"]) == (
        "2026-10-18T22:00:00Z",  # Berlin midnight in summer time
        "2026-10-25T23:00:00Z",  # and in winter time
        "Europe/Berlin",
    )


@pytest.mark.parametrize("week", ["2026-W42", "2026-W43", "2026-W44"])
def test_items_at_the_edges_of_berlin_weeks_land_in_their_local_week(synced, edge_db, week):
    report = in_berlin(synced, week, edge_db)
    start, end = week_bounds(week, BERLIN)
    added = sum(1 for w in EDGE_COMMENTS.values() if w == week)
    want = oracle_totals(synced.dataset, "alice", start, end)
    assert user(report, "alice").totals.comments == want["comments"] + added
    assert user(report, "alice").history[-1] == sum(want.values()) + added


def test_previous_week_across_the_dst_change_is_the_whole_previous_week(synced, edge_db):
    after = in_berlin(synced, "2026-W44", edge_db)
    during = in_berlin(synced, DST_WEEK, edge_db)
    # W43 is 169 hours long: "the 168 hours before W44" would miss its first hour
    assert user(after, "alice").previous_totals == user(during, "alice").totals


def test_the_same_instants_fall_in_other_weeks_in_utc(synced, edge_db):
    report = build(synced, week=DST_WEEK, users=("alice",), engine=edge_db)
    start, end = week_bounds(DST_WEEK, UTC)
    in_utc = sum(1 for at in EDGE_COMMENTS if start <= at < end)
    assert in_utc == 2  # Sunday 22:00 UTC is still W42; both Sunday-evening ones are W43
    want = oracle_totals(synced.dataset, "alice", start, end)
    assert user(report, "alice").totals.comments == want["comments"] + in_utc


# --- review speed and ball, on a small hand-made database ----------------------------------


class Tiny:
    """A few PRs with exact times, written straight into a fresh database."""

    START = datetime(2026, 11, 1, tzinfo=UTC)

    def __init__(self, path: Path) -> None:
        self.engine = open_database(db_url(path))
        self.next_id = 1
        with Session(self.engine) as session:
            for login in ("alice", "bob", "maint", "other", "carol"):
                session.add(Account(login=login))
            for name in ("o/a", "o/b", "o/c"):
                session.add(Repository(full_name=name))
            session.commit()
            self.accounts = {a.login: a.id for a in session.exec(select(Account))}
            self.repos = {r.full_name: r.id for r in session.exec(select(Repository))}

    def pr(
        self,
        repo: str,
        author: str,
        *,
        review_after: float | None = None,
        merge_after: float | None = None,
        reviews: tuple[tuple[str, str, float], ...] = (),
        opened_days_ago: float = 10,
    ) -> int:
        """A PR opened `opened_days_ago` before START + 30 days, with times in hours."""
        opened = self.START + timedelta(days=30 - opened_days_ago)
        self.next_id += 1
        pr_id = self.next_id
        merged = opened + timedelta(hours=merge_after) if merge_after is not None else None
        all_reviews = list(reviews)
        if review_after is not None:
            all_reviews.append(("maint", "COMMENTED", review_after))
        with Session(self.engine) as session:
            session.add(
                Issue(
                    id=pr_id,
                    repo_id=self.repos[repo],
                    number=pr_id,
                    is_pr=True,
                    title=f"PR {pr_id}",
                    state="closed" if merged else "open",
                    author_id=self.accounts[author],
                    created_at=opened,
                    updated_at=opened,
                    closed_at=merged,
                    html_url=f"https://github.com/{repo}/pull/{pr_id}",
                )
            )
            session.add(PullRequest(issue_id=pr_id, merged_at=merged))
            for reviewer, state, hours in all_reviews:
                self.next_id += 1
                session.add(
                    Review(
                        id=self.next_id,
                        pr_id=pr_id,
                        reviewer_id=self.accounts[reviewer],
                        state=state,
                        submitted_at=opened + timedelta(hours=hours),
                    )
                )
            session.commit()
        return pr_id

    def report(self, *users: str, repos: tuple[str, ...] = ("o/a",)) -> WeeklyReport:
        from contribbot.app.reports import build_report
        from contribbot.report.window import resolve_window

        now = self.START + timedelta(days=30)
        config = Config.model_validate({"track": {"users": list(users), "repos": list(repos)}})
        window = resolve_window(week=None, since=None, until=None, tz=UTC, now=now)
        with session_scope(self.engine) as session:
            return build_report(session, config=config, users=users, window=window, now=now)


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    return Tiny(tmp_path / "tiny.db")


def test_speed_compares_with_everyone_else_in_the_same_repos(tiny):
    tiny.pr("o/a", "alice", review_after=2, merge_after=10)
    tiny.pr("o/a", "alice", review_after=4, merge_after=30)
    tiny.pr("o/a", "bob", review_after=20, merge_after=50)
    tiny.pr("o/a", "other", review_after=40, merge_after=70)
    tiny.pr("o/b", "other", review_after=900, merge_after=900, opened_days_ago=60)  # not o/a
    alice = user(tiny.report("alice", "bob"), "alice")
    assert (alice.time_to_first_review_hours, alice.time_to_merge_hours) == (3.0, 20.0)
    # everyone else: bob (a user of the same report) and other, in o/a only
    assert (alice.repo_time_to_first_review_hours, alice.repo_time_to_merge_hours) == (30.0, 60.0)
    assert user(tiny.report("alice"), "alice") == alice
    bob = user(tiny.report("alice", "bob"), "bob")
    assert (bob.repo_time_to_first_review_hours, bob.repo_time_to_merge_hours) == (4.0, 30.0)


def test_a_first_review_is_someone_elses_and_submitted(tiny):
    tiny.pr(
        "o/a",
        "alice",
        reviews=(("alice", "COMMENTED", 1), ("maint", "PENDING", 2), ("bob", "APPROVED", 7)),
    )
    alice = user(tiny.report("alice"), "alice")
    assert alice.time_to_first_review_hours == 7.0
    assert alice.time_to_merge_hours is None


def test_old_prs_are_outside_the_ninety_days(tiny):
    tiny.pr("o/a", "alice", review_after=2, opened_days_ago=200)
    tiny.pr("o/a", "other", review_after=5, merge_after=6, opened_days_ago=100)  # merged 99 d ago
    alice = user(tiny.report("alice"), "alice")
    assert alice.time_to_first_review_hours is None
    assert alice.repo_time_to_merge_hours is None and alice.repo_time_to_first_review_hours is None


def test_without_prs_the_tracked_repos_are_the_comparison(tiny):
    tiny.pr("o/a", "other", review_after=8, merge_after=9)
    tiny.pr("o/c", "other", review_after=100, merge_after=100)  # not tracked
    carol = user(tiny.report("carol", repos=("o/a",)), "carol")
    assert carol.time_to_first_review_hours is None
    assert (carol.repo_time_to_first_review_hours, carol.repo_time_to_merge_hours) == (8.0, 9.0)


def test_an_even_pool_takes_the_mean_of_the_middle_two(tiny):
    tiny.pr("o/a", "alice", review_after=1)
    for hours in (10, 20, 30, 40):
        tiny.pr("o/a", "other", review_after=hours)
    tiny.pr("o/b", "other", review_after=25)  # shares no repo with alice: left out
    assert user(tiny.report("alice"), "alice").repo_time_to_first_review_hours == 25.0


def test_a_pending_review_leaves_the_pr_waiting_for_review(tiny):
    # GitHub shows the token owner their own pending review; nobody else has seen it
    number = tiny.pr("o/a", "alice", reviews=(("maint", "PENDING", 3),))
    (pr,) = user(tiny.report("alice"), "alice").open_prs
    assert (pr.number, pr.ball) == (number, "awaiting_review")
