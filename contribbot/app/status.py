"""`contrib status`: what is stored, when it was synced, and the rate limit left."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from contribbot.activity import account_ids
from contribbot.config import Config
from contribbot.secrets import unset_secrets
from contribbot.store.keys import failed_key, failure_key, synced_key
from contribbot.store.reader import Reader, as_reader, state
from contribbot.timeutil import parse_github_time, utc_z

if TYPE_CHECKING:
    from sqlmodel import Session

_NONE = {"prs": 0, "issues": 0, "reviews": 0, "comments": 0}


def user_counts(
    db: Reader | Session, *, repo_id: int | None, logins: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Stored PRs, issues, reviews given and comments of each login in one repo.

    Four grouped queries per repo, whatever the number of users (a cohort's status)."""
    reader = as_reader(db)
    ids = {login.lower(): account_id for account_id, login in account_ids(reader, logins).items()}
    counts: dict[int | None, dict[str, int]] = {
        account_id: dict(_NONE) for account_id in ids.values()
    }
    params = {"repo": repo_id, "ids": list(counts)}
    items = (
        "SELECT issue.author_id, issue.is_pr, count(*) FROM issue"
        " WHERE issue.repo_id = :repo AND issue.author_id IN (:ids)"
        " GROUP BY issue.author_id, issue.is_pr"
    )
    for author_id, is_pr, n in reader.rows(items, params):
        counts[author_id]["prs" if is_pr else "issues"] = n
    reviews = (
        "SELECT review.reviewer_id, count(*) FROM review JOIN issue ON issue.id = review.pr_id"
        " WHERE review.reviewer_id IN (:ids) AND issue.repo_id = :repo"
        " AND issue.author_id != review.reviewer_id"  # as in `activity`: others' PRs
        " GROUP BY review.reviewer_id"
    )
    for reviewer_id, n in reader.rows(reviews, params):
        counts[reviewer_id]["reviews"] = n
    comments = (
        "SELECT comment.author_id, count(*) FROM comment"
        " WHERE comment.author_id IN (:ids) AND comment.kind = 'issue'"
        " AND comment.issue_id IN (SELECT issue.id FROM issue WHERE issue.repo_id = :repo)"
        " GROUP BY comment.author_id"
    )
    for author_id, n in reader.rows(comments, params):
        counts[author_id]["comments"] = n
    return {login: dict(counts.get(ids.get(login.lower()), _NONE)) for login in logins}


def history_follow_ups(db: Reader | Session, *, repo_id: int | None) -> int:
    """The history searches' follow-up fetches queued in a repo (REST; one request each)."""
    query = (
        "SELECT count(*) FROM sync_task WHERE sync_task.repo_id = :repo"
        " AND sync_task.kind LIKE :prefix || '%'"
    )
    return int(as_reader(db).scalar(query, {"repo": repo_id, "prefix": "history-"}))


def _states(reader: Reader, prefix: str) -> dict[str, tuple[str, Any]]:
    """Every sync fact whose key starts with `prefix`: key -> (value, updated_at as stored)."""
    query = "SELECT key, value, updated_at FROM sync_state WHERE key LIKE :prefix || '%'"
    return {key: (value, at) for key, value, at in reader.rows(query, {"prefix": prefix})}


def _history(reader: Reader, config: Config, repo: str, login: str, follow_ups: int) -> str:
    from contribbot.app.history import history_line

    states = {
        key: value
        for prefix in (f"backfill:{repo}:{login}", f"history:{repo}:{login}")
        for key, (value, _) in _states(reader, prefix).items()
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


def _last_failed(reader: Reader, repo: str) -> dict[str, str | None] | None:
    """When and why the repo's sync last failed, if that was after its last complete sync."""
    failed = state(reader, failed_key(repo))
    synced = parse_github_time(state(reader, synced_key(repo)))
    failed_at = parse_github_time(failed)
    if failed_at is None or (synced is not None and synced >= failed_at):
        return None
    return {"at": failed, "why": state(reader, failure_key(repo))}


def status(db: Reader | Session, *, config: Config) -> dict[str, Any]:
    """The `contrib status --format json` document (it only reads)."""
    reader = as_reader(db)
    repos = []
    for full_name in config.track.repos:
        rid = _repo_id(reader, full_name)  # None for a repo never synced: nothing stored
        follow_ups = history_follow_ups(reader, repo_id=rid)
        counts = user_counts(reader, repo_id=rid, logins=config.track.users)
        users = [
            {
                "login": login,
                "first_sync_done": state(reader, f"backfill:{full_name}:{login}"),
                "history": _history(reader, config, full_name, login, follow_ups),
                **counts[login],
            }
            for login in config.track.users
        ]
        in_repo = {"repo": rid}
        repos.append(
            {
                "repo": full_name,
                "last_synced": state(reader, synced_key(full_name)),
                "last_failed": _last_failed(reader, full_name),
                "items_stored": _count(reader, "issue", in_repo),
                "pending_fetches": _count(reader, "sync_task", in_repo),
                "users": users,
            }
        )
    rates = {
        key.removeprefix("ratelimit:"): {
            **json.loads(value),
            "as_of": reader.at(updated_at).isoformat(),
        }
        for key, (value, updated_at) in _states(reader, "ratelimit:").items()
    }
    workers = workers_status(reader, config=config, now=datetime.now(UTC))
    return {"repos": repos, "rate_limit": rates, "notes": unset_secrets(config), "workers": workers}


def _repo_id(reader: Reader, full_name: str) -> int | None:
    """The row id of a repository (GitHub names are case-insensitive)."""
    query = "SELECT id FROM repository WHERE lower(full_name) = :name"
    return reader.scalar(query, {"name": full_name.lower()})  # type: ignore[no-any-return]


def _count(reader: Reader, table: str, params: dict[str, Any]) -> int:
    query = f"SELECT count(*) FROM {table} WHERE {table}.repo_id = :repo"
    return int(reader.scalar(query, params))


class _Unit(NamedTuple):
    key: str
    kind: str
    due_at: datetime
    leased_by: str | None
    lease_until: datetime | None
    error: str | None


class _Worker(NamedTuple):
    id: str
    host: str
    pid: int
    seen_at: datetime
    leader: bool
    units_done: int
    stopped_at: datetime | None


def _units(reader: Reader, *, limit: int) -> list[_Unit]:
    """Work units, held ones first, then by when they are due."""
    rows = reader.rows(
        "SELECT key, kind, due_at, leased_by, lease_until, error FROM work_unit"
        " ORDER BY leased_by IS NULL, due_at LIMIT :limit",
        {"limit": limit},
    )
    at, time = reader.at, reader.time
    return [_Unit(k, kind, at(due), by, time(until), e) for k, kind, due, by, until, e in rows]


def _workers(reader: Reader) -> list[_Worker]:
    """Every known worker, newest first."""
    rows = reader.rows(
        "SELECT id, host, pid, seen_at, leader, units_done, stopped_at FROM worker"
        " ORDER BY started_at DESC"
    )
    at, time = reader.at, reader.time
    return [
        _Worker(wid, host, pid, at(seen), bool(leader), done, time(stopped))
        for wid, host, pid, seen, leader, done, stopped in rows
    ]


def workers_status(db: Reader | Session, *, config: Config, now: datetime) -> dict[str, Any]:
    """`contrib worker`s: each worker, the unit it holds and its lease; units by kind."""
    reader = as_reader(db)
    lease = config.workers.lease
    units = _units(reader, limit=100_000)
    held = {u.leased_by: u for u in units if u.leased_by and u.lease_until and u.lease_until >= now}
    workers = []
    for row in _workers(reader):
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
