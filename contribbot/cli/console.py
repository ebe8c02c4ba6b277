"""Terminal plumbing for the CLI: logging, progress bars, JSON output."""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported only when a terminal shows it
    from rich.progress import Progress, TaskID

    from contribbot.github.client import GitHubClient

QUIET_LOGGERS = ("httpx", "httpcore", "urllib3", "github", "alembic", "apscheduler")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as JSON."""
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}))
        return json.dumps(out)


def setup_logging(*, quiet: bool = False, verbose: bool = False, json_lines: bool = False) -> None:
    """Logs go to stderr: rich on a terminal, plain lines elsewhere, JSON on request."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    root.handlers.clear()
    handler: logging.Handler
    if json_lines:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=Console(stderr=True), show_path=False, markup=False, rich_tracebacks=False
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        # httpx would log webhook URLs (secrets) at INFO; PyGithub's retry chatter is ours to say.
        logging.getLogger(name).setLevel(logging.WARNING)


class SyncProgress:
    """A rich progress bar on a terminal; plain log lines elsewhere; nothing when quiet."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.log = logging.getLogger("contribbot.sync")
        self.items = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=None),
                TextColumn("{task.fields[items]} items"),
                TextColumn("· {task.fields[requests]} requests ({task.fields[spent]} spent)"),
                TextColumn("· rate limit {task.fields[rate]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> SyncProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(
                "starting", total=None, items=0, requests=0, spent=0, rate="?"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def phase(self, text: str) -> None:
        """Show the step in hand."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=text)
        elif not self.quiet:
            self.log.info("%s", text)

    def step(self, text: str) -> None:
        """A small step: shown on the bar, logged only at debug level."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=text)
        else:
            self.log.debug("%s", text)

    def advance(self, items: int, client: GitHubClient) -> None:
        """Count saved items and show requests and rate limit."""
        self.items += items
        if self._bar is None or self._task is None:
            return
        core = client.usage.rates.get("core")
        self._bar.update(
            self._task,
            items=self.items,
            requests=client.usage.sent,
            spent=client.usage.spent,
            rate=f"{core.remaining}/{core.limit}" if core else "?",
        )


def print_json(data: Any) -> None:
    """Pretty JSON to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
