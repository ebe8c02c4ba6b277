"""Rich tables shared by the CLI and the demo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from contribbot.activity import Contribution
from contribbot.report.text import WIDE_TERMINAL, one_line

if TYPE_CHECKING:  # the tables import SQLAlchemy, which `activity` and `status` do without
    from contribbot.store.models import Delivery


def print_activity(
    items: list[Contribution], start: datetime, end: datetime, tz: tzinfo, console: Console
) -> None:
    """Contributions as a table, times in the report time zone."""
    span = f"{start.astimezone(tz):%Y-%m-%d %H:%M} → {end.astimezone(tz):%Y-%m-%d %H:%M}"
    title = f"Activity {span} ({tz})"
    if not items:
        console.print(f"{title}: nothing.")
        return
    if console.width < WIDE_TERMINAL:  # at 80 columns the titles wrapped 14 characters a line
        console.print(title, style="bold", markup=False)
        users = max(len(one_line(item.user)) for item in items)
        whats = max(len(_what(item)) for item in items)
        for item in items:
            head = Text(
                f"{item.at.astimezone(tz):%a %m-%d %H:%M}  {one_line(item.user):<{users}}  "
            )
            head.append(f"{_what(item):<{whats}}  ")
            head.append(f"{item.repo}#{item.number}", style="bold")
            console.print(head)
            console.print(Padding(Text(one_line(item.title)), (0, 0, 0, 6)))
        return
    table = Table(title=title, title_justify="left")
    for column in ("when", "user", "what", "item", "title"):
        if column == "title":
            table.add_column(column, overflow="fold", ratio=1)
        else:
            table.add_column(column, no_wrap=True)
    for item in items:
        table.add_row(
            f"{item.at.astimezone(tz):%a %m-%d %H:%M}",
            Text(one_line(item.user)),
            _what(item),
            Text(f"{item.repo}#{item.number}"),
            Text(one_line(item.title)),
        )
    console.print(table)


def _what(item: Contribution) -> str:
    return item.kind.replace("_", " ") + (f" ({item.state.lower()})" if item.state else "")


def print_status(doc: dict[str, Any], console: Console) -> None:
    """The status document: one table per repo, then the rate limit."""
    for repo in doc["repos"]:
        last = repo["last_synced"]
        synced = f"synced {last.replace('T', ' ')[:16]} UTC" if last else "never synced"
        pending = f", {repo['pending_fetches']} fetches pending" if repo["pending_fetches"] else ""
        title = f"{repo['repo']} · {synced} · {repo['items_stored']} issues and PRs stored{pending}"
        console.print(Text(title, style="italic"))  # the console's width, not the table's
        if repo.get("last_failed"):
            failed = repo["last_failed"]
            when = str(failed["at"]).replace("T", " ")[:16]
            console.print(Text(f"last sync failed {when} UTC: {failed['why'] or '?'}", "red"))
        table = Table()
        table.add_column("user", no_wrap=True)
        for column in ("PRs", "issues", "reviews", "comments"):
            table.add_column(column, justify="right")
        table.add_column("history")
        for user in repo["users"]:
            table.add_row(
                Text(user["login"]),
                str(user["prs"]),
                str(user["issues"]),
                str(user["reviews"]),
                str(user["comments"]),
                Text(user["history"]),
            )
        console.print(table)
    for resource, rate in sorted(doc["rate_limit"].items()):
        reset = rate["reset"].replace("T", " ").removesuffix("Z")
        console.print(
            f"rate limit ({resource}): {rate['remaining']} of {rate['limit']} left, "
            f"resets {reset} UTC"
        )
    for note in doc.get("notes", []):
        console.print(Text(f"note: {note}", style="yellow"))
    print_workers(doc.get("workers") or {}, console)


def print_workers(doc: dict[str, Any], console: Console) -> None:
    """The workers, what each holds until when, and the units by kind (nothing if none)."""
    if doc.get("workers"):
        table = Table(title="Workers", title_justify="left")
        for column in ("worker", "state", "leader", "holds", "lease until", "done"):
            table.add_column(column, overflow="fold")
        for row in doc["workers"]:
            until = (row["lease_until"] or "").replace("T", " ").removesuffix("Z")
            table.add_row(
                Text(row["id"]),
                row["state"],
                "yes" if row["leader"] else "",
                Text(row["unit"] or ""),
                until,
                str(row["units_done"]),
            )
        console.print(table)
    if doc.get("units"):
        parts = [
            f"{kind} {c['units']} ({c['held']} held, {c['due']} due"
            + (f", {c['failing']} failing)" if c["failing"] else ")")
            for kind, c in sorted(doc["units"].items())
        ]
        console.print(Text("units: " + "; ".join(parts)))
    for lost in doc.get("expired_leases", []):
        console.print(
            Text(
                f"lease expired: {lost['unit']} (held by {lost['worker']}); another worker takes it"
            )
        )


def deliveries_table(rows: Sequence[Delivery]) -> Table:
    """The outbox, newest first."""
    table = Table(title="Deliveries (newest first)", title_justify="left")
    for column in ("id", "to", "what", "for", "part", "status", "tries", "sent", "problem"):
        table.add_column(column, overflow="fold" if column == "problem" else "ellipsis")
    for row in rows:
        sent = row.sent_at.strftime("%Y-%m-%d %H:%M") if row.sent_at else ""
        table.add_row(
            str(row.id),
            row.destination,
            f"{row.kind} {row.period}",
            row.subject,
            f"{row.part}/{row.parts}",
            row.status,
            str(row.attempts),
            sent,
            Text(row.error or ""),
        )
    return table
