"""Slack rendering: escaping of GitHub text, Block Kit limits, splitting without losing content."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from contribbot.deliver.slack import (
    MAX_BLOCKS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    payload_chars,
    render_slack,
    section,
    split_blocks,
    text_sections,
)
from contribbot.report import text
from contribbot.report.model import (
    BALLS,
    Ball,
    CandidateRef,
    ItemRef,
    OpenPR,
    Totals,
    UserReport,
    WeeklyReport,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = ("<!channel>", "<!here>", "<@U123>", "<!subteam^S1>", "a & b", "@here now")
# Anything that is neither one of our links nor an entity would be read as markup by Slack.
BARE_ANGLE = re.compile(r"<(?!https://)")
BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
LINK = re.compile(r"<(https://[^|>]+)\|([^>]*)>")


def _item(n: int, title: str, kind: str = "pr_merged", state: str | None = None) -> ItemRef:
    url = f"https://github.com/o/r/pull/{n}"
    return ItemRef(repo="o/r", number=n, title=title, url=url, at=NOW, kind=kind, state=state)


def _open(n: int, title: str, ball: Ball = "awaiting_review", days: int = 4) -> OpenPR:
    return OpenPR(
        repo="o/r",
        number=n,
        title=title,
        url=f"https://github.com/o/r/pull/{n}",
        ball=ball,
        days=days,
        opened_at=NOW - timedelta(days=days),
        idle_days=days,
        stale=False,
    )


def _candidate(n: int, title: str, reasons: tuple[str, ...] = ()) -> CandidateRef:
    url = f"https://github.com/o/r/issues/{n}"
    return CandidateRef(repo="o/r", number=n, title=title, url=url, score=0.5, reasons=reasons)


def _user(login: str = "alice", **kwargs: object) -> UserReport:
    defaults: dict[str, object] = {
        "totals": Totals(prs_merged=3, reviews_given=2),
        "previous_totals": Totals(prs_merged=1, reviews_given=4),
    }
    defaults.update(kwargs)
    return UserReport(login=login, **defaults)  # type: ignore[arg-type]


def _report(*users: UserReport, data_as_of: datetime | None = NOW) -> WeeklyReport:
    return WeeklyReport(
        week="2026-W47",
        start=NOW - timedelta(days=7),
        end=NOW,
        timezone="UTC",
        generated_at=NOW,
        data_as_of=data_as_of,
        users=users,
    )


def _texts(payload: dict[str, object]) -> list[str]:
    """Every piece of mrkdwn/plain text in a payload."""
    out = [str(payload["text"])]
    for block in payload["blocks"]:  # type: ignore[attr-defined]
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", []))
        out.extend(e["text"] for e in block.get("elements", []))
    return out


def _cohort(users: int, prs_per_user: int) -> WeeklyReport:
    """Users with many long, escape-heavy titles; every title carries a unique T<number>T tag."""
    tail = " " + "x" * 120 + " & <fix>"
    people = []
    for u in range(users):
        merged = range(u * 1000, u * 1000 + prs_per_user)
        still_open = range(u * 1000 + 500, u * 1000 + 505)
        reviewed = range(u * 1000 + 700, u * 1000 + 703)
        people.append(
            _user(
                f"user{u}",
                merged_prs=tuple(_item(n, f"T{n}T{tail}") for n in merged),
                open_prs=tuple(_open(n, f"T{n}T{tail}") for n in still_open),
                reviews=tuple(_item(n, f"T{n}T", "review", "APPROVED") for n in reviewed),
            )
        )
    return _report(*people)


def test_hostile_titles_logins_and_reasons_cannot_ping_anyone() -> None:
    user = _user(
        "<!channel>",
        merged_prs=tuple(_item(i, title) for i, title in enumerate(HOSTILE)),
        reviews=(_item(50, "r", "review", "<!everyone>"),),
        candidates=(_candidate(60, "c", reasons=("<@U999> said so",)),),
    )
    texts = [t for p in render_slack(_report(user)) for t in _texts(p)]
    joined = "\n".join(texts)
    assert not [t for t in texts if BARE_ANGLE.search(t)]
    assert not [t for t in texts if BARE_AMP.search(t)]
    assert "&lt;!channel&gt;" in joined and "a &amp; b" in joined
    assert "&lt;@\u2060U123&gt;" in joined
    assert "@here" not in joined  # broken up by a word joiner


def test_links_use_slack_syntax_and_hostile_urls_do_not_become_links() -> None:
    user = _user(
        merged_prs=(
            _item(1, "fine"),
            ItemRef("o/r", 2, "pipe", "https://x.test/a|b>c", NOW),
            ItemRef("o/r", 3, "js", "javascript:alert(1)", NOW),
        )
    )
    joined = "\n".join(t for p in render_slack(_report(user)) for t in _texts(p))
    assert "<https://github.com/o/r/pull/1|o/r#1> fine" in joined
    assert "<https://x.test/a%7Cb%3Ec|o/r#2> pipe" in joined
    assert "• o/r#3 js" in joined and "javascript" not in joined.replace("• o/r#3 js", "")


@pytest.mark.parametrize(
    ("ball", "days", "phrase"),
    [
        ("awaiting_review", 4, "waiting for a first review for 4 days"),
        ("awaiting_review", 1, "waiting for a first review for 1 day"),
        ("changes_requested", 3, "changes requested 3 days ago"),
        ("changes_requested", 0, "changes requested today"),
    ],
)
def test_open_prs_say_whose_move_it_is(ball: Ball, days: int, phrase: str) -> None:
    user = _user(open_prs=(_open(7, "title", ball, days),))
    joined = "\n".join(t for p in render_slack(_report(user)) for t in _texts(p))
    assert f"<https://github.com/o/r/pull/7|o/r#7> title — {phrase}" in joined


def test_every_ball_state_uses_the_shared_wording() -> None:
    prs = tuple(_open(n, f"pr{n}", ball, days=2) for n, ball in enumerate(BALLS))
    joined = "\n".join(t for p in render_slack(_report(_user(open_prs=prs))) for t in _texts(p))
    for pr in prs:
        assert f"|o/r#{pr.number}> {pr.title} — {text.ball_text(pr)}" in joined


def test_stale_open_prs_carry_a_warning() -> None:
    pr = replace(_open(7, "old"), stale=True, idle_days=30)
    joined = "\n".join(t for p in render_slack(_report(_user(open_prs=(pr,)))) for t in _texts(p))
    assert f"o/r#7> old — {text.ball_text(pr)} · :warning: {text.stale_text(pr)}" in joined


def test_totals_are_fields_with_change_against_last_week() -> None:
    [payload] = render_slack(_report(_user()))
    totals = next(b for b in payload["blocks"] if b.get("fields"))
    fields = [f["text"] for f in totals["fields"]]
    assert "*PRs merged*\n3 (+2)" in fields and "*Reviews given*\n2 (\N{MINUS SIGN}2)" in fields
    assert "*Comments*\n0 (±0)" in fields
    assert "5 contributions (±0 vs last week)" in totals["text"]["text"]


def test_context_block_says_how_fresh_the_data_is() -> None:
    report = _report(_user(), data_as_of=NOW - timedelta(days=3))
    footer = render_slack(report)[-1]["blocks"][-1]
    assert footer["type"] == "context"
    assert footer["elements"][0]["text"] == f"{text.freshness_text(report)} (UTC)"
    assert "2026-11-20 09:00" in footer["elements"][0]["text"]


@pytest.mark.parametrize(("users", "prs"), [(30, 12), (80, 0)])
def test_big_cohort_splits_within_every_limit_and_loses_nothing(users: int, prs: int) -> None:
    report = _cohort(users=users, prs_per_user=prs)
    payloads = render_slack(report)
    assert len(payloads) > 1
    for payload in payloads:
        _assert_within_limits(payload)
    joined = "\n".join(t for p in payloads for t in _texts(p))
    numbers = [
        pr.number
        for u in report.users
        for prs_of_a_kind in (u.merged_prs, u.open_prs, u.reviews)
        for pr in prs_of_a_kind
    ]
    assert len(numbers) == users * (prs + 5 + 3)
    for number in numbers:
        assert joined.count(f"T{number}T") == 1
        assert joined.count(f"|o/r#{number}>") == 1


def test_continuation_messages_are_numbered_and_footer_closes_the_last() -> None:
    payloads = render_slack(_cohort(users=30, prs_per_user=12))
    count = len(payloads)
    headers = [p["blocks"][0]["text"]["text"] for p in payloads]
    assert headers[0] == "Open-source contributions — Week 2026-W47"
    assert headers[1:] == [f"{headers[0]} (continued {i}/{count})" for i in range(2, count + 1)]
    footers = [p["blocks"][-1]["type"] == "context" for p in payloads]
    assert footers == [False] * (count - 1) + [True]
    assert all(p["text"].endswith(f"({i}/{count})") for i, p in enumerate(payloads, 1))


def test_one_user_with_hundreds_of_prs_splits_sections_between_whole_lines() -> None:
    user = _user(merged_prs=tuple(_item(i, f"T{i}T " + "&" * 150) for i in range(300)))
    payloads = render_slack(_report(user))
    assert len(payloads) > 1
    lines = []
    for payload in payloads:
        _assert_within_limits(payload)
        for block in payload["blocks"]:
            if block["type"] == "section" and "*Merged this week*" in block["text"]["text"]:
                lines.extend(block["text"]["text"].split("\n")[1:])
    assert len(lines) == 300
    pattern = re.compile(
        r"• <https://github\.com/o/r/pull/(\d+)\|o/r#\1> T\1T (&amp;){150} — 2026-11-23"
    )
    assert all(pattern.fullmatch(line) for line in lines)


def test_long_titles_are_cut_before_escaping_so_no_entity_is_cut() -> None:
    user = _user(merged_prs=(_item(1, "<" * 1000),))
    [payload] = render_slack(_report(user))
    section_text = next(t for t in _texts(payload) if "o/r#1" in t)
    assert section_text.endswith("&lt;" * 199 + "… — 2026-11-23")


def test_titles_become_one_line_without_direction_overrides() -> None:
    user = _user(merged_prs=(_item(1, "fix\n• <https://evil.test|o/r#2> \u202eevil\u202c"),))
    [payload] = render_slack(_report(user))
    section_text = next(t for t in _texts(payload) if "o/r#1" in t)
    assert section_text.endswith("o/r#1> fix • &lt;https://evil.test|o/r#2&gt; evil — 2026-11-23")


def test_split_blocks_keeps_a_group_together_when_it_fits() -> None:
    groups = [[section(f"g{g}b{b}") for b in range(20)] for g in range(3)]
    payloads = split_blocks(groups, title="t")
    placement = [{b["text"]["text"][:2] for b in p["blocks"][1:]} for p in payloads]
    assert placement == [{"g0", "g1"}, {"g2"}]


def test_split_blocks_spreads_a_group_that_fits_nowhere() -> None:
    payloads = split_blocks([[section(str(i)) for i in range(120)]], title="t")
    assert [len(p["blocks"]) for p in payloads] == [MAX_BLOCKS - 2 + 1] * 2 + [120 - 2 * 48 + 1]


def test_split_blocks_fills_messages_up_to_the_character_limit_and_not_beyond() -> None:
    blocks = [section(f"{i:03d}" + "é" * 997) for i in range(40)]
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": "f" * 500}]}
    payloads = split_blocks([blocks], title="t" * 200, footer=footer)
    sizes = [payload_chars(p) for p in payloads]
    assert all(size <= MAX_MESSAGE_CHARS for size in sizes)
    assert all(size > MAX_MESSAGE_CHARS - 2000 for size in sizes[:-1])  # really filled
    kept = [b["text"]["text"][:3] for p in payloads for b in p["blocks"][1:] if "text" in b]
    assert kept == [f"{i:03d}" for i in range(40)]


def test_text_sections_refuses_a_line_that_cannot_fit() -> None:
    with pytest.raises(ValueError, match="cannot fit"):
        text_sections("*h*", ["x" * MAX_SECTION_TEXT])


def test_empty_report_is_one_message() -> None:
    [payload] = render_slack(_report())
    assert f"_{text.EMPTY_REPORT}_" in _texts(payload)


def _assert_within_limits(payload: dict[str, object]) -> None:
    blocks = payload["blocks"]
    assert isinstance(blocks, list) and len(blocks) <= MAX_BLOCKS
    assert payload["text"] and payload_chars(payload) <= MAX_MESSAGE_CHARS
    header = blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= MAX_HEADER
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            assert len(block.get("fields", [])) <= MAX_FIELDS
            assert all(len(f["text"]) <= MAX_FIELD_TEXT for f in block.get("fields", []))


def test_reverts_are_listed_beside_merges():
    from report_fixtures import reverted_week_report

    joined = "\n".join(t for p in render_slack(reverted_week_report()) for t in _texts(p))
    assert "*Reverted this week* (1)" in joined
    assert joined.index("*Merged this week*") < joined.index("*Reverted this week*")
    assert "PRs reverted" in json.dumps(render_slack(reverted_week_report()))
