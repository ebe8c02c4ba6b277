"""The HTML report in a real headless Chromium: escaped text, chart, summary, print layout.

Needs Debian's `chromium` package (`apt-get install -y chromium`); CI installs it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import DANGEROUS_TITLE, cohort_report, empty_week_report

from contribbot.report.render_html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT_SECONDS = 60
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
    ),
]


def chromium(workdir: Path, page: Path, *args: str) -> str:
    """Run headless Chromium on a local page and return its stdout."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={workdir / 'profile'}",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def cohort_page(workdir: Path) -> Path:
    page = workdir / "cohort.html"
    page.write_text(render_html(cohort_report()), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def dom(workdir: Path, cohort_page: Path) -> str:
    return chromium(workdir, cohort_page, "--dump-dom")


class DomText(HTMLParser):
    """The text of a DOM and the rows of its summary table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.summary_rows: list[list[str]] = []
        self._table: str | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            classes = (dict(attrs).get("class") or "").split()
            self._table = classes[0] if classes else None
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table == "summary":
            self.summary_rows.append([])

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_body and self._table == "summary" and data.strip():
            self.summary_rows[-1].append(data.strip())


def test_dangerous_title_is_text_not_markup(dom: str):
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    parsed = DomText()
    parsed.feed(dom)
    assert DANGEROUS_TITLE in parsed.text
    assert not re.search(r"""href=["']?javascript:""", dom, re.IGNORECASE)


def test_charts_are_in_the_dom(dom: str):
    assert dom.count("<svg") == 2
    assert dom.count("<rect") == 24
    assert "Contributions per week by bob" in dom


def test_summary_table_has_a_row_per_user(dom: str):
    parsed = DomText()
    parsed.feed(dom)
    assert [row[0] for row in parsed.summary_rows] == ["alice", "bob"]
    assert parsed.summary_rows[0][-2:] == ["17 (+2)", "5 weeks"]


def test_screenshot_renders(workdir: Path, cohort_page: Path):
    shot = workdir / "cohort.png"
    chromium(
        workdir, cohort_page, "--hide-scrollbars", "--window-size=1100,2600", f"--screenshot={shot}"
    )
    assert _png_size(shot) == (1100, 2600)


# --- a phone and a desktop: nothing runs off the right edge -------------------------------

VIEWPORTS = (400, 1200)
LONG_WORD = "torch.nn.functional." * 12  # a title without a place to break
# Headless Chromium will not make a window narrower than 500 px, so the report is measured
# in an iframe of the exact width (its own viewport); the probe script is in the wrapper
# page, not in the report, whose Content-Security-Policy forbids scripts.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="report" src="{src}" style="width:{width}px;height:900px;border:0"></iframe>
<script>
report.addEventListener("load", () => {{
  const view = report.contentWindow, doc = report.contentDocument.documentElement;
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({{scrollWidth: doc.scrollWidth, width: view.innerWidth}});
  document.body.append(out);
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def phone_page(workdir: Path) -> Path:
    report = cohort_report()
    alice = report.users[0]
    long_pr = replace(alice.open_prs[0], title=LONG_WORD)
    alice = replace(alice, open_prs=(long_pr, *alice.open_prs[1:]), login="alice-" + "x" * 40)
    page = workdir / "phone.html"
    page.write_text(render_html(replace(report, users=(alice, *report.users[1:]))), "utf-8")
    return page


def _png_size(shot: Path) -> tuple[int, int]:
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


@pytest.mark.parametrize("width", VIEWPORTS)
def test_nothing_is_wider_than_the_window(workdir: Path, phone_page: Path, width: int):
    probe = workdir / f"probe-{width}.html"
    probe.write_text(PROBE.format(src=phone_page.name, width=width), encoding="utf-8")
    dom = chromium(
        workdir, probe, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom"
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    measured = json.loads(html.unescape(found[1]))
    assert measured["width"] == width
    assert measured["scrollWidth"] <= measured["width"], measured


@pytest.mark.parametrize("width", VIEWPORTS)
def test_screenshots_at_phone_and_desktop_width(workdir: Path, phone_page: Path, width: int):
    shot = workdir / f"phone-{width}.png"
    chromium(
        workdir,
        phone_page,
        "--hide-scrollbars",
        f"--window-size={width},1800",
        f"--screenshot={shot}",
    )
    assert _png_size(shot) == (width, 1800)


def test_a_phone_gets_cards_and_charts_that_scale():
    page = render_html(cohort_report())
    assert "@media (max-width: 40rem)" in page
    assert 'class="summary cards"' in page and 'class="open-prs cards"' in page
    assert 'data-label="Whose move"' in page
    assert "svg.history { max-width: 100%; height: auto; }" in page  # with its viewBox


def test_each_user_prints_on_its_own_page(workdir: Path):
    # three small sections share two pages unless the print rule splits them
    report = empty_week_report()
    carol = report.users[0]
    users = tuple(replace(carol, login=name) for name in ("carol", "dave", "erin"))
    page = workdir / "three-users.html"
    page.write_text(render_html(replace(report, users=users)), encoding="utf-8")
    pdf = workdir / "three-users.pdf"
    chromium(workdir, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    pages = re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())
    assert len(pages) == len(users)


SUMMARY_PROBE = PROBE.replace(
    "scrollWidth: doc.scrollWidth, width: view.innerWidth",
    "inner: report.contentDocument.querySelector('.summary').parentElement.scrollWidth, "
    "box: report.contentDocument.querySelector('.summary').parentElement.clientWidth",
)


def test_the_summary_fits_a_desktop_window_without_its_own_scroll_bar(
    workdir: Path, cohort_page: Path
):
    probe = workdir / "summary-1200.html"
    probe.write_text(SUMMARY_PROBE.format(src=cohort_page.name, width=1200), encoding="utf-8")
    dom = chromium(
        workdir, probe, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom"
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, dom[-2000:]
    measured = json.loads(html.unescape(found[1]))
    assert measured["inner"] <= measured["box"], measured  # eleven columns, no scrolling
