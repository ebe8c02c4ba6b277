"""Rich tables shared by the CLI and the demo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from contribbot.activity import Contribution
from contribbot.timeutil import zone


def print_activity(
    items: list[Contribution], start: datetime, end: datetime, tz_name: str, console: Console
) -> None:
    """Contributions as a table, times in the report time zone."""
    tz = zone(tz_name)
    span = f"{start.astimezone(tz):%Y-%m-%d %H:%M} → {end.astimezone(tz):%Y-%m-%d %H:%M}"
    title = f"Activity {span} ({tz_name})"
    if not items:
        console.print(f"{title}: nothing.")
        return
    table = Table(title=title, title_justify="left")
    for column in ("when", "user", "what", "item", "title"):
        table.add_column(column, overflow="fold" if column == "title" else "ellipsis")
    for item in items:
        what = item.kind.replace("_", " ") + (f" ({item.state.lower()})" if item.state else "")
        table.add_row(
            f"{item.at.astimezone(tz):%a %m-%d %H:%M}",
            Text(item.user),
            what,
            Text(f"{item.repo}#{item.number}"),
            Text(item.title),
        )
    console.print(table)


def print_status(doc: dict[str, Any], console: Console) -> None:
    """The status document as tables."""
    table = Table(title="Sync status", title_justify="left")
    for column in (
        "repo",
        "user",
        "PRs",
        "issues",
        "reviews",
        "comments",
        "first sync",
        "last synced",
    ):
        table.add_column(
            column,
            justify="right" if column in ("PRs", "issues", "reviews", "comments") else "left",
        )
    for repo in doc["repos"]:
        for i, user in enumerate(repo["users"]):
            table.add_row(
                Text(repo["repo"] if i == 0 else ""),
                Text(user["login"]),
                str(user["prs"]),
                str(user["issues"]),
                str(user["reviews"]),
                str(user["comments"]),
                "done" if user["first_sync_done"] else "not yet",
                (repo["last_synced"] or "never") if i == 0 else "",
            )
    console.print(table)
    for resource, rate in sorted(doc["rate_limit"].items()):
        console.print(
            f"rate limit ({resource}): {rate['remaining']} of {rate['limit']} left, "
            f"resets {rate['reset']} (as of {rate['as_of'][:19]})"
        )
