"""The HTML report in a real headless Chromium: escaped text, chart, summary, print layout.

Needs Debian's `chromium` package (`apt-get install -y chromium`); CI installs it. One
Chromium serves the whole module: driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`), each check opens its page in a tab of its own, at the window
size it asks for (a launch costs about a second of CPU; a tab, a few hundredths).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

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


class Browser:
    """A headless Chromium, driven over the DevTools protocol: JSON messages ending in a
    NUL byte, commands written to its fd 3, answers and events read from its fd 4."""

    def __init__(self, workdir: Path) -> None:
        assert CHROMIUM is not None
        commands_r, commands_w = os.pipe()
        answers_r, answers_w = os.pipe()
        # above the descriptors the child's dup2 writes to (3 and 4), closed on exec
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_r, answers_w)]
        os.close(commands_r)
        os.close(answers_w)
        self.log = workdir / "chromium.log"

        def wire() -> None:  # in the child, before exec: only dup2 (no locks)
            os.dup2(theirs[0], 3)
            os.dup2(theirs[1], 4)

        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                    f"--user-data-dir={workdir / 'profile'}",
                    "--remote-debugging-pipe",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=wire,  # noqa: PLW1509 (the fixture's thread; dup2 only)
                pass_fds=(3, 4),
            )
        for fd in theirs:
            os.close(fd)
        self._send, self._answers = commands_w, answers_r
        self._buffer, self._events, self._last = b"", [], 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command (to a tab's `session`, or to the browser) and return its result."""
        self._last += 1
        message: dict[str, Any] = {"id": self._last, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._last:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return dict(answer["result"])
            self._events.append(answer)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._answers], [], [], TIMEOUT_SECONDS)
            chunk = os.read(self._answers, 1 << 16) if ready else b""
            assert chunk, f"chromium went silent: {self.log.read_text(errors='replace')[-2000:]}"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def _event(self, method: str, session: str) -> None:
        """Wait for the tab's event `method`; the tab's earlier events are dropped."""
        wanted = {"method": method, "sessionId": session}
        while not any(wanted.items() <= event.items() for event in self._events):
            self._events.append(self._read())
        self._events = [e for e in self._events if e.get("sessionId") != session]

    def open(self, page: Path, width: int, height: int) -> str:
        """A new tab of `width` x `height` CSS pixels (no scroll bars), once `page` has
        loaded and its fonts are ready; returns the tab's session."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        tab = str(self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"])
        self.call("Page.enable", tab)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            tab,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Emulation.setScrollbarsHidden", tab, hidden=True)
        self.call("Page.navigate", tab, url=page.as_uri())
        self._event("Page.loadEventFired", tab)
        self.evaluate(tab, "document.fonts.ready.then(() => true)")
        return tab

    def evaluate(self, tab: str, expression: str) -> Any:
        """The value of a JavaScript expression in the tab (awaited if a promise). DevTools'
        evaluation is not the page's: the report's Content-Security-Policy still forbids
        the page any script of its own."""
        done = self.call(
            "Runtime.evaluate", tab, expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in done, done["exceptionDetails"]
        return done["result"].get("value")

    def screenshot(self, tab: str, path: Path) -> Path:
        """The tab's window as a PNG at `path`."""
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", tab)["data"]))
        return path

    def pdf(self, tab: str, path: Path) -> Path:
        """The tab printed (print media, no header or footer) to a PDF at `path`."""
        done = self.call("Page.printToPDF", tab, displayHeaderFooter=False)
        path.write_bytes(base64.b64decode(done["data"]))
        return path

    def close(self) -> None:
        """Quit Chromium (killed if it does not within the timeout)."""
        try:
            self.call("Browser.close")
            self.process.wait(timeout=TIMEOUT_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            os.close(self._send)
            os.close(self._answers)


DOM = "document.documentElement.outerHTML"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def browser(workdir: Path) -> Iterator[Browser]:
    running = Browser(workdir)
    yield running
    running.close()


@pytest.fixture(scope="module")
def cohort_page(workdir: Path) -> Path:
    page = workdir / "cohort.html"
    page.write_text(render_html(cohort_report()), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def dom(browser: Browser, cohort_page: Path) -> str:
    """The cohort report's DOM as Chromium parsed it (what `--dump-dom` prints)."""
    return str(browser.evaluate(browser.open(cohort_page, 1200, 900), DOM))


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


def test_screenshot_renders(browser: Browser, workdir: Path, cohort_page: Path):
    shot = browser.screenshot(browser.open(cohort_page, 1100, 2600), workdir / "cohort.png")
    assert _png_size(shot) == (1100, 2600)


# --- a phone and a desktop: nothing runs off the right edge -------------------------------

VIEWPORTS = (400, 1200)
LONG_WORD = "torch.nn.functional." * 12  # a title without a place to break
# the window's own width (DevTools' device metrics) and how wide the page lays out in it
MEASURE = "({scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth})"


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
def test_nothing_is_wider_than_the_window(browser: Browser, phone_page: Path, width: int):
    measured = browser.evaluate(browser.open(phone_page, width, 900), MEASURE)
    assert measured["width"] == width
    assert measured["scrollWidth"] <= measured["width"], measured


@pytest.mark.parametrize("width", VIEWPORTS)
def test_screenshots_at_phone_and_desktop_width(
    browser: Browser, workdir: Path, phone_page: Path, width: int
):
    shot = browser.screenshot(browser.open(phone_page, width, 1800), workdir / f"phone-{width}.png")
    assert _png_size(shot) == (width, 1800)


def test_a_phone_gets_cards_and_charts_that_scale():
    page = render_html(cohort_report())
    assert "@media (max-width: 40rem)" in page
    assert 'class="summary cards"' in page and 'class="open-prs cards"' in page
    assert 'data-label="Whose move"' in page
    assert "svg.history { max-width: 100%; height: auto; }" in page  # with its viewBox


def test_each_user_prints_on_its_own_page(browser: Browser, workdir: Path):
    # three small sections share two pages unless the print rule splits them
    report = empty_week_report()
    carol = report.users[0]
    users = tuple(replace(carol, login=name) for name in ("carol", "dave", "erin"))
    page = workdir / "three-users.html"
    page.write_text(render_html(replace(report, users=users)), encoding="utf-8")
    pdf = browser.pdf(browser.open(page, 1200, 900), workdir / "three-users.pdf")
    pages = re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())
    assert len(pages) == len(users)


SUMMARY = (
    "(box => ({inner: box.scrollWidth, box: box.clientWidth}))"
    "(document.querySelector('.summary').parentElement)"
)


def test_the_summary_fits_a_desktop_window_without_its_own_scroll_bar(
    browser: Browser, cohort_page: Path
):
    measured = browser.evaluate(browser.open(cohort_page, 1200, 900), SUMMARY)
    assert measured["inner"] <= measured["box"], measured  # eleven columns, no scrolling
