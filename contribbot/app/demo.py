"""`contrib demo`: the whole thing offline, against the built-in GitHub stand-in."""

from __future__ import annotations

import math
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from sqlmodel import Session

from contribbot.activity import contributions
from contribbot.candidates.refresh import RefreshResult, refresh_candidates
from contribbot.cli.console import SyncProgress
from contribbot.config import Config, parse_config
from contribbot.errors import UsageError
from contribbot.fakehub import Dataset, FakeHub
from contribbot.github.client import GitHubClient
from contribbot.store import save
from contribbot.store.db import open_database, session_scope
from contribbot.sync import Sync, SyncResult
from contribbot.timeutil import last_complete_week, week_of

DEMO_DIR = Path("contrib-demo")
DEMO_MARKER = "demo:created"
DEMO_TOKEN = "demo-token"  # the stand-in's own token; not a secret
DEMO_USERS = ("alice", "bob", "carol")
DEMO_REPOS = ("pytorch/pytorch", "pytorch/tutorials")

CONFIG_TEMPLATE = """\
# Written by `contrib demo`. The stand-in GitHub is gone when the demo ends, but every
# command that reads only the database works with this file, e.g.
#   contrib activity --config {path}
[github]
api_url = "{api_url}"
token = "{token}"
backoff_factor = 0.1

[database]
url = "sqlite:///{db_name}"

[track]
users = {users}
repos = {repos}

[repos."pytorch/pytorch"]
merged_labels = ["Merged"]
candidate_labels = ["good first issue", "module: bootcamp", "actionable"]

[goals]
prs_merged = 1

[goals.alice]
reviews_given = 2
"""


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def demo_config(db: Path, api_url: str) -> Config:
    """The demo's config, also written beside its database for later commands."""
    path = db.parent / "contrib-demo.toml"  # never a user's own contrib.toml
    text = CONFIG_TEMPLATE.format(
        path=path,
        api_url=api_url,
        token=DEMO_TOKEN,
        db_name=db.name,
        users=list(DEMO_USERS).__repr__().replace("'", '"'),
        repos=list(DEMO_REPOS).__repr__().replace("'", '"'),
    )
    path.write_text(text, encoding="utf-8")
    return parse_config(tomllib.loads(text), path=path.resolve(), text=text)


def _sync(config: Config, *, quiet: bool) -> tuple[SyncResult, GitHubClient, float]:
    client = GitHubClient(
        api_url=config.github.api_url,
        token=DEMO_TOKEN,
        per_page=config.github.per_page,
        backoff_factor=config.github.backoff_factor,
    )
    engine = open_database(config.database_url())
    started = time.perf_counter()
    with SyncProgress(quiet=quiet) as bar:
        result = Sync(engine=engine, client=client, config=config, progress=bar).run()
    return result, client, time.perf_counter() - started


def mirror_cost(dataset: Dataset, per_page: int) -> tuple[int, int]:
    """(issues+PRs, requests) to mirror every repo: all issues, all comments, reviews per PR."""
    items = comments = prs = 0
    for repo in dataset.repos.values():
        for issue in repo.issues.values():
            items += 1
            comments += len(issue.comments)
            prs += issue.is_pr
    return items, math.ceil(items / per_page) + math.ceil(comments / per_page) + prs


def _refresh(config: Config) -> tuple[RefreshResult, GitHubClient]:
    client = GitHubClient(api_url=config.github.api_url, token=DEMO_TOKEN, backoff_factor=0.1)
    engine = open_database(config.database_url())
    done = refresh_candidates(
        engine=engine, client=client, config=config, clock=lambda: datetime.now(UTC)
    )
    return done, client


def post_report(config: Config, *, url: str, week: str, now: datetime, console: Console) -> None:
    """Post the report to a Slack-compatible webhook through the outbox (once per week)."""
    from pydantic import SecretStr

    from contribbot.app import jobs
    from contribbot.config import SlackDestination
    from contribbot.deliver.service import send_due

    hook = SlackDestination(type="slack", name="demo", webhook_url=SecretStr(url))
    posting = config.model_copy(update={"destinations": [hook]})  # never written to disk
    engine = open_database(config.database_url())
    planned = jobs.deliver_weekly(engine, posting, week=week, now=now)
    sent = send_due(engine, config=posting, clock=lambda: datetime.now(UTC))
    if sent.failed:
        console.print(f"[red]posting failed[/]: {'; '.join(sent.problems.values())}")
    elif planned == 0:
        console.print(f"The {week} report was already posted there (the outbox posts it once).")
    else:
        console.print(f"Posted the {week} report to the webhook ({sent.sent} message(s)).")


def _claim(db: Path) -> None:
    """Refuse a database the demo did not create (it holds someone's real data)."""
    existed = db.exists()
    engine = open_database(f"sqlite:///{db}")
    with session_scope(engine) as session:
        if existed and save.get_state(session, key=DEMO_MARKER) is None:
            raise UsageError(f"--db: {db} is not a demo database; give the demo a new path")
        save.set_state(session, key=DEMO_MARKER, value="1", now=datetime.now(UTC))


def run_demo(*, db: Path | None, console: Console, quiet: bool, post_to: str | None = None) -> None:
    """Start the stand-in, sync twice (first and idle), and show what contribbot knows."""
    fresh = db is None
    db = (db or DEMO_DIR / "contrib.db").resolve()
    if fresh:
        db.parent.mkdir(parents=True, exist_ok=True)
        _fresh(db)
    elif not db.parent.is_dir():
        raise UsageError(f"--db: directory {db.parent} does not exist")
    _claim(db)
    console.print(Rule("contribbot demo"))
    console.print(
        "A GitHub stand-in with a generated, pytorch-like data set is running on loopback.\n"
        f"Tracking {', '.join('@' + u for u in DEMO_USERS)} in {', '.join(DEMO_REPOS)}.\n"
        f"Database: {db}"
    )
    with FakeHub(tokens={DEMO_TOKEN: "alice"}) as hub:
        config = demo_config(db, hub.base_url)
        first, client, seconds = _sync(config, quiet=quiet)
        items, mirror = mirror_cost(hub.dataset, config.github.per_page)
        console.print(
            f"\n[bold]First sync[/]: {first.items} items in {seconds:.1f}s, "
            f"{client.usage.sent} requests "
            f"(the repos hold {items} issues and PRs; mirroring them would take at least "
            f"{mirror} requests)."
        )
        refreshed, cand_client = _refresh(config)
        console.print(
            f"[bold]Candidates[/]: {refreshed.listed} open good-first issues, "
            f"{refreshed.timelines_checked} timelines checked, "
            f"{cand_client.usage.sent} requests."
        )
        again, client, seconds = _sync(config, quiet=True)
        _, cand_client = _refresh(config)
        console.print(
            f"[bold]Second sync[/] (nothing changed): {client.usage.sent} requests, "
            f"{client.usage.not_modified} answered 304 Not Modified, "
            f"{client.usage.spent} counted against the rate limit; candidates re-check: "
            f"{cand_client.usage.sent} requests, {cand_client.usage.spent} counted."
        )
        now = hub.now()
    week = _show(config, console, now, quiet=quiet)
    if post_to:
        post_report(config, url=post_to, week=week, now=now, console=console)
    console.print(
        f"\nThe demo's config is {config.path}; try "
        f"`contrib activity --config {config.path} --since 2020-01-01`."
    )


def _show(config: Config, console: Console, now: datetime, *, quiet: bool = False) -> str:
    from contribbot.activity import contributions
    from contribbot.app.candidates import best_first
    from contribbot.app.reports import make_report
    from contribbot.app.status import status
    from contribbot.candidates.render import candidates_table
    from contribbot.candidates.service import rank
    from contribbot.cli.views import print_activity, print_status
    from contribbot.report.render_terminal import print_terminal
    from contribbot.report.service import render

    engine = open_database(config.database_url())
    week_ago = now - timedelta(days=7)
    with session_scope(engine) as session:
        doc = status(session, config=config)
        items = contributions(session, users=list(DEMO_USERS), since=week_ago, until=now)
        ranked = rank(session, config=config, users=DEMO_USERS, repos=DEMO_REPOS, now=now)
        week = busiest_week(session, users=DEMO_USERS, now=now)
    report = make_report(
        config, db=engine, week=week, since=None, until=None, users=DEMO_USERS, now=now
    )
    if not quiet:
        console.print(Rule("contrib status"))
        print_status(doc, console)
        console.print(Rule("contrib activity (last 7 days)"))
        print_activity(items, week_ago, now, config.report.timezone, console)
        console.print(Rule("contrib candidates (free good-first issues, ranked per user)"))
        rows = best_first(ranked, DEMO_USERS, limit=3)  # the order `contrib candidates` shows
        console.print(candidates_table(rows, title="Top 3 per user, best first"))
        console.print(Rule(f"contrib report --week {week} (the busiest week)"))
        print_terminal(report, console)
    html = Path(config.database_url().removeprefix("sqlite:///")).parent / f"report-{week}.html"
    html.write_text(render(report, fmt="html"), encoding="utf-8")
    console.print(f"\nThe same report as one self-contained HTML file: {html}")
    return week


def busiest_week(session: Session, *, users: Sequence[str], now: datetime) -> str:
    """The complete ISO week (UTC) with the most contributions of `users` in the last year."""
    counts: Counter[str] = Counter()
    this_week = week_of(now, UTC)
    for item in contributions(
        session, users=list(users), since=now - timedelta(days=365), until=now
    ):
        label = week_of(item.at, UTC)
        if label != this_week:
            counts[label] += 1
    return counts.most_common(1)[0][0] if counts else last_complete_week(now, UTC)
