"""The outline: one list of a user's sections, in order, that all five renderers follow."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from report_fixtures import _at, _item, cohort_report, empty_week_report

from contribbot.deliver.slack import render_slack
from contribbot.deliver.zulip import render_zulip
from contribbot.report.model import WeeklyReport
from contribbot.report.outline import (
    CANDIDATES,
    GOALS,
    ISSUES,
    MERGED,
    OPEN_PRS,
    OPENED,
    REVIEWS,
    ItemList,
    Note,
    Overview,
    review_states_text,
    user_outline,
)
from contribbot.report.render_html import render_html
from contribbot.report.render_markdown import render_markdown
from contribbot.report.render_terminal import render_terminal_text

ALICE_ORDER = [MERGED, OPENED, OPEN_PRS, GOALS, CANDIDATES, REVIEWS, ISSUES]


def _slack(report: WeeklyReport) -> str:
    return json.dumps(render_slack(report), ensure_ascii=False)


def _zulip(report: WeeklyReport) -> str:
    return "\n".join(m.content for m in render_zulip(report))


FORMATS = {
    "terminal": render_terminal_text,
    "markdown": render_markdown,
    "html": render_html,
    "slack": _slack,
    "zulip": _zulip,
}


def test_a_busy_users_sections_in_order():
    report = cohort_report()
    sections = user_outline(report, report.users[0])
    assert isinstance(sections[0], Overview)
    assert [getattr(s, "title", None) for s in sections[1:]] == ALICE_ORDER


def test_an_empty_week_says_so_and_still_lists_open_prs():
    report = empty_week_report()
    kinds = [s.kind for s in user_outline(report, report.users[0])]
    assert kinds == ["overview", "note", "open_prs"]
    assert isinstance(user_outline(report, report.users[0])[1], Note)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_follows_the_outline(fmt):
    report = replace(cohort_report(), users=cohort_report().users[:1])
    out = FORMATS[fmt](report)
    # the section titles come one after another (the totals above them name
    # "Reviews given" and "Issues opened" too, so each is looked for after the last)
    at = out.find(MERGED)
    for title in ALICE_ORDER[1:]:
        found = out.find(title, at + 1)
        assert found > at, f"{title} is not after the section before it"
        at = found


# --- reviews given, grouped by PR --------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "phrase"),
    [
        (["APPROVED"], "approved"),
        (["COMMENTED"], "commented"),
        (["COMMENTED", "APPROVED", "COMMENTED"], "approved, 2 comments"),
        (["CHANGES_REQUESTED", "APPROVED", "APPROVED"], "approved twice, changes requested"),
        (["DISMISSED", "DISMISSED", "DISMISSED"], "dismissed 3 times"),
        ([None, "COMMENTED"], "commented, reviewed"),
    ],
)
def test_review_states_in_one_phrase(states, phrase):
    assert review_states_text(states) == phrase


def _reviewed_three_times() -> WeeklyReport:
    report = cohort_report()
    title = "Improve docstring of F.gelu"
    reviews = (
        _item(166600, title, "review", 17, state="COMMENTED"),
        _item(166500, "Fix typo in CONTRIBUTING.md", "review", 17, state="APPROVED"),
        _item(166600, title, "review", 18, state="COMMENTED"),
        _item(166600, title, "review", 19, state="APPROVED"),
    )
    alice = replace(report.users[0], reviews=reviews)
    return replace(report, users=(alice,))


def test_reviews_of_one_pr_are_one_entry_dated_by_the_last():
    report = _reviewed_three_times()
    (reviews,) = [
        s
        for s in user_outline(report, report.users[0])
        if isinstance(s, ItemList) and s.title == REVIEWS
    ]
    assert [(e.number, e.note) for e in reviews.entries] == [
        (166600, "approved, 2 comments, 2026-11-19"),
        (166500, "approved, 2026-11-17"),
    ]
    assert _at(19).date().isoformat() == "2026-11-19"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_lists_a_pr_reviewed_three_times_once(fmt):
    out = FORMATS[fmt](_reviewed_three_times())
    assert len(re.findall(r"Improve docstring of F\.gelu", out)) == 1
    assert "approved, 2 comments" in out
