"""Hand-built WeeklyReport fixtures shared by the report and delivery tests.

`cohort_report()` has two users (a mentor's view) and between them: every ball
state, a stale PR, a PR merged by label, goals met and missed, more candidates
than a report shows, and titles carrying Markdown, HTML, mentions and emoji.
`empty_week_report()` has one user with nothing this week and no history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from contribbot.report.model import (
    Ball,
    CandidateRef,
    Goal,
    ItemRef,
    OpenPR,
    Totals,
    UserReport,
    WeeklyReport,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "2026-W47"
WEEK_START = datetime(2026, 11, 16, tzinfo=BERLIN)
WEEK_END = datetime(2026, 11, 23, tzinfo=BERLIN)
GENERATED_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # the fixed clock
DATA_AS_OF = datetime(2026, 11, 23, 7, 45, tzinfo=UTC)
HISTORY_WEEKS = tuple(f"2026-W{n}" for n in range(36, 48))

DANGEROUS_TITLE = "Fix <script>alert(1)</script> in **nn.Linear** docs & <!channel> @**all** 🎉"
PIPE_TITLE = "Handle a|b in [x](y) and {{ site.title }} for `torch.compile`"
SCRIPT_FRAGMENT = "<script>alert(1)</script>"
BAD_URL = "javascript:alert(1)"
QUOTE_URL = 'https://github.com/pytorch/pytorch/issues/170001?x="><b>'
REPO = "pytorch/pytorch"


def _url(kind: str, number: int) -> str:
    return f"https://github.com/{REPO}/{kind}/{number}"


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _pr(number: int, title: str, ball: Ball, days: int, idle: int, stale: bool = False) -> OpenPR:
    return OpenPR(
        repo=REPO,
        number=number,
        title=title,
        url=_url("pull", number),
        ball=ball,
        days=days,
        opened_at=GENERATED_AT - timedelta(days=max(days, idle) + 2),
        idle_days=idle,
        stale=stale,
    )


def _item(
    number: int,
    title: str,
    kind: str,
    day: int,
    *,
    url: str | None = None,
    state: str | None = None,
    merged_by_label: bool = False,
) -> ItemRef:
    path = "issues" if kind.startswith("issue") else "pull"
    return ItemRef(
        repo=REPO,
        number=number,
        title=title,
        url=url or _url(path, number),
        at=_at(day),
        kind=kind,
        state=state,
        merged_by_label=merged_by_label,
    )


def _candidate(
    number: int, title: str, score: float, *reasons: str, new: bool = False
) -> CandidateRef:
    return CandidateRef(
        repo=REPO,
        number=number,
        title=title,
        url=_url("issues", number),
        score=score,
        reasons=reasons,
        new=new,
    )


def alice() -> UserReport:
    """A busy contributor: every section filled, the dangerous title everywhere."""
    return UserReport(
        login="alice",
        totals=Totals(3, 2, 1, 1, 1, 2, 7),
        previous_totals=Totals(1, 2, 0, 2, 0, 3, 7),
        open_prs=(
            _pr(168001, DANGEROUS_TITLE, "awaiting_review", 3, 3),
            _pr(168002, PIPE_TITLE, "changes_requested", 5, 5),
            _pr(168003, "Add bf16 support to torch.histc", "approved", 1, 1),
            _pr(168004, "[WIP] Speed up index_add on CPU", "draft", 9, 9),
        ),
        merged_prs=(
            _item(167001, DANGEROUS_TITLE, "pr_merged", 18, merged_by_label=True),
            _item(167002, "Document torch.linalg.solve_ex edge cases", "pr_merged", 20),
        ),
        opened_prs=(
            _item(168001, DANGEROUS_TITLE, "pr_opened", 19),
            _item(168002, PIPE_TITLE, "pr_opened", 17),
            _item(168003, "Add bf16 support to torch.histc", "pr_opened", 16, url=BAD_URL),
        ),
        reviews=(
            _item(166500, "Fix typo in CONTRIBUTING.md", "review", 17, state="APPROVED"),
            _item(166501, PIPE_TITLE, "review", 19, state="CHANGES_REQUESTED"),
        ),
        issues=(
            _item(169001, "torch.histc ignores <dtype> & min/max", "issue_opened", 17),
            _item(169002, "Old docs link 404s", "issue_closed", 21, url=QUOTE_URL),
        ),
        time_to_first_review_hours=20.5,
        time_to_merge_hours=70.0,
        repo_time_to_first_review_hours=30.5,
        repo_time_to_merge_hours=130.0,
        streak_weeks=5,
        merged_streak_weeks=2,
        goals=(
            Goal("prs_merged", 2, 2, True, 0.25, 3, 12),
            Goal("reviews_given", 3, 2, False, 0.5, 6, 12),
        ),
        candidates=(
            _candidate(170001, DANGEROUS_TITLE, 0.92, "good first issue", "no linked PR", new=True),
            _candidate(170002, "Clarify torch.cat error message", 0.81, "module: bootcamp"),
            _candidate(170003, "Add example to torch.diff docs", 0.77, "docathon easy"),
            _candidate(170004, "A fourth candidate never shown", 0.40, "small"),
        ),
        history=(0, 2, 5, 3, 0, 0, 4, 6, 9, 7, 15, 17),
        history_weeks=HISTORY_WEEKS,
    )


def bob() -> UserReport:
    """A quieter contributor: a reply waiting on reviewers, a stale PR, no candidates."""
    return UserReport(
        login="bob",
        totals=Totals(0, 0, 0, 0, 0, 0, 3),
        previous_totals=Totals(1, 0, 0, 0, 0, 0, 1),
        open_prs=(
            _pr(165001, "Make torch.unique deterministic on CUDA", "author_replied", 2, 2),
            _pr(160002, "Port adaptive_max_pool3d to structured", "awaiting_review", 41, 41, True),
        ),
        time_to_first_review_hours=None,
        time_to_merge_hours=None,
        repo_time_to_first_review_hours=30.5,
        repo_time_to_merge_hours=None,
        streak_weeks=1,
        merged_streak_weeks=0,
        goals=(Goal("comments", 2, 3, True, 1 / 3, 1, 3),),
        history=(0,) * 9 + (1, 2, 3),
        history_weeks=HISTORY_WEEKS,
    )


def carol() -> UserReport:
    """A new contributor: nothing this week and no history yet."""
    return UserReport(
        login="carol",
        totals=Totals(),
        previous_totals=Totals(prs_opened=1, comments=2),
    )


def _report(*users: UserReport, data_as_of: datetime | None = DATA_AS_OF) -> WeeklyReport:
    return WeeklyReport(
        week=WEEK,
        start=WEEK_START,
        end=WEEK_END,
        timezone="Europe/Berlin",
        generated_at=GENERATED_AT,
        data_as_of=data_as_of,
        users=users,
    )


def cohort_report() -> WeeklyReport:
    """Two users, every section and state (the main golden fixture)."""
    return _report(alice(), bob())


def single_report() -> WeeklyReport:
    """One user: no summary table."""
    return _report(alice())


def empty_week_report() -> WeeklyReport:
    """One user with no contributions this week and no history, never synced."""
    return _report(carol(), data_as_of=None)


def no_users_report() -> WeeklyReport:
    """A report with nobody in it."""
    return _report()


def reverted_week_report() -> WeeklyReport:
    """alice's week with a landing that was reverted, and the reverted PR open again."""
    user = alice()
    reverted = _item(167001, DANGEROUS_TITLE, "pr_reverted", 20)
    return _report(
        replace(
            user,
            totals=replace(user.totals, prs_reverted=1),
            reverted_prs=(reverted,),
            open_prs=(_pr(167001, DANGEROUS_TITLE, "reverted", 2, 2),),
        )
    )
