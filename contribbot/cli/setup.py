"""`contrib init`, `contrib db upgrade` and `contrib demo`: getting started."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contribbot.cli.base import ConfigOpt, app, db_app, fail_cleanly, out
from contribbot.errors import UsageError


@app.command()
@fail_cleanly
def init(
    user: Annotated[
        list[str], typer.Option("--user", "-u", help="Your GitHub login (repeatable).")
    ],
    repo: Annotated[
        list[str], typer.Option("--repo", "-r", help="owner/name to track (repeatable).")
    ],
    path: Annotated[Path, typer.Option("--path", help="Where to write it.")] = Path("contrib.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config file to start from.

    Example: contrib init --user alice --repo pytorch/pytorch
    """
    from datetime import UTC, datetime

    from contribbot.cli.starter import write_starter_config

    today = datetime.now(UTC).date()
    written = write_starter_config(path, users=user, repos=repo, force=force, today=today)
    typer.echo(
        f"wrote {written}; next: `contrib sync` (the last year), then "
        "`contrib sync --history all` for everything before it (the daemon loads it in chunks)"
    )


@db_app.command("upgrade")
@fail_cleanly
def db_upgrade(config: ConfigOpt = None) -> None:
    """Create the database or bring it to the newest schema (also done on first use).

    Example: contrib db upgrade --config contrib.toml
    """
    from contribbot.app import runtime
    from contribbot.store.db import make_engine, upgrade

    cfg = runtime.load(config)
    before, after = upgrade(make_engine(cfg.database_url()))
    if before == after:
        typer.echo(f"database is up to date (revision {after})")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@app.command()
@fail_cleanly
def demo(
    db: Annotated[
        Path | None,
        typer.Option(help="Database file to use (default: a fresh ./contrib-demo/contrib.db)."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the summary lines, no tables.")
    ] = False,
    post_to: Annotated[
        str | None,
        typer.Option(
            "--post-to",
            help="Also post the report to this Slack-compatible webhook "
            "(e.g. a local `python -m contribbot.fakehub.sink`).",
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Only run the GitHub stand-in until Ctrl-C, and print the config lines "
            "that point contribbot at it.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="With --serve: the port on 127.0.0.1.")] = 8765,
) -> None:
    """See everything offline: a GitHub stand-in, a sync, candidates and a weekly report.

    Example: contrib demo

    Example: contrib demo --serve --port 8765   (then `contrib sync` with the lines it prints)

    Example: python -m contribbot.fakehub.sink --port 9999 & contrib demo --post-to http://127.0.0.1:9999/hook
    """
    from contribbot.cli.console import setup_logging

    if post_to is not None and not post_to.startswith(("http://", "https://")):
        raise UsageError(f"--post-to: {post_to!r} is not an http(s) URL")
    if serve:
        from contribbot.fakehub.__main__ import main as serve_stand_in

        raise typer.Exit(serve_stand_in(["--port", str(port)]))
    from contribbot.app.demo import run_demo

    setup_logging(quiet=True)
    run_demo(db=db, console=out(), quiet=quiet, post_to=post_to)
