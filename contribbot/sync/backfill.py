"""The search half of the sync: a user's history on first sync, and reconciliation.

Searches list the user's own items 100 a page, so a first sync costs the user's item
count / 100 requests, not the repository's; each phase keeps a `created:>=` checkpoint
in the database with the page it came from, so a killed sync resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from contribbot.github.parse import parse_issue
from contribbot.store import save
from contribbot.store.models import Issue
from contribbot.timeutil import utc_z

if TYPE_CHECKING:
    from contribbot.sync.run import Sync

log = logging.getLogger("contribbot.sync")

REVIEW_HISTORY_DAYS = 120  # own closed PRs older than this: reviews are not fetched
STREAM_MARGIN = timedelta(minutes=2)  # overlap with the streams (clocks, search-index lag)
DONE = "done"


@dataclass(frozen=True)
class _SearchPhase:
    name: str
    qualifier: str  # `{user}` is replaced
    follow_up: Callable[[Sync, Issue], str | None]  # the task kind owed per item, if any


def _own_item_follow_up(sync: Sync, issue: Issue) -> str | None:
    if not issue.is_pr:
        return None
    recent = issue.created_at >= sync.now() - timedelta(days=REVIEW_HISTORY_DAYS)
    return "reviews" if issue.state == "open" or recent else None


SEARCH_PHASES = (
    _SearchPhase("authored", "author:{user}", _own_item_follow_up),
    _SearchPhase("reviewed", "is:pr reviewed-by:{user} -author:{user}", lambda s, i: "reviews"),
    _SearchPhase("commented", "commenter:{user}", lambda s, i: "comments"),
)


def backfill(sync: Sync, repo: str, user: str) -> None:
    """A user's history in a repo by search, resumable phase by phase (first sync)."""
    done_key = f"backfill:{repo}:{user}"
    with sync.session() as session:
        if save.get_state(session, key=done_key) is not None:
            return
    for phase in SEARCH_PHASES:
        _search_phase(sync, repo, user, phase, key=f"{done_key}:{phase.name}")
    with sync.session() as session:
        save.set_state(session, key=done_key, value=utc_z(sync.now()), now=sync.now())


def reconcile(sync: Sync, repo: str, user: str) -> None:
    """Search again for what changed since the last reconciliation (events and streams can
    miss things: an approval older than the 300-event window, a search-index lag)."""
    done_key, since_key = f"reconciled:{repo}:{user}", f"reconcile:{repo}:{user}:since"
    started_key = f"reconcile:{repo}:{user}:started"
    with sync.session() as session:
        since = save.get_state(session, key=since_key)
        started = save.get_state(session, key=started_key)
        if since is None or started is None:  # a new reconciliation, not a resumed one
            last = save.get_state(session, key=done_key)
            since = last or save.get_state(session, key=f"backfill:{repo}:{user}") or ""
            started = utc_z(sync.now() - STREAM_MARGIN)
            save.set_state(session, key=since_key, value=since, now=sync.now())
            save.set_state(session, key=started_key, value=started, now=sync.now())
    for phase in SEARCH_PHASES:
        key = f"reconcile:{repo}:{user}:{phase.name}"
        _search_phase(sync, repo, user, phase, key=key, updated_since=since or None)
    with sync.session() as session:
        save.set_state(session, key=done_key, value=started, now=sync.now())
        save.delete_states(session, prefix=f"reconcile:{repo}:{user}:")


def _search_phase(
    sync: Sync,
    repo: str,
    user: str,
    phase: _SearchPhase,
    *,
    key: str,
    updated_since: str | None = None,
) -> None:
    what = "reconciling" if updated_since else "first sync of"
    sync.progress.phase(f"{repo}: {what} @{user}: {phase.name}")
    url: str | None = None
    while True:
        sync.check_stop()
        with sync.session() as session:
            checkpoint = save.get_state(session, key=key)
            if checkpoint == DONE:
                return
            if url is None:
                qualifier = phase.qualifier.format(user=user)
                url = _search_url(sync, repo, qualifier, checkpoint, updated_since)
            response = sync.fetch.get(session, url, resource="search")
            items = [] if response.not_modified else response.data["items"]
            for obj in items:
                issue = save.save_issue(
                    session, data=parse_issue(obj), merged_labels=sync.merged_labels(repo)
                )
                kind = phase.follow_up(sync, issue)
                if kind:
                    save.enqueue(session, kind=kind, repo=repo, number=issue.number, now=sync.now())
            last = items[-1]["created_at"] if items else checkpoint
            finished = len(items) < sync.client.per_page
            if finished and not response.not_modified and response.data["incomplete_results"]:
                # GitHub's search timed out: a short page proves nothing; next run retries
                log.warning("%s: search for @%s came back incomplete; will retry", repo, user)
                return
            save.set_state(session, key=key, value=DONE if finished else str(last), now=sync.now())
            # no ETag kept: a search URL (with its checkpoint) is never asked twice
        sync.saved(repo, len(items))
        if finished:
            return
        # Normally the next page is a fresh query from the new checkpoint (which also
        # steps past the search's 1,000-result cap); follow Link only if it did not move.
        url = response.links.get("next") if last == checkpoint else None
        if last == checkpoint and url is None:
            return


def _search_url(
    sync: Sync, repo: str, qualifier: str, created_from: str | None, updated_since: str | None
) -> str:
    query = f"repo:{repo} {qualifier}"
    floor = created_from or sync.config.track.history_since
    if floor:
        query += f" created:>={floor}"
    if updated_since:
        query += f" updated:>={updated_since}"
    params = {"q": query, "sort": "created", "order": "asc", "per_page": sync.client.per_page}
    return sync.client.full_url("/search/issues", params)
