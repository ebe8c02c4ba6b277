"""`contrib status`: what is stored, when it was synced, and the rate limit left."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from contribbot.config import Config
from contribbot.secrets import unset_secrets
from contribbot.store import leases, save
from contribbot.store.keys import failed_key, failure_key, synced_key
from contribbot.store.models import Account, Comment, Issue, Review, SyncTask
from contribbot.timeutil import parse_github_time, utc_z


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


_NONE = {"prs": 0, "issues": 0, "reviews": 0, "comments": 0}


def user_counts(
    session: Session, *, repo_id: int, logins: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Stored PRs, issues, reviews given and comments of each login in one repo.

    Four grouped queries per repo, whatever the number of users (a cohort's status)."""
    lowered = [login.lower() for login in logins]
    ids = {
        login.lower(): account_id
        for account_id, login in session.exec(
            select(Account.id, Account.login).where(func.lower(Account.login).in_(lowered))
        )
    }
    counts: dict[int | None, dict[str, int]] = {
        account_id: dict(_NONE) for account_id in ids.values()
    }
    wanted = list(counts)
    items = (
        select(Issue.author_id, Issue.is_pr, func.count())
        .where(col(Issue.repo_id) == repo_id, col(Issue.author_id).in_(wanted))
        .group_by(col(Issue.author_id), col(Issue.is_pr))
    )
    for author_id, is_pr, n in session.exec(items):
        counts[author_id]["prs" if is_pr else "issues"] = n
    reviews = (
        select(Review.reviewer_id, func.count())
        .join(Issue, col(Issue.id) == Review.pr_id)
        .where(
            col(Review.reviewer_id).in_(wanted),
            col(Issue.repo_id) == repo_id,
            col(Issue.author_id) != Review.reviewer_id,  # as in `activity`: others' PRs
        )
        .group_by(col(Review.reviewer_id))
    )
    for reviewer_id, n in session.exec(reviews):
        counts[reviewer_id]["reviews"] = n
    in_repo = select(Issue.id).where(col(Issue.repo_id) == repo_id)
    comments = (
        select(Comment.author_id, func.count())
        .where(
            col(Comment.author_id).in_(wanted),
            col(Comment.kind) == "issue",
            col(Comment.issue_id).in_(in_repo),
        )
        .group_by(col(Comment.author_id))
    )
    for author_id, n in session.exec(comments):
        counts[author_id]["comments"] = n
    return {login: dict(counts.get(ids.get(login.lower()), _NONE)) for login in logins}


def history_follow_ups(session: Session, *, repo_id: int) -> int:
    """The history searches' follow-up fetches queued in a repo (REST; one request each)."""
    return _count(
        session,
        select(func.count())
        .select_from(SyncTask)
        .where(col(SyncTask.repo_id) == repo_id, col(SyncTask.kind).startswith("history-")),
    )


def _history(session: Session, config: Config, repo: str, login: str, follow_ups: int) -> str:
    from contribbot.app.history import history_line

    states = {
        key: row.value
        for prefix in (f"backfill:{repo}:{login}", f"history:{repo}:{login}")
        for key, row in save.states_with_prefix(session, prefix=prefix).items()
    }
    since = config.track.history_since
    return history_line(
        states,
        repo=repo,
        login=login,
        since=since,
        phases=lambda: _phase_count(config),
        follow_ups=follow_ups,
    )


def _phase_count(config: Config) -> int:
    """How many searches load a history: GraphQL's or REST's (imports the sync)."""
    if config.github.graphql is not False:
        from contribbot.sync.graphql import PHASES

        return len(PHASES)
    from contribbot.sync.backfill import SEARCH_PHASES

    return len(SEARCH_PHASES)


def _last_failed(session: Session, repo: str) -> dict[str, str | None] | None:
    """When and why the repo's sync last failed, if that was after its last complete sync."""
    failed = save.get_state(session, key=failed_key(repo))
    synced = parse_github_time(save.get_state(session, key=synced_key(repo)))
    failed_at = parse_github_time(failed)
    if failed_at is None or (synced is not None and synced >= failed_at):
        return None
    return {"at": failed, "why": save.get_state(session, key=failure_key(repo))}


def status(session: Session, *, config: Config) -> dict[str, Any]:
    """The `contrib status --format json` document."""
    repos = []
    for full_name in config.track.repos:
        rid = save.repo_id(session, full_name=full_name)
        follow_ups = history_follow_ups(session, repo_id=rid)
        counts = user_counts(session, repo_id=rid, logins=config.track.users)
        users = [
            {
                "login": login,
                "first_sync_done": save.get_state(session, key=f"backfill:{full_name}:{login}"),
                "history": _history(session, config, full_name, login, follow_ups),
                **counts[login],
            }
            for login in config.track.users
        ]
        repos.append(
            {
                "repo": full_name,
                "last_synced": save.get_state(session, key=synced_key(full_name)),
                "last_failed": _last_failed(session, full_name),
                "items_stored": _count(
                    session,
                    select(func.count()).select_from(Issue).where(col(Issue.repo_id) == rid),
                ),
                "pending_fetches": _count(
                    session,
                    select(func.count()).select_from(SyncTask).where(col(SyncTask.repo_id) == rid),
                ),
                "users": users,
            }
        )
    rates = {
        key.removeprefix("ratelimit:"): {
            **json.loads(row.value),
            "as_of": row.updated_at.isoformat(),
        }
        for key, row in save.states_with_prefix(session, prefix="ratelimit:").items()
    }
    workers = workers_status(session, config=config, now=datetime.now(UTC))
    # repo_id() may have added rows for never-synced repos: keep status read-only
    session.rollback()
    return {"repos": repos, "rate_limit": rates, "notes": unset_secrets(config), "workers": workers}


def workers_status(session: Session, *, config: Config, now: datetime) -> dict[str, Any]:
    """`contrib worker`s: each worker, the unit it holds and its lease; units by kind."""
    lease = config.workers.lease
    units = leases.units(session, limit=100_000)
    held = {u.leased_by: u for u in units if u.leased_by and u.lease_until and u.lease_until >= now}
    workers = []
    for row in leases.workers(session):
        unit = held.get(row.id)
        workers.append(
            {
                "id": row.id,
                "host": row.host,
                "pid": row.pid,
                "leader": row.leader and row.stopped_at is None,
                "state": _worker_state(row.seen_at, row.stopped_at, now, lease),
                "seen_at": utc_z(row.seen_at),
                "unit": unit.key if unit else None,
                "lease_until": utc_z(unit.lease_until) if unit and unit.lease_until else None,
                "units_done": row.units_done,
            }
        )
    kinds: dict[str, dict[str, int]] = {}
    for unit in units:
        counts = kinds.setdefault(unit.kind, {"units": 0, "due": 0, "held": 0, "failing": 0})
        counts["units"] += 1
        counts["held"] += unit.leased_by in held and held[unit.leased_by] is unit
        counts["due"] += unit.due_at <= now and unit.leased_by not in held
        counts["failing"] += unit.error is not None
    expired = [
        {"unit": u.key, "worker": u.leased_by, "lease_until": utc_z(u.lease_until)}
        for u in units
        if u.leased_by and u.lease_until and u.lease_until < now
    ]
    return {"workers": workers, "units": kinds, "expired_leases": expired}


def _worker_state(seen: datetime, stopped: datetime | None, now: datetime, lease: timedelta) -> str:
    if stopped is not None:
        return "stopped"
    return "alive" if now - seen <= lease else "gone"  # it beats three times a lease
