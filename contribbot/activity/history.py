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

from sqlmodel import Session, col, delete, select

from contribbot.activity.labels import labels_key
from contribbot.activity.lifecycle import Lifecycle, label_config_key, lifecycle
from contribbot.config import Config
from contribbot.github.parse import LifecycleEvent
from contribbot.store import held, save
from contribbot.store.models import Issue, LifecycleEventRecord, PRLifecycle, PullRequest
from contribbot.store.upsert import stored_row

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
    """Keep a page of a PR's timeline (lifecycle events, upserted by GitHub's id: a timeline
    only grows) and re-derive the PR's history from everything stored."""
    events = list({e.id: e for e in events}.values())  # an id twice: one row, the last
    held.read(session, LifecycleEventRecord, [e.id for e in events], locked=False)  # at once
    for event in events:
        row = stored_row(
            session, LifecycleEventRecord, event.id, locked=False
        ) or LifecycleEventRecord(
            id=event.id, issue_id=pr_id, event=event.event, created_at=event.at
        )
        row.issue_id, row.event, row.created_at = pr_id, event.event, event.at
        row.label, row.actor, row.commit_id = event.label, event.actor, event.commit_id
        session.add(row)
    held.forget(session, LifecycleEventRecord)  # rows added since they were read
    pr = session.get(PullRequest, pr_id) or PullRequest(issue_id=pr_id)
    pr.timeline_at = now
    session.add(pr)
    session.flush()
    return derive(
        session, pr_id=pr_id, merged_labels=merged_labels, reverted_labels=reverted_labels
    )


def stored_events(session: Session, *, pr_id: int) -> list[LifecycleEvent]:
    """The lifecycle events stored for a PR."""
    rows = session.exec(
        select(LifecycleEventRecord).where(col(LifecycleEventRecord.issue_id) == pr_id)
    )
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
    result = lifecycle(
        stored_events(session, pr_id=pr_id),
        merged_labels=merged_labels,
        reverted_labels=reverted_labels,
    )
    session.exec(delete(PRLifecycle).where(col(PRLifecycle.issue_id) == pr_id))
    for landing in result.landings:
        session.add(
            PRLifecycle(issue_id=pr_id, kind="pr_merged", at=landing.at, by_label=landing.by_label)
        )
    for revert in result.reverts:
        session.add(PRLifecycle(issue_id=pr_id, kind="pr_reverted", at=revert.at))
    if result.closed_unmerged_at is not None:
        session.add(PRLifecycle(issue_id=pr_id, kind="pr_closed", at=result.closed_unmerged_at))
    pr = session.get(PullRequest, pr_id)
    if pr is not None:
        pr.merged_at = result.merged_at
        pr.merged_by_label = result.state == "landed" and result.landings[-1].by_label
        session.add(pr)
    return result


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
