"""Small charts of a user's weekly history: a text sparkline and an inline SVG bar chart.

*Pure*: values in, text out. The SVG needs no external assets and escapes
every string it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 30
BAR_GAP = 8
PLOT_HEIGHT = 100  # the tallest bar
TOP_MARGIN = 18  # room for the value above the tallest bar
BOTTOM_MARGIN = 22  # room for the week labels
SIDE_MARGIN = 6
BAR_COLOUR = "#4c78a8"
CURRENT_COLOUR = "#e45756"  # the report's own week, the last bar
TEXT_COLOUR = "#333333"
AXIS_COLOUR = "#999999"


def sparkline(values: Sequence[int]) -> str:
    """One block character per value; zero is the lowest block, any contribution is higher."""
    peak = max(values, default=0)
    if peak <= 0:
        return SPARK_BLOCKS[0] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[max(1, round(v / peak * top)) if v > 0 else 0] for v in values)


def short_week(label: str) -> str:
    """A compact week label for an axis: "2026-W47" -> "W47"."""
    _, sep, week = label.rpartition("-")
    return week if sep and week.startswith("W") else label


def history_svg(values: Sequence[int], labels: Sequence[str], *, title: str, chart_id: str) -> str:
    """An accessible inline SVG bar chart of weekly values ("" when there are none).

    `chart_id` must be unique in the page and safe in an id attribute; the
    last value is drawn as the current week.
    """
    if not values:
        return ""
    counts = [max(0, v) for v in values]
    names = list(labels) + [""] * (len(counts) - len(labels))
    width = SIDE_MARGIN * 2 + len(counts) * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    height = TOP_MARGIN + PLOT_HEIGHT + BOTTOM_MARGIN
    peak = max(max(counts), 1)
    last = len(counts) - 1
    bars = [_bar(i, count, names[i], peak, i == last) for i, count in enumerate(counts)]
    baseline = TOP_MARGIN + PLOT_HEIGHT
    return "".join(
        [
            f'<svg class="history" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(_describe(counts, names))}</desc>',
            f'<line x1="0" y1="{baseline}" x2="{width}" y2="{baseline}" '
            f'stroke="{AXIS_COLOUR}" stroke-width="1"/>',
            *bars,
            "</svg>",
        ]
    )


@lru_cache(maxsize=4096)  # a cohort's charts repeat their bars: 6,000 bars, 900 distinct
def _bar(index: int, count: int, label: str, peak: int, current: bool) -> str:
    bar_height = round(count / peak * PLOT_HEIGHT, 1)
    y = TOP_MARGIN + PLOT_HEIGHT - bar_height
    head, rect, tail = _column(index, label, current)
    return (
        f'{head}{count}</title><rect{rect} y="{y}" width="{BAR_WIDTH}" '
        f'height="{bar_height}"{tail[0]}{y - 4}{tail[1]}{count}{tail[2]}'
    )


@lru_cache(maxsize=256)
def _column(index: int, label: str, current: bool) -> tuple[str, str, tuple[str, str, str]]:
    """What a bar's SVG holds apart from its count and height (the same on every chart of a
    page, whose weeks are the same: worked out and escaped once)."""
    x = SIDE_MARGIN + index * (BAR_WIDTH + BAR_GAP)
    centre = x + BAR_WIDTH / 2
    colour = CURRENT_COLOUR if current else BAR_COLOUR
    head = f'<g class="{"bar current" if current else "bar"}"><title>'
    if label:  # the tooltip: "2026-W47: 3", or just the count
        head += f"{escape(label)}: "
    return (
        head,
        f' x="{x}"',
        (
            f' rx="2" fill="{colour}"/><text x="{centre}" y="',
            f'" text-anchor="middle" font-size="11" fill="{TEXT_COLOUR}">',
            f'</text><text x="{centre}" y="{TOP_MARGIN + PLOT_HEIGHT + 15}" '
            f'text-anchor="middle" font-size="10" fill="{TEXT_COLOUR}">'
            f"{escape(short_week(label))}</text></g>",
        ),
    )


def _describe(counts: Sequence[int], names: Sequence[str]) -> str:
    # the same numbers as the bars, for screen readers
    return ", ".join(f"{n}: {c}" if n else str(c) for n, c in zip(names, counts, strict=False))
