"""A PR's stored lifecycle: its raw timeline events, and the landings/reverts derived from them.

The raw events are kept so that the derived rows (`pr_lifecycle`) can be rebuilt when
`merged_labels` or `reverted_labels` change, without asking GitHub again. Derived rows
are stored rather than computed on each read so that the contribution rules stay one
SQL union that the database counts (a year of a cohort in one query).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy import delete as sql_delete
from sqlalchemy import insert as sql_insert
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from contribbot.activity.labels import labels_key
from contribbot.activity.lifecycle import Lifecycle, label_config_key, lifecycle
from contribbot.config import Config
from contribbot.github.parse import LifecycleEvent
from contribbot.store import save
from contribbot.store.models import Issue, LifecycleEventRecord, PRLifecycle, PullRequest
from contribbot.store.upsert import core, set_all

log = logging.getLogger("contribbot.activity")


def save_timeline_page(
    session: Session,
    *,
    pr_id: int,
    events: Sequence[LifecycleEvent],
    merged_labels: Iterable[str],
    reverted_labels: Iterable[str],
    now: datetime,
) -> Lifecycle:
    """Keep a page of a PR's timeline (lifecycle events, upserted by GitHub's id in one
    statement: a timeline only grows) and re-derive the PR's history from everything stored."""
    events = list({e.id: e for e in events}.values())  # an id twice: one row, the last
    rows = [
        {
            "id": e.id,
            "issue_id": pr_id,
            "event": e.event,
            "label": e.label,
            "actor": e.actor,
            "commit_id": e.commit_id,
            "created_at": e.at,
        }
        for e in events
    ]
    if rows:
        set_all(session, LifecycleEventRecord, rows, ["id"], list(_EVENT_FIELDS))
    result, merge = _derive(session, pr_id, merged_labels, reverted_labels)
    if not _set_pr(session, pr_id, {**merge, "timeline_at": now}):  # no PR row yet
        session.add(PullRequest(issue_id=pr_id, **merge, timeline_at=now))
    return result


_EVENTS = LifecycleEventRecord.__table__  # type: ignore[attr-defined]
_EVENT_FIELDS = ("issue_id", "event", "label", "actor", "commit_id", "created_at")
_EVENTS_OF = sql_select(_EVENTS).where(_EVENTS.c.issue_id == bindparam("pr_id"))  # Core
_DERIVED = PRLifecycle.__table__  # type: ignore[attr-defined]
_CLEAR = sql_delete(_DERIVED).where(_DERIVED.c.issue_id == bindparam("pr_id"))
_DERIVE = sql_insert(_DERIVED)
_PRS = PullRequest.__table__  # type: ignore[attr-defined]
_UPDATE_PR = sql_update(_PRS).where(_PRS.c.issue_id == bindparam("pr_id"))


def stored_events(session: Session, *, pr_id: int) -> list[LifecycleEvent]:
    """The lifecycle events stored for a PR (plain values: no ORM rows)."""
    rows = core(session).execute(_EVENTS_OF, {"pr_id": pr_id})
    return [
        LifecycleEvent(
            id=r.id,
            event=r.event,
            at=r.created_at,
            actor=r.actor,
            label=r.label,
            commit_id=r.commit_id,
        )
        for r in rows
    ]


def derive(
    session: Session, *, pr_id: int, merged_labels: Iterable[str], reverted_labels: Iterable[str]
) -> Lifecycle:
    """Rebuild a PR's `pr_lifecycle` rows and `merged_at` from its stored events."""
    result, merge = _derive(session, pr_id, merged_labels, reverted_labels)
    _set_pr(session, pr_id, merge)
    return result


def _set_pr(session: Session, pr_id: int, values: dict[str, Any]) -> bool:
    """Set fields of a PR's row with one Core UPDATE (the session's copy, if any, kept in
    step, as no flush of it would change them back); whether the row is there."""
    done = core(session).execute(_UPDATE_PR.values(values), {"pr_id": pr_id})
    copy = session.identity_map.get(inspect(PullRequest).identity_key_from_primary_key((pr_id,)))
    for name, value in values.items() if copy is not None else ():
        set_committed_value(copy, name, value)
    return bool(done.rowcount)


def _derive(
    session: Session, pr_id: int, merged_labels: Iterable[str], reverted_labels: Iterable[str]
) -> tuple[Lifecycle, dict[str, Any]]:
    """derive's rows replaced, and the merge it makes of them, to be set on the PR's row."""
    result = lifecycle(
        stored_events(session, pr_id=pr_id),
        merged_labels=merged_labels,
        reverted_labels=reverted_labels,
    )
    connection = core(session)
    connection.execute(_CLEAR, {"pr_id": pr_id})
    rows = [
        {"issue_id": pr_id, "kind": "pr_merged", "at": landing.at, "by_label": landing.by_label}
        for landing in result.landings
    ]
    rows += [
        {"issue_id": pr_id, "kind": "pr_reverted", "at": revert.at, "by_label": False}
        for revert in result.reverts
    ]
    if result.closed_unmerged_at is not None:
        at = result.closed_unmerged_at
        rows.append({"issue_id": pr_id, "kind": "pr_closed", "at": at, "by_label": False})
    if rows:
        connection.execute(_DERIVE, rows)
    by_label = result.state == "landed" and result.landings[-1].by_label
    return result, {"merged_at": result.merged_at, "merged_by_label": by_label}


def rederive_if_changed(session: Session, *, config: Config, now: datetime) -> int:
    """Re-derive the stored history of each repo whose label rules changed; how many PRs.

    No request is made: PRs with a stored timeline are re-derived from it, the others
    from their stored state and labels (closed with a merged label: merged at the close).
    """
    changed = 0
    for repo in config.track.repos:
        rules = config.repo(repo)
        key = label_config_key(rules.merged_labels, rules.reverted_labels)
        stored = save.get_state(session, key=labels_key(repo))
        if stored == key:
            continue
        if stored is not None:
            changed += _rederive_repo(session, repo, rules.merged_labels, rules.reverted_labels)
            log.info("%s: label rules changed; re-derived %d PRs", repo, changed)
        save.set_state(session, key=labels_key(repo), value=key, now=now)
    return changed


def _rederive_repo(
    session: Session, repo: str, merged_labels: list[str], reverted_labels: list[str]
) -> int:
    rid = save.repo_id(session, full_name=repo)
    rows = session.exec(
        select(Issue, PullRequest)
        .join(PullRequest, col(PullRequest.issue_id) == Issue.id)
        .where(col(Issue.repo_id) == rid)
    ).all()
    wanted = {label.lower() for label in merged_labels}  # as save.effective_merge reads them
    for issue, pr in rows:
        if pr.timeline_at is not None:
            derive(
                session,
                pr_id=issue.id,
                merged_labels=merged_labels,
                reverted_labels=reverted_labels,
            )
        elif pr.merged_at is None or pr.merged_by_label:  # not GitHub's own merge
            by_label = issue.state == "closed" and bool(wanted & {x.lower() for x in issue.labels})
            pr.merged_at = issue.closed_at if by_label else None
            pr.merged_by_label = by_label
            session.add(pr)
    return len(rows)
