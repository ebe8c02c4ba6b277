"""The pure report: plain facts in, WeeklyReport out, no database.

Also the import probe: in contribbot/report/ only queries.py may touch the database.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contribbot.activity import TOTAL_KEYS, TOTAL_OF_KIND, Contribution
from contribbot.report.assemble import assemble
from contribbot.report.ball import ReviewEvent
from contribbot.report.facts import PRFacts, RecentPR, ReportFacts, Settings
from contribbot.report.model import CandidateRef
from contribbot.report.window import STREAK_WEEKS, history_span, resolve_window

REPORT_DIR = Path(__file__).parent.parent / "contribbot" / "report"
DATABASE_PACKAGES = ("sqlmodel", "sqlalchemy")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday of 2026-W47
WINDOW = resolve_window(week="2026-W46", since=None, until=None, tz=UTC, now=NOW)
MONDAY = WINDOW.start  # 2026-11-09


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _database_code(name: str) -> bool:
    return name.split(".")[0] in DATABASE_PACKAGES or name.startswith("contribbot.store")


def test_only_queries_imports_database_code():
    offenders = {
        path.name: sorted(filter(_database_code, _imports(path)))
        for path in sorted(REPORT_DIR.glob("*.py"))
        if path.name != "queries.py"
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    assert "contribbot.store.reader" in _imports(REPORT_DIR / "queries.py")  # its reads


def test_the_pure_report_modules_load_no_database_code_at_all():
    # not even through another package (activity, store): import them all in a fresh interpreter
    modules = [
        f"contribbot.report.{p.stem}"
        for p in sorted(REPORT_DIR.glob("*.py"))
        if p.stem not in ("__init__", "queries")
    ]
    assert "contribbot.report.assemble" in modules
    probe = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {DATABASE_PACKAGES!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


# --- assemble, fed by hand -------------------------------------------------------------------


def _did(kind: str, at: datetime, *, user: str = "alice", number: int = 1, **extra) -> Contribution:
    return Contribution(
        kind=kind,
        user=user,
        repo="o/r",
        number=number,
        title=f"Item {number}",
        url=f"https://github.com/o/r/pull/{number}",
        at=at,
        **extra,
    )


def _weeks(*totals: int, key: str = "comments") -> list[dict[str, int]]:
    """STREAK_WEEKS weeks of counts, the given ones last (oldest first)."""
    counts = [dict.fromkeys(TOTAL_KEYS, 0) for _ in range(STREAK_WEEKS)]
    for week, value in zip(counts[-len(totals) :], totals, strict=True):
        week[key] = value
    return counts


def _facts(**changes) -> ReportFacts:
    base = {
        "users": ("alice",),
        "contributions": (),
        "total_of_kind": TOTAL_OF_KIND,
        "weekly": {},
        "open_prs": (),
        "recent_prs": (),
        "tracked_repo_ids": frozenset({1}),
        "data_as_of": NOW - timedelta(hours=1),
    }
    return ReportFacts(**(base | changes))


def test_totals_this_week_and_last_week_and_the_lists():
    day = timedelta(days=1)
    items = (
        _did("pr_opened", MONDAY - 3 * day, number=1),  # last week
        _did("pr_merged", MONDAY + day, number=1, merged_by_label=True),
        _did("review", MONDAY + 2 * day, number=7, state="APPROVED"),
        _did("review", MONDAY + 3 * day, number=7, state="COMMENTED"),
        _did("issue_opened", MONDAY + 4 * day, number=9),
        _did("comment", MONDAY + 5 * day, number=9),
        _did("comment", MONDAY + 7 * day, number=9),  # next week: not counted
    )
    alice = assemble(_facts(contributions=items), WINDOW, NOW).users[0]
    assert (alice.totals.prs_merged, alice.totals.reviews_given, alice.totals.comments) == (1, 2, 1)
    assert alice.totals.total() == 5 and alice.previous_totals.total() == 1
    assert [(r.number, r.state) for r in alice.reviews] == [(7, "APPROVED"), (7, "COMMENTED")]
    assert alice.merged_prs[0].merged_by_label and [i.kind for i in alice.issues] == [
        "issue_opened"
    ]
    assert alice.opened_prs == ()


def test_streaks_history_and_goals_come_from_the_weekly_counts():
    weekly = _weeks(0, 3, 0, 1, 2, 4)
    weekly[-1]["prs_merged"] = 1
    weekly[-2]["prs_merged"] = 1
    facts = _facts(weekly={"alice": weekly}, settings=Settings(goals={"alice": {"prs_merged": 1}}))
    report = assemble(facts, WINDOW, NOW)
    alice = report.users[0]
    assert alice.history == (0,) * 6 + (0, 3, 0, 1, 3, 5)
    assert alice.history_weeks[-1] == "2026-W46" and len(alice.history_weeks) == 12
    assert (alice.streak_weeks, alice.merged_streak_weeks) == (3, 2)
    (goal,) = alice.goals
    assert (goal.met, goal.actual, goal.weeks_met, goal.weeks_counted) == (True, 1, 2, 12)
    assert report.data_as_of == NOW - timedelta(hours=1) and report.generated_at == NOW


def test_a_user_with_nothing_in_the_lookback_has_no_chart():
    alice = assemble(_facts(), WINDOW, NOW).users[0]
    assert alice.history == () and alice.streak_weeks == 0 and alice.totals.total() == 0


def test_a_week_in_progress_without_a_contribution_keeps_the_streak():
    this_week = resolve_window(week="2026-W47", since=None, until=None, tz=UTC, now=NOW)
    assert history_span(this_week, NOW).in_progress
    facts = _facts(weekly={"alice": _weeks(2, 1, 0)})
    assert assemble(facts, this_week, NOW).users[0].streak_weeks == 2


def test_open_prs_get_their_ball_and_staleness_as_of_the_window_end():
    opened = MONDAY - timedelta(days=30)
    waiting = PRFacts("o/r", 5, "Waiting", "https://x/5", "alice", opened, draft=False)
    approved = PRFacts(
        "o/r",
        6,
        "Approved",
        "https://x/6",
        "Alice",
        opened + timedelta(days=1),
        draft=False,
        reviews=[ReviewEvent("maint", "APPROVED", MONDAY)],
    )
    facts = _facts(open_prs=(approved, waiting), settings=Settings(stale_after_days=14))
    prs = assemble(facts, WINDOW, NOW).users[0].open_prs
    assert [(p.number, p.ball, p.stale) for p in prs] == [
        (5, "awaiting_review", True),
        (6, "approved", False),
    ]
    assert prs[1].days == 7  # approved on Monday; the week ended a week later


def test_speeds_compare_with_everyone_else_in_the_same_repos():
    end = WINDOW.end
    prs = (
        RecentPR(
            1,
            "alice",
            end - timedelta(days=5),
            end - timedelta(days=4),
            end - timedelta(days=5, hours=-2),
        ),
        RecentPR(1, None, end - timedelta(days=5), None, end - timedelta(days=4)),
        RecentPR(2, None, end - timedelta(days=5), None, end - timedelta(days=5, hours=-1)),
    )
    alice = assemble(_facts(recent_prs=prs), WINDOW, NOW).users[0]
    assert (alice.time_to_first_review_hours, alice.time_to_merge_hours) == (2.0, 24.0)
    assert alice.repo_time_to_first_review_hours == 24.0  # repo 1 only: alice has PRs there
    assert alice.repo_time_to_merge_hours is None


def test_candidates_are_cut_to_the_configured_count():
    picks = [CandidateRef("o/r", n, f"c{n}", f"https://x/{n}", score=1 / n) for n in (1, 2, 3)]
    facts = _facts(settings=Settings(candidates=2)).with_candidates({"alice": picks})
    assert [c.number for c in assemble(facts, WINDOW, NOW).users[0].candidates] == [1, 2]
