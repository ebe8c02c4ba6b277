"""A user's history over GraphQL: the searches of backfill.py, without the follow-ups.

Each search page brings up to 100 issues/PRs with exactly the nested lists its phase
needs (authored PRs: reviews + lifecycle timeline; reviewed PRs: reviews; commented
items: comments), so a page costs about one point per nested list, and only a thread
longer than one page costs more (one query per further page). Pages resume from a
`created:>=` checkpoint saved with the page's data, which also steps past the search's
1,000-result cap; a partial page (errors next to data) is not kept but asked again;
a 502 halves `first`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contribbot.errors import ContribError
from contribbot.github.graphql import (
    COMMENT_COUNT,
    COMMENTS,
    PAGE,
    REVIEWS,
    TIMELINE,
    Item,
    SearchPage,
    Thread,
    parse_search,
    parse_thread,
    search_query,
    search_text,
    thread_query,
)
from contribbot.github.graphql_transport import TooHeavy
from contribbot.github.parse import CommentData, LifecycleEvent, ReviewData
from contribbot.store import save
from contribbot.store.models import Issue
from contribbot.sync.savers import tracked_id
from contribbot.timeutil import utc_z

if TYPE_CHECKING:
    from contribbot.sync.driver import Driver as Sync

log = logging.getLogger("contribbot.sync")

DONE = "done"
MAX_PARTIAL = 3  # partial pages in a row before this run gives up (the next run resumes)


@dataclass(frozen=True)
class Phase:
    """One search of a user's history and the nested lists it needs."""

    name: str
    kind: str  # "Issue" or "PullRequest": what the qualifier's is: returns
    qualifier: str  # `{user}` is replaced
    parts: tuple[str, ...]


_ISSUE, _PR = "Issue", "PullRequest"
PHASES = (
    Phase("gql-authored-issues", _ISSUE, "author:{user} is:issue", (COMMENT_COUNT,)),
    Phase("gql-authored-prs", _PR, "author:{user} is:pr", (COMMENT_COUNT, REVIEWS, TIMELINE)),
    Phase("gql-reviewed", _PR, "is:pr reviewed-by:{user} -author:{user}", (COMMENT_COUNT, REVIEWS)),
    Phase("gql-commented-issues", _ISSUE, "commenter:{user} is:issue", (COMMENTS,)),
    Phase("gql-commented-prs", _PR, "commenter:{user} is:pr", (COMMENTS,)),
)


@dataclass(frozen=True)
class PageRequest:
    """What to ask for next (pure: from the checkpoint and the page size)."""

    query: str
    variables: dict[str, Any]


def plan_request(
    phase: Phase,
    *,
    repo: str,
    user: str,
    checkpoint: str | None,
    floor: str | None,
    updated_since: str | None,
    first: int,
    after: str | None,
    before: str | None = None,
) -> PageRequest:
    """The query and variables of the next page of a phase."""
    qualifier = phase.qualifier.format(user=user) + (f" created:<{before}" if before else "")
    text = search_text(
        repo,
        qualifier,
        created_from=checkpoint or floor,
        updated_since=updated_since,
    )
    variables: dict[str, Any] = {"q": text, "first": first, "after": after}
    if set(phase.parts) & {COMMENTS, REVIEWS, TIMELINE}:
        variables.update(threadFirst=PAGE, threadAfter=None)
    return PageRequest(search_query(phase.kind, phase.parts), variables)


def next_checkpoint(page: SearchPage, checkpoint: str | None) -> str:
    """DONE after the last page, else the newest `created_at` seen (the next `created:>=`)."""
    if page.next_cursor is None:
        return DONE
    return utc_z(page.items[-1].issue.created_at) if page.items else (checkpoint or "")


def run_phases(
    sync: Sync,
    repo: str,
    user: str,
    *,
    key: str,
    updated_since: str | None,
    before: str | None = None,
) -> bool:
    """Every GraphQL phase of a (repo, user), each resumable from its checkpoint; True
    when all reached their end. `before`: the history older than `history_since`."""
    finished = [
        _phase(
            sync,
            repo,
            user,
            phase,
            key=f"{key}:{phase.name}",
            updated_since=updated_since,
            before=before,
        )
        for phase in PHASES
    ]
    return all(finished)


def _phase(
    sync: Sync,
    repo: str,
    user: str,
    phase: Phase,
    *,
    key: str,
    updated_since: str | None,
    before: str | None,
) -> bool:
    what = "reconciling" if updated_since else "first sync of"
    sync.progress.phase(f"{repo}: {what} @{user}: {phase.name} (GraphQL)")
    first, after, partial = sync.client.per_page, None, 0
    while True:
        sync.check_stop()
        with sync.session() as session:
            checkpoint = save.get_state(session, key=key)
            if checkpoint == DONE:
                return True
            budget = getattr(sync, "history_budget", None)
            if budget is not None:
                if budget <= 0:
                    return False  # this poll's share is spent: the next one goes on
                sync.history_budget = budget - 1  # type: ignore[attr-defined]
            request = plan_request(
                phase,
                repo=repo,
                user=user,
                checkpoint=checkpoint,
                floor=None if before else sync.config.track.history_since,
                updated_since=updated_since,
                before=before,
                first=first,
                after=after,
            )
            try:
                page = parse_search(_transport(sync).query(request.query, request.variables))
            except TooHeavy:
                if first == 1:
                    raise
                first = max(1, first // 2)
                log.warning("%s: GraphQL query too heavy; asking for %d a page", repo, first)
                continue
            if page.errors:
                partial += 1
                log.warning("%s: partial GraphQL page for @%s; asking again", repo, user)
                if partial >= MAX_PARTIAL:
                    return False  # nothing kept; the next run resumes from the checkpoint
                continue
            partial = 0
            items = [_complete(sync, item, phase) for item in page.items]
            kept = sum(_save_item(sync, session, repo, phase, item) for item in items)
            value = next_checkpoint(page, checkpoint)
            save.set_state(session, key=key, value=value, now=sync.now())
            left = max(page.total - len(page.items), 0) if value != DONE else 0
            save.set_state(session, key=f"{key}:left", value=str(left), now=sync.now())
        sync.saved(repo, kept)
        if value == DONE:
            return True
        # normally a fresh query from the new checkpoint; the cursor only if it did not move
        after = page.next_cursor if value == (checkpoint or "") else None


def _transport(sync: Sync) -> Any:
    if sync.graphql is None:
        raise ContribError("GraphQL is switched off")
    return sync.graphql


def _complete(sync: Sync, item: Item, phase: Phase) -> Item:
    """Fetch the rest of every thread longer than one page (one query a page)."""
    threads: dict[str, Thread | None] = {
        COMMENTS: item.comments,
        REVIEWS: item.reviews,
        TIMELINE: item.events,
    }
    for part, thread in threads.items():
        if thread is None or thread.after is None:
            continue
        gathered, complete = list(thread.items), thread.complete
        after: str | None = thread.after
        while after is not None:
            owner, name = item.issue.repo.split("/", 1)
            variables = {
                "owner": owner,
                "name": name,
                "number": item.issue.number,
                "threadFirst": PAGE,
                "threadAfter": after,
            }
            body = _transport(sync).query(thread_query(part), variables)
            more = parse_thread(body, part, item.issue.repo, item.issue.number)
            gathered.extend(more.items)
            after, complete = more.after, complete and more.complete
        threads[part] = Thread(tuple(gathered), None, complete)
    return Item(item.issue, threads[COMMENTS], threads[REVIEWS], threads[TIMELINE])


def _save_item(sync: Sync, session: Any, repo: str, phase: Phase, item: Item) -> int:
    """Save a hit and what REST's follow-up for its phase would have saved."""
    from contribbot.sync.backfill import own_item_follow_up

    issue = save.save_issue(session, data=item.issue, merged_labels=sync.merged_labels(repo))
    count = 1
    if item.reviews is not None and (
        phase.name != "gql-authored-prs" or own_item_follow_up(sync, issue) == "reviews"
    ):
        count += _save_reviews(session, issue, item.reviews.items)
    if item.comments is not None:
        count += _save_comments(sync, session, issue, item.comments.items)
    # a timeline with an event whose id could not be read stays with REST's follow-up
    if item.events is not None and item.events.after is None and item.events.complete:
        count += _save_events(sync, session, repo, issue, item.events.items)
    return count


def _save_reviews(session: Any, issue: Issue, reviews: tuple[ReviewData, ...]) -> int:
    for review in reviews:
        save.save_review(session, data=review, pr_id=issue.id)
    return len(reviews)


def _save_comments(
    sync: Sync, session: Any, issue: Issue, comments: tuple[CommentData, ...]
) -> int:
    kept = 0
    for comment in comments:
        if sync.tracked(comment.author) or tracked_id(sync, session, issue.author_id):
            save.save_comment(session, data=comment, issue_id=issue.id)
            kept += 1
    return kept


def _save_events(
    sync: Sync, session: Any, repo: str, issue: Issue, events: tuple[LifecycleEvent, ...]
) -> int:
    """An own PR's whole lifecycle timeline, kept when save_issue owes one (as the REST
    `timeline` follow-up would), and that owed follow-up dropped: it came with the page."""
    from sqlmodel import col, select

    from contribbot.activity.history import save_timeline_page
    from contribbot.store.models import SyncTask

    owed = select(SyncTask).where(
        col(SyncTask.kind) == "timeline",
        col(SyncTask.repo_id) == issue.repo_id,
        col(SyncTask.number) == issue.number,
    )
    tasks = session.exec(owed).all()
    if not tasks:
        return 0  # save_issue owes no timeline for it (REST would not fetch one either)
    rules = sync.config.repo(repo)
    save_timeline_page(
        session,
        pr_id=issue.id,
        events=list(events),
        merged_labels=rules.merged_labels,
        reverted_labels=rules.reverted_labels,
        now=sync.now(),
    )
    for task in tasks:
        session.delete(task)
    return len(events)
