"""Small charts of a user's weekly history: a text sparkline and an inline SVG bar chart.

*Pure*: values in, text out. The SVG needs no external assets and escapes
every string it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    bars = [
        _bar(i, count, names[i], peak, current=i == len(counts) - 1)
        for i, count in enumerate(counts)
    ]
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


def _bar(index: int, count: int, label: str, peak: int, *, current: bool) -> str:
    x = SIDE_MARGIN + index * (BAR_WIDTH + BAR_GAP)
    bar_height = round(count / peak * PLOT_HEIGHT, 1)
    y = TOP_MARGIN + PLOT_HEIGHT - bar_height
    centre = x + BAR_WIDTH / 2
    colour = CURRENT_COLOUR if current else BAR_COLOUR
    tip = f"{label}: {count}" if label else str(count)
    return (
        f'<g class="{"bar current" if current else "bar"}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{x}" y="{y}" width="{BAR_WIDTH}" height="{bar_height}" rx="2" '
        f'fill="{colour}"/>'
        f'<text x="{centre}" y="{y - 4}" text-anchor="middle" font-size="11" '
        f'fill="{TEXT_COLOUR}">{count}</text>'
        f'<text x="{centre}" y="{TOP_MARGIN + PLOT_HEIGHT + 15}" text-anchor="middle" '
        f'font-size="10" fill="{TEXT_COLOUR}">{escape(short_week(label))}</text>'
        "</g>"
    )


def _describe(counts: Sequence[int], names: Sequence[str]) -> str:
    # the same numbers as the bars, for screen readers
    return ", ".join(f"{n}: {c}" if n else str(c) for n, c in zip(names, counts, strict=False))
