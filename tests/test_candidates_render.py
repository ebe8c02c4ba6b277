"""Candidates in a terminal: a table when wide, a stacked list at 80 columns, where the
five-column table folded issue numbers and wrapped the reasons a word a line."""

from __future__ import annotations

import io

import pytest

from contribbot.candidates.model import Candidate
from contribbot.candidates.render import candidates_table
from contribbot.candidates.service import Ranked
from contribbot.report.text import WIDE_TERMINAL as WIDE

ROWS = [
    Ranked(
        Candidate(
            user="alice",
            repo="pytorch/pytorch",
            number=2886,
            title="OneCycleLR error message for total_steps=0",
            url="https://github.com/pytorch/pytorch/issues/2886",
            status="stale_claim",
            score=0.81,
            reasons=(
                "you worked on module: optim in #1059, #1534 and 2 more",
                "marked good first issue",
            ),
        ),
        new=True,
    ),
    Ranked(
        Candidate(
            user="bob",
            repo="pytorch/tutorials",
            number=86,
            title="[bold red]not markup[/] \x1b[31m @channel",
            url="https://github.com/pytorch/tutorials/issues/86",
            status="free",
            score=0.5,
            reasons=("your PR #2910, open, updated 7 days ago",),
        ),
        new=False,
    ),
]


def printed(width: int) -> list[str]:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(candidates_table(ROWS, title="Top"))
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [60, 80, WIDE - 1])
def test_narrow_terminals_get_a_list_with_whole_issue_numbers(width):
    lines = printed(width)
    assert not any("┃" in line or "│" in line for line in lines)  # not a table
    assert max(len(line.rstrip()) for line in lines) <= width
    heads = [line for line in lines if line.startswith(("0.81", "0.50"))]
    assert [head.split("  ")[:2] for head in heads] == [
        ["0.81", "pytorch/pytorch#2886"],
        ["0.50", "pytorch/tutorials#86"],
    ]
    if width >= 80:  # the whole head on one line
        assert heads[0] == "0.81  pytorch/pytorch#2886  for alice · free (ask first) · NEW"
    text = "\n".join(lines)
    assert "• marked good first issue" in text
    assert "[bold red]not markup[/]" in text and "\x1b" not in text  # GitHub text is text


def test_wide_terminals_keep_the_table():
    lines = printed(WIDE + 20)
    assert any("┃ score" in line for line in lines)
    assert any("pytorch/pytorch#2886" in line and "free (ask first)" in line for line in lines)
