"""The Typer app, shared options, and the one place errors become a line and an exit code.

Only light modules are imported here: `contrib --help` and `--version` must answer at
once. Every command imports what it needs (SQLAlchemy, PyGithub, rich) when it runs.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, ParamSpec, TypeVar

# pydantic would scan every installed package's entry points for plugins on first use
# (30-80 ms here); the command line uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

from contribbot import __version__
from contribbot.errors import ContribError

if TYPE_CHECKING:
    from rich.console import Console

    from contribbot.deliver.service import SendSummary

P = ParamSpec("P")
R = TypeVar("R")

# Plain click help: rich's help formatter costs more to import than the rest of a command.
app = typer.Typer(
    name="contrib",
    help="Track your open-source contributions, find free good-first issues, post a weekly report.",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Database maintenance.", rich_markup_mode=None)
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $CONTRIBBOT_CONFIG, ./contrib.toml)."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress, only errors.")]
UsersOpt = Annotated[
    list[str] | None, typer.Option("--user", "-u", help="Only this login (repeatable).")
]
TableJson = Literal["table", "json"]
LogFormatOpt = Annotated[
    Literal["text", "json"],
    typer.Option("--log-format", help="text or json (for log collectors)."),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Debug logging (a failed job logs its traceback).")
]


@functools.cache
def out() -> Console:
    """The rich console on stdout (made on first use: rich is slow to import)."""
    from rich.console import Console

    return Console()


@functools.cache
def err() -> Console:
    """The rich console on stderr; an error stays one line, however long."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def say(line: str) -> None:
    """One plain line on stderr (progress and summaries)."""
    err().print(line, markup=False, highlight=False)


def error_line(message: str) -> None:
    """A red `error: ...` line on stderr per line of `message`."""
    from rich.text import Text

    for line in message.splitlines() or [""]:
        err().print(Text(f"error: {line}", style="red"))


def report_send_summary(what: str, planned: int, summary: SendSummary) -> None:
    """What a send pass did, one line each; exit 1 when a destination failed."""
    messages = "message" if planned == 1 else "messages"
    say(f"{what}: {planned} {messages} planned, {summary.sent} posted")
    if planned == 0 and summary.sent == 0 and summary.failed == 0:
        say(f"nothing new to post: {what} already went to every destination")
    for name, problem in summary.problems.items():
        error_line(f"{name}: {problem}")
    if summary.failed:
        raise typer.Exit(1)


def fail_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Print a ContribError (or a database failure) as one line on stderr, exit with its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ContribError as exc:
            error_line(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            say("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            failure = _database_failure(exc)
            if failure is None:
                raise
            error_line(str(failure))
            raise typer.Exit(failure.exit_code) from None

    return wrapper


def _database_failure(exc: Exception) -> ContribError | None:
    if type(exc).__module__.split(".")[0] not in ("sqlalchemy", "sqlite3", "psycopg"):
        return None  # sqlalchemy is imported only if it raised (a read runs on the driver)
    from contribbot.app.runtime import database_failure

    return database_failure(exc)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"contribbot {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Track your open-source contributions, find free good-first issues, post a weekly report.

    Start with `contrib demo` (offline), then `contrib init --user LOGIN --repo OWNER/NAME`.
    """
    _help_without_command(ctx)


@db_app.callback(invoke_without_command=True)
def _db(ctx: typer.Context) -> None:
    """Database maintenance."""
    _help_without_command(ctx)


def _help_without_command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:  # bare `contrib`, `contrib db`: help, as git does
        sys.stdout.write(ctx.get_help() + "\n")
        raise typer.Exit(0)


def main() -> None:
    """Entry point of the `contrib` console script."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except BrokenPipeError:  # `contrib activity | head`
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:
        # A bad option or value, raised by the click inside Typer (Typer vendors it and
        # does not export the class): one line, not Typer's box.
        format_message = getattr(exc, "format_message", None)
        if format_message is None or not isinstance(getattr(exc, "exit_code", None), int):
            raise
        context = getattr(exc, "ctx", None)
        where = f" (see `{context.command_path} --help`)" if context is not None else ""
        error_line(f"{_plain(format_message())}{where}")
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    sys.exit(code if isinstance(code, int) else 0)


def _plain(message: str) -> str:
    """Drop the "Value error, " that pydantic puts before a validator's own sentence."""
    return message.replace("Value error, ", "")
