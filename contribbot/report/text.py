"""Shared wording for every report format: durations, deltas, whose move it is.

*Pure*: the phrases here are plain, unescaped text. They may embed text from
GitHub (titles, goal metrics), so each renderer escapes what it gets back.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, tzinfo
from operator import attrgetter

from contribbot.report.model import Goal, ItemRef, OpenPR, Totals, UserReport, WeeklyReport

TOTAL_LABELS: dict[str, str] = {
    "prs_opened": "PRs opened",
    "prs_merged": "PRs merged",
    "prs_reverted": "PRs reverted",
    "prs_closed": "PRs closed unmerged",
    "issues_opened": "Issues opened",
    "issues_closed": "Issues closed",
    "reviews_given": "Reviews given",
    "comments": "Comments",
}
REVIEW_STATES: dict[str, str] = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "changes requested",
    "COMMENTED": "commented",
    "DISMISSED": "dismissed",
    "PENDING": "pending",
}
ISSUE_KINDS: dict[str, str] = {
    "issue_opened": "opened",
    "issue_closed": "closed",
    "issue_reopened": "reopened",
}
_labelled_counts = attrgetter(*TOTAL_LABELS)  # a Totals' counts in the order of TOTAL_LABELS
MAX_CANDIDATES = 3
WIDE_TERMINAL = 110  # columns from which a table reads better than stacked lines
MINUS = "\N{MINUS SIGN}"
HOURS_SHOWN_AS_HOURS = 48.0  # below two days, hours read better than "1.6 days"

EMPTY_REPORT = "No users in this report."
EMPTY_WEEK = "No contributions this week."
NO_HISTORY = "No history yet."
NO_OPEN_PRS = "No open PRs."


def delta(current: int, previous: int) -> str:
    """The change against last week, signed: "+2", "−1" (a real minus) or "±0"."""
    change = current - previous
    if change > 0:
        return f"+{change}"
    if change < 0:
        return f"{MINUS}{-change}"
    return "\N{PLUS-MINUS SIGN}0"


def human_days(days: int) -> str:
    """A count of days for a sentence: "less than a day", "1 day", "3 days"."""
    if days <= 0:
        return "less than a day"
    return "1 day" if days == 1 else f"{days} days"


def days_ago(days: int) -> str:
    """How long ago, in days: "today", "1 day ago", "3 days ago"."""
    return "today" if days <= 0 else f"{human_days(days)} ago"


def human_hours(hours: float) -> str:
    """A median duration: "20.5 h" under two days, otherwise "2.9 days"."""
    if hours < HOURS_SHOWN_AS_HOURS:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def ball_text(pr: OpenPR) -> str:
    """Whose move it is on an open PR, as a phrase."""
    if pr.ball == "awaiting_review":
        return f"waiting for a first review for {human_days(pr.days)}"
    if pr.ball == "changes_requested":
        return f"changes requested {days_ago(pr.days)}"
    if pr.ball == "approved":
        return "approved, not merged yet"
    if pr.ball == "draft":
        return "draft"
    if pr.ball == "reverted":
        return f"reverted {days_ago(pr.days)}; your move to re-land it"
    return f"you replied {days_ago(pr.days)}; waiting on reviewers"


def stale_text(pr: OpenPR) -> str:
    """The warning for a PR at risk of going stale ("" when it is not)."""
    if not pr.stale:
        return ""
    return f"idle {human_days(pr.idle_days)} \N{EM DASH} at risk of going stale"


def speed_text(mine: float | None, everyone: float | None) -> str | None:
    """A median beside the repos' median for everyone else; None when neither is known."""
    if mine is None and everyone is None:
        return None
    own = "no data yet" if mine is None else human_hours(mine)
    if everyone is None:
        return own
    return f"{own} (everyone else in these repos: {human_hours(everyone)})"


def streak_text(user: UserReport) -> str:
    """Both streaks in one line: "5 weeks in a row with a contribution; 2 with a merged PR"."""
    if user.streak_weeks <= 0:
        return "no current streak"
    streak = f"{weeks_text(user.streak_weeks)} in a row with a contribution"
    if user.merged_streak_weeks <= 0:
        return streak
    return f"{streak}; {weeks_text(user.merged_streak_weeks)} in a row with a merged PR"


def user_facts(user: UserReport) -> list[tuple[str, str]]:
    """The (label, phrase) lines under a user's totals: streaks, then the speed medians."""
    facts = [("Streak", streak_text(user))]
    for label, mine, everyone in (
        (
            "Time to first review",
            user.time_to_first_review_hours,
            user.repo_time_to_first_review_hours,
        ),
        ("Time to merge", user.time_to_merge_hours, user.repo_time_to_merge_hours),
    ):
        phrase = speed_text(mine, everyone)
        if phrase is not None:
            facts.append((label, phrase))
    return facts


def item_notes(report: WeeklyReport, item: ItemRef) -> str:
    """What follows an item in a list: "approved, 2026-11-17", "2026-11-18, merged by label"."""
    notes = [local_date(report, item.at)]
    if item.kind == "review":
        notes.insert(0, review_state_text(item.state))
    elif item.kind.startswith("issue"):
        notes.insert(0, issue_kind_text(item.kind))
    if item.merged_by_label:
        notes.append("merged by label")
    return ", ".join(notes)


def weeks_text(weeks: int) -> str:
    """A streak length: "1 week", "5 weeks"."""
    return "1 week" if weeks == 1 else f"{weeks} weeks"


def goal_label(goal: Goal) -> str:
    """What a goal asks for: "PRs merged ≥ 2"."""
    metric = TOTAL_LABELS.get(goal.metric, goal.metric)
    return f"{metric} \N{GREATER-THAN OR EQUAL TO} {goal.target}"


def goal_outcome(goal: Goal) -> str:
    """This week's result of a goal: "met (3)" or "missed (1 of 2)"."""
    if goal.met:
        return f"met ({goal.actual})"
    return f"missed ({goal.actual} of {goal.target})"


def hit_rate_text(goal: Goal) -> str:
    """How often the goal was met lately: "3/12 weeks"."""
    return f"{goal.weeks_met}/{goal.weeks_counted} weeks"


def review_state_text(state: str | None) -> str:
    """A review state for people: "approved", "changes requested"..."""
    if state is None:
        return "reviewed"
    return REVIEW_STATES.get(state, state.lower().replace("_", " "))


def issue_kind_text(kind: str) -> str:
    """What happened to an issue: "opened", "closed"."""
    return ISSUE_KINDS.get(kind, kind.replace("_", " "))


def totals_rows(user: UserReport) -> list[tuple[str, int, int, str]]:
    """One (label, this week, last week, change) row per counted metric."""
    pairs = zip(_labelled_counts(user.totals), _labelled_counts(user.previous_totals), strict=True)
    return [
        (label, now, before, delta(now, before))
        for label, (now, before) in zip(TOTAL_LABELS.values(), pairs, strict=True)
    ]


def total_with_delta(user: UserReport) -> str:
    """The week's total with its change: "9 (+2)"."""
    return f"{user.totals.total()} ({delta(user.totals.total(), user.previous_totals.total())})"


def totals_values(totals: Totals) -> list[int]:
    """The counts in the order of TOTAL_LABELS."""
    return list(_labelled_counts(totals))


def has_week_items(user: UserReport) -> bool:
    """Whether anything happened this week worth listing."""
    lists = (user.merged_prs, user.reverted_prs, user.opened_prs, user.reviews, user.issues)
    return user.totals.total() > 0 or any(lists)


def report_zone(report: WeeklyReport) -> tzinfo:
    """The report's time zone, UTC when its name is unknown here."""
    return report.zone


def local_date(report: WeeklyReport, moment: datetime) -> str:
    """A moment as a date in the report's time zone: "2026-11-18"."""
    day = moment.astimezone(report_zone(report)).date()
    return day.isoformat() if day.year >= 1000 else f"{day:%Y-%m-%d}"  # isoformat: faster


def local_time(report: WeeklyReport, moment: datetime) -> str:
    """A moment in the report's time zone: "2026-11-23 09:00"."""
    return f"{moment.astimezone(report_zone(report)):%Y-%m-%d %H:%M}"


def window_text(report: WeeklyReport) -> str:
    """The window covered, for the subtitle: "2026-11-16 – 2026-11-22 (Europe/Berlin)"."""
    first = local_date(report, report.start)
    return f"{first} \N{EN DASH} {report.last_day:%Y-%m-%d} ({report.timezone})"


def freshness_text(report: WeeklyReport) -> str:
    """When the report was made and how fresh its data is."""
    made = f"generated {local_time(report, report.generated_at)}"
    if report.data_as_of is None:
        return f"{made} \N{MIDDLE DOT} data never synced"
    return f"{made} \N{MIDDLE DOT} data as of {local_time(report, report.data_as_of)}"


def heading(report: WeeklyReport) -> str:
    """The report's main heading."""
    return f"Open-source contributions \N{EM DASH} {report.title}"


def is_web_url(url: str) -> bool:
    """Whether a URL from GitHub may become a link (http and https only)."""
    lowered = url.strip().lower()
    return lowered.startswith(("https://", "http://")) and "".join(url.split()) == url


def history_span(user: UserReport) -> str:
    """The weeks a history covers: "2026-W36 to 2026-W47" ("" when unknown)."""
    if not user.history_weeks:
        return ""
    if len(user.history_weeks) == 1:
        return user.history_weeks[0]
    return f"{user.history_weeks[0]} to {user.history_weeks[-1]}"


def one_line(text: str) -> str:
    """Untrusted text as one printable line: no control, bidi or zero-width characters."""
    # format characters (bidi overrides, zero-width) vanish; other controls and line
    # breaks become spaces, so words on either side stay apart (a terminal would run
    # an ESC sequence from an issue title)
    if text.isprintable():  # no control or format character: only spaces to tidy
        return " ".join(text.split())
    kept = (
        "" if unicodedata.category(ch) == "Cf" else ch if ch.isprintable() else " " for ch in text
    )
    return " ".join("".join(kept).split())
