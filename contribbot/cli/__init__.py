"""The `contrib` command line: Typer commands only; a ContribError becomes one line + exit code.

Exit codes: 0 ok, 1 something failed at run time, 2 bad input or config, 3 the database is
busy (another contribbot holds it, or another program locked the file).
"""

from __future__ import annotations

from contribbot.cli import posting, reading, running, setup  # noqa: F401  (register commands)
from contribbot.cli.base import app, main

HELP_ORDER = (
    "init",
    "sync",
    "activity",
    "status",
    "candidates",
    "report",
    "deliveries",
    "daemon",
    "worker",
    "demo",
)


def _place(name: str) -> int:
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)  # new ones last


app.registered_commands.sort(key=lambda c: _place(getattr(c.callback, "__name__", "")))

__all__ = ["app", "main"]
