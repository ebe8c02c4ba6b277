"""`contrib activity` in a terminal: a table when wide, two lines an item at 80 columns,
where the table's title column wrapped 14 characters a line ("nn.PixelShuffl" / "e")."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from contribbot.activity import Contribution
from contribbot.cli.views import print_activity

START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
ITEMS = [
    Contribution(
        kind="comment",
        user="alice",
        repo="pytorch/pytorch",
        number=2889,
        title="nn.PixelShuffle should check the input rank",
        url="https://github.com/pytorch/pytorch/issues/2889",
        at=datetime(2026, 11, 28, 4, 48, tzinfo=UTC),
    ),
    Contribution(
        kind="review",
        user="bob",
        repo="pytorch/tutorials",
        number=138,
        title="[red]not markup[/] \x1b[31m<@U123>",
        url="https://github.com/pytorch/tutorials/pull/138",
        at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
        state="APPROVED",
    ),
]


def printed(width: int) -> list[str]:
    out = io.StringIO()
    print_activity(ITEMS, START, END, UTC, Console(file=out, width=width, color_system=None))
    return out.getvalue().splitlines()


def test_at_80_columns_each_item_is_a_head_line_and_its_whole_title():
    lines = [line.rstrip() for line in printed(80)]
    assert lines[1:] == [
        "Sat 11-28 04:48  alice  comment            pytorch/pytorch#2889",
        "      nn.PixelShuffle should check the input rank",
        "Sun 11-29 09:00  bob    review (approved)  pytorch/tutorials#138",
        "      [red]not markup[/] [31m<@U123>",  # no ESC reaches the terminal
    ]


def test_wide_terminals_keep_the_table():
    lines = printed(140)
    assert any("┃ when" in line for line in lines)
    assert any("nn.PixelShuffle should check the input rank" in line for line in lines)
