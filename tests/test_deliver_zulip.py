"""Zulip rendering: topics, neutralised mentions, literal Markdown, splitting by UTF-8 bytes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from contribbot.deliver.zulip import (
    MAX_CONTENT_BYTES,
    MarkdownBlock,
    ZulipMessage,
    render_topic,
    render_zulip,
    split_markdown,
)
from contribbot.report import text
from contribbot.report.model import (
    CandidateRef,
    Goal,
    ItemRef,
    OpenPR,
    Totals,
    UserReport,
    WeeklyReport,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# Zulip's own mention patterns (zerver/lib/mention.py), without the look-behind.
USER_MENTION = re.compile(r"@_?\*\*[^*]+\*\*")
GROUP_MENTION = re.compile(r"@_?\*[^*]+\*")
MENTIONS = ("@**all**", "@**everyone**", "@*group*", "@_**name**", "@**Name|123**", "@**stream**")
OPEN_HEAD = "| PR | Title | Whose move |"


def _item(n: int, title: str, kind: str = "pr_merged", state: str | None = None) -> ItemRef:
    url = f"https://github.com/o/r/pull/{n}"
    return ItemRef(repo="o/r", number=n, title=title, url=url, at=NOW, kind=kind, state=state)


def _open(n: int, title: str) -> OpenPR:
    return OpenPR(
        repo="o/r",
        number=n,
        title=title,
        url=f"https://github.com/o/r/pull/{n}",
        ball="changes_requested",
        days=3,
        opened_at=NOW - timedelta(days=9),
        idle_days=3,
        stale=False,
    )


def _user(login: str = "alice", **kwargs: object) -> UserReport:
    totals = {"totals": Totals(prs_merged=2), "previous_totals": Totals(prs_merged=5)}
    return UserReport(login=login, **{**totals, **kwargs})  # type: ignore[arg-type]


def _report(*users: UserReport, week: str | None = "2026-W47") -> WeeklyReport:
    return WeeklyReport(
        week=week,
        start=datetime(2026, 11, 16, tzinfo=UTC),
        end=datetime(2026, 11, 23, tzinfo=UTC),
        timezone="UTC",
        generated_at=NOW,
        data_as_of=NOW - timedelta(hours=1),
        users=users,
    )


def _heavy_user(login: str, merged: int, still_open: int) -> UserReport:
    """Long multi-byte titles, each tagged T<number>T so it can be counted."""
    tail = " " + "ü€" * 60 + " | `x`"
    return _user(
        login,
        merged_prs=tuple(_item(n, f"T{n}T{tail}") for n in range(merged)),
        open_prs=tuple(_open(n, f"T{n}T{tail}") for n in range(5000, 5000 + still_open)),
    )


def test_one_message_per_user_in_its_own_topic() -> None:
    messages = render_zulip(_report(_user("alice"), _user("bob")))
    assert [m.topic for m in messages] == ["alice: weekly", "bob: weekly"]
    assert messages[0].content.startswith("**alice** · Week 2026-W47 · 2 contributions (−3 vs")
    assert isinstance(messages[0], ZulipMessage)


def test_topic_template_fills_login_and_week_and_stays_within_60_characters() -> None:
    report = _report(_user("a" * 39))
    [message] = render_zulip(report, topic_template="weekly {week} for {login} and more words")
    assert message.topic.startswith("weekly 2026-W47 for aaaa")
    assert len(message.topic) == 60 and message.topic.endswith("…")
    custom = render_zulip(_report(_user(), week=None), topic_template="{week}")
    assert custom[0].topic == "2026-11-16 – 2026-11-22"  # the end date is inclusive in text


def test_topic_is_one_line() -> None:
    assert render_topic("{login}: weekly", login="evil\nlogin", week="w") == "evil login: weekly"
    assert render_topic("{login} {week}", login="{week}", week="W47") == "{week} W47"


@pytest.mark.parametrize("mention", MENTIONS)
def test_mentions_in_github_text_notify_nobody(mention: str) -> None:
    user = _user(
        f"x{mention}",
        merged_prs=(_item(1, f"ping {mention} please"),),
        reviews=(_item(2, "r", "review", mention),),
        open_prs=(_open(3, mention),),
    )
    [message] = render_zulip(_report(user))
    assert "@" not in message.content
    assert not USER_MENTION.search(message.content)
    assert not GROUP_MENTION.search(message.content)


@pytest.mark.parametrize(
    ("title", "forbidden"),
    [
        ("**bold**", "**bold"),
        ("[x](http://evil)", "[x]"),
        ("`code`", "`"),
        ("~~gone~~", "~~"),
        ("$$x^2$$", "$$"),
        ("<time:2026-01-01>", "<time"),
        ("#**stream**", "#**"),
        (":fire:", ":fire:"),
    ],
)
def test_markdown_in_titles_stays_literal(title: str, forbidden: str) -> None:
    [message] = render_zulip(_report(_user(merged_prs=(_item(1, title),))))
    line = next(x for x in message.content.splitlines() if "o/r&#35;1" in x)
    assert forbidden not in line
    assert line.startswith("- [o/r&#35;1](https://github.com/o/r/pull/1) ")


def test_pipes_in_titles_do_not_add_table_cells() -> None:
    [message] = render_zulip(_report(_user(open_prs=(_open(1, "a | b || c"),))))
    rows = [x for x in message.content.splitlines() if x.startswith("| [o/r")]
    assert len(rows) == 1 and rows[0].count("|") == 4
    assert "a &#124; b &#124;&#124; c" in rows[0]


def test_status_column_says_whose_move_it_is() -> None:
    [message] = render_zulip(_report(_user(open_prs=(_open(7, "t"),))))
    assert "| t | changes requested 3 days ago |" in message.content


def test_big_report_splits_under_the_byte_limit_and_loses_nothing() -> None:
    user = _heavy_user("alice", merged=120, still_open=60)
    messages = render_zulip(_report(user))
    count = len(messages)
    assert count > 2
    assert {m.topic for m in messages} == {"alice: weekly"}
    assert all(len(m.content.encode("utf-8")) <= MAX_CONTENT_BYTES for m in messages)
    # ...and the limit is really what splits them: each part is close to it.
    assert all(len(m.content.encode("utf-8")) > MAX_CONTENT_BYTES - 1000 for m in messages[:-1])
    joined = "\n".join(m.content for m in messages)
    for number in [*range(120), *range(5000, 5060)]:
        assert joined.count(f"T{number}T") == 1
    for index, message in enumerate(messages[1:], 2):
        first_line = message.content.splitlines()[0]
        assert first_line == f"**alice** · Week 2026-W47 (continued {index}/{count})"


def test_a_continued_table_repeats_its_header() -> None:
    messages = render_zulip(_report(_heavy_user("alice", merged=0, still_open=120)))
    assert len(messages) > 1
    for message in messages:
        lines = message.content.splitlines()
        rows = [i for i, line in enumerate(lines) if line.startswith("| [o/r")]
        assert rows, "every part holds some of the table"
        head = rows[0] - 2
        assert lines[head] == OPEN_HEAD and lines[head + 1] == "|:--|:--|:--|"
        assert lines[head - 1] == "" and rows == list(range(rows[0], rows[-1] + 1))


def test_split_markdown_cuts_only_between_lines() -> None:
    blocks = [MarkdownBlock(tuple(f"line {i} " + "é" * 50 for i in range(50)), ("**head**", ""))]
    parts = split_markdown(blocks, continued=lambda i, n: f"({i}/{n})", limit=1000)
    assert all(len(p.encode()) <= 1000 for p in parts)
    lines = [x for p in parts for x in p.splitlines() if x.startswith("line ")]
    assert lines == [f"line {i} " + "é" * 50 for i in range(50)]
    for index, part in enumerate(parts[1:], 2):
        assert part.startswith(f"({index}/{len(parts)})\n\n**head**\n\nline ")


def test_split_markdown_refuses_a_line_larger_than_a_message() -> None:
    with pytest.raises(ValueError, match="larger than a whole Zulip message"):
        split_markdown([MarkdownBlock(("x" * 2000,))], continued=lambda i, n: "", limit=1000)


def test_user_without_activity_still_gets_a_message() -> None:
    [message] = render_zulip(_report(_user(totals=Totals(), previous_totals=Totals())))
    assert "*No contributions this week.*" in message.content
    assert message.content.endswith(
        "*generated 2026-11-23 09:00 · data as of 2026-11-23 08:00 (UTC)*"
    )


def test_goals_streak_and_only_the_top_candidates_are_listed() -> None:
    candidates = tuple(
        CandidateRef("o/r", n, f"cand{n}", f"https://github.com/o/r/issues/{n}", score=1 / n)
        for n in range(1, 6)
    )
    goal = Goal(
        "prs_merged", target=3, actual=2, met=False, hit_rate=0.5, weeks_met=6, weeks_counted=12
    )
    user = _user(streak_weeks=4, goals=(goal,), candidates=candidates)
    [message] = render_zulip(_report(user))
    assert "- **Streak:** 4 weeks in a row with a contribution" in message.content
    assert "- ❌ PRs merged ≥ 3: missed (2 of 3), hit 6/12 weeks" in message.content
    shown = [n for n in range(1, 6) if f"cand{n}" in message.content]
    assert shown == list(range(1, text.MAX_CANDIDATES + 1))


def test_reverts_are_listed_beside_merges():
    from report_fixtures import reverted_week_report

    content = "\n".join(m.content for m in render_zulip(reverted_week_report()))
    assert "**Reverted this week (1)**" in content and "| PRs reverted | 1 |" in content
    assert content.index("Merged this week") < content.index("Reverted this week")
