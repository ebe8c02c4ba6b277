"""The report renderers: golden files per format, escaping, and edge cases.

Regenerate the golden files after an intended change with
``CONTRIBBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_render.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import (
    BAD_URL,
    BERLIN,
    DANGEROUS_TITLE,
    PIPE_TITLE,
    QUOTE_URL,
    SCRIPT_FRAGMENT,
    cohort_report,
    empty_week_report,
    no_users_report,
    reverted_week_report,
    single_report,
)
from rich.console import Console

from contribbot.report import text as t
from contribbot.report.charts import history_svg, short_week, sparkline
from contribbot.report.model import WeeklyReport, report_to_json
from contribbot.report.render_html import render_html
from contribbot.report.render_markdown import escape_markdown, render_markdown
from contribbot.report.render_terminal import print_terminal, render_terminal_text

GOLDEN_DIR = Path(__file__).parent / "golden" / "report"
UPDATE_GOLDEN = os.environ.get("CONTRIBBOT_UPDATE_GOLDEN") == "1"
FOURTH_CANDIDATE = "A fourth candidate never shown"


def terminal_text(report: WeeklyReport) -> str:
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    print_terminal(report, console)
    return console.export_text()


def markdown_plain(report: WeeklyReport) -> str:
    return render_markdown(report)


def markdown_front(report: WeeklyReport) -> str:
    return render_markdown(report, front_matter=True)


RENDERERS: dict[str, Callable[[WeeklyReport], str]] = {
    "terminal": terminal_text,
    "markdown": markdown_plain,
    "html": render_html,
}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert path.exists(), f"missing {path}; run with CONTRIBBOT_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_bytes().decode("utf-8"), f"{name} differs from golden"


@pytest.mark.parametrize(
    ("name", "build", "render"),
    [
        ("cohort.txt", cohort_report, terminal_text),
        ("cohort.md", cohort_report, markdown_plain),
        ("cohort-front-matter.md", cohort_report, markdown_front),
        ("cohort.html", cohort_report, render_html),
        ("empty-week.txt", empty_week_report, terminal_text),
        ("empty-week.md", empty_week_report, markdown_plain),
        ("empty-week.html", empty_week_report, render_html),
    ],
)
def test_golden(name, build, render):
    check_golden(name, render(build()))


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_tells_whose_move_it_is(fmt):
    out = " ".join(RENDERERS[fmt](cohort_report()).split())  # undo terminal line wrapping
    for phrase in (
        "waiting for a first review for 3 days",
        "changes requested 5 days ago",
        "approved, not merged yet",
        "draft",
        "you replied 2 days ago; waiting on reviewers",
        "idle 41 days \N{EM DASH} at risk of going stale",
        "3/12 weeks",
        "6/12 weeks",
        "20.5 h",
        "2.9 days",
        "merged by label",
    ):
        assert phrase in out, (fmt, phrase)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_summary_only_for_several_users(fmt):
    render = RENDERERS[fmt]
    assert "Summary" in render(cohort_report())
    assert "Summary" not in render(single_report())


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_at_most_three_candidates_and_only_when_there_are_some(fmt):
    out = RENDERERS[fmt](cohort_report())
    assert "Clarify torch.cat error message" in out
    assert FOURTH_CANDIDATE not in out
    assert out.count("Good first issues for next week") == 1  # bob has none


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_empty_week_and_no_history_render_sensibly(fmt):
    out = RENDERERS[fmt](empty_week_report())
    assert t.EMPTY_WEEK in out
    assert t.NO_HISTORY in out
    assert "data never synced" in out
    assert t.delta(0, 3) in out  # the drop against last week is still shown


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_report_without_users(fmt):
    assert t.EMPTY_REPORT in RENDERERS[fmt](no_users_report())


# --- terminal -------------------------------------------------------------------------


def test_terminal_shows_github_text_literally():
    report = cohort_report()
    markup_title = "[bold red]boom[/] :tada: [link=https://evil.example]x[/link]"
    first = report.users[0]
    pr = replace(first.open_prs[0], title=markup_title)
    report = replace(report, users=(replace(first, open_prs=(pr,), login="[red]eve[/]"),))
    out = terminal_text(report)
    assert "[bold red]boom[/]" in out
    assert ":tada:" in out
    assert "[red]eve[/]" in out


def test_terminal_shows_a_sparkline_per_user():
    out = terminal_text(cohort_report())
    assert "▁▂▃▂▁▁▃▃▅▄▇█" in out
    assert out.count("Last 12 weeks:") == 2


# --- markdown ---------------------------------------------------------------------------


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_escapes_titles():
    out = render_markdown(cohort_report())
    for raw in (SCRIPT_FRAGMENT, "**nn.Linear**", "<!channel>", "@**all**", "[x](y)", "{{"):
        assert raw not in out, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert r"\*\*nn.Linear\*\*" in out
    assert "&amp; &lt;!channel&gt;" in out
    assert "🎉" in out


def test_markdown_pipes_in_titles_do_not_split_table_cells():
    out = render_markdown(cohort_report())
    rows = [line for line in out.splitlines() if line.startswith("| [Handle a")]
    assert rows
    assert all(unescaped_pipes(row) == 3 for row in rows)  # two cells: PR, whose move


def test_escape_markdown_keeps_text_on_one_line():
    assert escape_markdown("a\n# heading\r\n- item") == "a # heading - item"


def test_markdown_links_only_web_urls():
    out = render_markdown(cohort_report())
    assert BAD_URL not in out
    assert "Add bf16 support to torch.histc (pytorch/pytorch#168003) · 2026-11-16" in out
    assert QUOTE_URL not in out
    assert "(https://github.com/pytorch/pytorch/issues/170001?x=%22%3E%3Cb%3E)" in out


def test_markdown_front_matter():
    out = render_markdown(cohort_report(), front_matter=True)
    head, sep, body = out.partition("\n---\n")
    assert sep and head.startswith("---\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    assert json.loads(fields["title"]) == "Open-source contributions \N{EM DASH} Week 2026-W47"
    assert fields["date"] == "2026-11-16"
    assert fields["tags"] == "[open-source, weekly]"
    assert body.lstrip().startswith("# Open-source contributions")
    assert not render_markdown(cohort_report()).startswith("---")


# --- html -------------------------------------------------------------------------------


class PageParser(HTMLParser):
    """Collects tags, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_html_keeps_dangerous_titles_as_text():
    page = render_html(cohort_report())
    parsed = parse(page)
    assert "script" not in parsed.tags
    assert "b" not in parsed.tags  # from the quote in QUOTE_URL
    assert DANGEROUS_TITLE in parsed.text
    assert PIPE_TITLE in parsed.text
    assert SCRIPT_FRAGMENT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_links_only_web_urls_and_escapes_attributes():
    parsed = parse(render_html(cohort_report()))
    hrefs = [value or "" for _, name, value in parsed.attrs if name == "href"]
    assert QUOTE_URL in hrefs  # the quote did not end the attribute
    assert all(h.startswith(("https://", "#")) for h in hrefs), hrefs
    assert "Add bf16 support to torch.histc" in parsed.text


def test_html_is_self_contained():
    page = render_html(cohort_report())
    parsed = parse(page)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    assert not [a for a in parsed.attrs if a[1] == "src" or a[1].startswith("on")]
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page
    assert "Content-Security-Policy" in page


def test_html_draws_one_accessible_chart_per_user():
    page = render_html(cohort_report())
    parsed = parse(page)
    assert parsed.tags.count("svg") == 2
    assert parsed.tags.count("rect") == 24
    assert "Contributions per week by alice, 2026-W36 to 2026-W47" in parsed.text
    assert "W47" in parsed.text


def test_html_without_history_has_no_chart():
    parsed = parse(render_html(empty_week_report()))
    assert "svg" not in parsed.tags
    assert t.NO_HISTORY in parsed.text


def test_markdown_survives_a_commonmark_parser():
    # markdown-it-py (a dependency of rich) with raw HTML allowed, as GitHub does
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    page = parser.render(render_markdown(cohort_report()))
    parsed = parse(page)
    assert "script" not in parsed.tags
    link_texts = re.findall(r"<a [^>]*>(.*?)</a>", page)
    assert link_texts
    assert not re.search(r"<\w", "".join(link_texts))  # no emphasis, code or link in a title
    assert DANGEROUS_TITLE in parsed.text
    assert PIPE_TITLE in parsed.text
    hrefs = [value or "" for _, name, value in parsed.attrs if name == "href"]
    assert all(h.startswith("https://github.com/") for h in hrefs)
    pipe_rows = [row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "Handle a|b" in row]
    assert pipe_rows and all(row.count("<td") == 2 for row in pipe_rows)


# --- shared wording and charts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "expected"), [(5, 3, "+2"), (2, 3, "\N{MINUS SIGN}1"), (4, 4, "±0")]
)
def test_delta(now, before, expected):
    assert t.delta(now, before) == expected


@pytest.mark.parametrize(
    ("hours", "expected"), [(20.5, "20.5 h"), (0.25, "0.2 h"), (47.9, "47.9 h"), (70, "2.9 days")]
)
def test_human_hours(hours, expected):
    assert t.human_hours(hours) == expected


@pytest.mark.parametrize(
    ("ball", "days", "expected"),
    [
        ("awaiting_review", 1, "waiting for a first review for 1 day"),
        ("awaiting_review", 0, "waiting for a first review for less than a day"),
        ("changes_requested", 0, "changes requested today"),
        ("changes_requested", 4, "changes requested 4 days ago"),
        ("approved", 9, "approved, not merged yet"),
        ("draft", 9, "draft"),
        ("author_replied", 1, "you replied 1 day ago; waiting on reviewers"),
    ],
)
def test_ball_text(ball, days, expected):
    pr = replace(cohort_report().users[0].open_prs[0], ball=ball, days=days)
    assert t.ball_text(pr) == expected


def test_stale_text_only_for_stale_prs():
    fresh, stale = cohort_report().users[1].open_prs
    assert t.stale_text(fresh) == ""
    assert t.stale_text(stale) == "idle 41 days \N{EM DASH} at risk of going stale"


def test_speed_text():
    assert t.speed_text(None, None) is None
    assert t.speed_text(20.5, None) == "20.5 h"
    assert t.speed_text(None, 72) == "no data yet (everyone else in these repos: 3.0 days)"


def test_streak_text():
    user = cohort_report().users[0]
    assert t.streak_text(user) == (
        "5 weeks in a row with a contribution; 2 weeks in a row with a merged PR"
    )
    assert t.streak_text(replace(user, streak_weeks=0)) == "no current streak"


def test_window_ends_on_the_last_day_inside_the_week():
    assert t.window_text(cohort_report()).startswith("2026-11-16 – 2026-11-22 ")


@pytest.mark.parametrize(
    ("until", "last"),
    [
        (datetime(2026, 11, 15, tzinfo=BERLIN), "2026-11-14"),  # midnight: exclusive
        (datetime(2026, 11, 15, 9, 30, tzinfo=BERLIN), "2026-11-15"),  # part of the 15th
        (datetime(2026, 11, 15, 0, 0, tzinfo=UTC), "2026-11-15"),  # 01:00 in Berlin
    ],
)
def test_a_custom_windows_title_and_subtitle_end_on_the_same_day(until, last):
    report = replace(
        cohort_report(), week=None, start=datetime(2026, 11, 1, tzinfo=BERLIN), end=until
    )
    assert report.title == f"2026-11-01 – {last}"
    assert t.window_text(report) == f"2026-11-01 – {last} (Europe/Berlin)"
    for render in (terminal_text, render_markdown, render_html):
        assert f"2026-11-01 – {last}" in render(report)


def test_every_timestamp_in_the_json_is_utc_with_a_z():
    doc = json.loads(json.dumps(report_to_json(cohort_report())))
    stamps: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT.*", value):
            stamps.append(value)

    walk(doc)
    assert len(stamps) > 10 and "2026-11-15T23:00:00Z" in stamps  # the Berlin week's start
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps), stamps


def test_unknown_time_zone_falls_back_to_utc():
    report = replace(cohort_report(), timezone="Mars/Olympus_Mons")
    assert t.local_time(report, report.generated_at) == "2026-11-23 08:00"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "ftp://x", "https://a b", ""]
)
def test_only_web_urls_are_links(url):
    assert not t.is_web_url(url)


def test_sparkline():
    assert sparkline([]) == ""
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([0, 1, 100]) == "▁▂█"  # any contribution rises above zero
    assert sparkline([0, 4, 8]) == "▁▅█"


def test_short_week():
    assert short_week("2026-W47") == "W47"
    assert short_week("Nov 16") == "Nov 16"


def test_history_svg_escapes_and_draws_every_week():
    svg = history_svg([3, 0, 5], ["2026-W01", "<b>", "2026-W03"], title="a <x> & b", chart_id="c")
    assert svg.count("<rect") == 3
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert '<title id="c-title">a &lt;x&gt; &amp; b</title>' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert history_svg([], [], title="x", chart_id="c") == ""


def test_terminal_drops_escape_sequences_from_github_text() -> None:
    report = cohort_report()
    user = report.users[0]
    evil = "Fix \x1b[2J\x1b]8;;http://evil\x07bug\u202e in nn"
    report = replace(
        report, users=(replace(user, merged_prs=(replace(user.merged_prs[0], title=evil),)),)
    )
    buffer = io.StringIO()
    print_terminal(report, Console(file=buffer, width=200, force_terminal=True))
    out = buffer.getvalue()  # what a real terminal would receive, colour codes and all
    assert "\x1b[2J" not in out and "\x1b]8;;http://evil" not in out and "\u202e" not in out
    assert "Fix [2J ]8;;http://evil bug in nn" in out  # ESC and BEL became spaces


def test_terminal_colours_and_links_only_on_a_colour_terminal() -> None:
    buffer = io.StringIO()
    print_terminal(cohort_report(), Console(file=buffer, width=80, force_terminal=True))
    out = buffer.getvalue()
    assert "\x1b]8;" in out and "https://github.com/pytorch/pytorch/pull/167001" in out
    assert BAD_URL not in out  # a javascript: URL is not a link, and not shown
    assert "\x1b[32m" in out or "\x1b[1;32m" in out  # green: up, met, new
    plain = terminal_text(cohort_report())
    assert "\x1b" not in plain


@pytest.mark.parametrize("build", [cohort_report, single_report, empty_week_report])
@pytest.mark.parametrize("width", [80, 60])
def test_terminal_fits_the_width(build, width: int) -> None:
    from rich.cells import cell_len

    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    print_terminal(build(), console)
    lines = console.export_text().splitlines()
    assert max(cell_len(line) for line in lines) <= width
    if build is cohort_report and width == 80:
        headers = next(line for line in lines if line.startswith("User "))
        assert headers.split() == [
            "User",
            "opened",
            "merged",
            "closed",
            "opened",
            "closed",
            "given",
            "Comments",
            "(change)",
            "Streak",
        ]
        assert "…" not in "\n".join(lines)


def test_terminal_summary_stacks_when_a_table_would_not_fit() -> None:
    report = cohort_report()
    long_login = "a-rather-long-github-login-name"
    report = replace(report, users=(replace(report.users[0], login=long_login), report.users[1]))
    out = render_terminal_text(report, 80)
    summary = out.split("Summary\n", 1)[1].split("\n\n", 1)[0]
    assert summary.startswith(f"{long_login} PRs opened 3 · PRs merged 2")
    assert max(len(line) for line in summary.splitlines()) <= 80


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_shows_reverts_beside_merges(fmt):
    out = " ".join(RENDERERS[fmt](reverted_week_report()).split())
    for phrase in (
        "PRs reverted",
        "Reverted this week",
        "reverted 2 days ago; your move to re-land it",
    ):
        assert phrase in out, (fmt, phrase)
    assert out.index("Merged this week") < out.index("Reverted this week")
