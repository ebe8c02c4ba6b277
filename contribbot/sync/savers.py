"""What each walk saves from a page, in the page's transaction (the database side).

The planner decides which items of a page matter; these decide, item by item and
against what is stored, what to keep and which follow-up fetch is owed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlmodel import Session

from contribbot.activity.history import save_timeline_page
from contribbot.github.errors import NotFound, RepoMoved
from contribbot.github.parse import (
    CommentData,
    IssueData,
    item_repo,
    parse_event,
    parse_issue,
    parse_issue_comment,
    parse_lifecycle_event,
    parse_review,
    parse_review_comment,
)
from contribbot.store import save, tasks
from contribbot.store.models import Issue
from contribbot.store.page import read_page
from contribbot.store.tasks import OwedTask
from contribbot.sync.driver import Driver, PageSaver
from contribbot.sync.plan import (
    SAVE,
    SAVE_WITH_PARENT,
    Item,
    comment_action,
    event_prune_before,
)

log = logging.getLogger("contribbot.sync")

REVIEW_EVENTS = frozenset({"PullRequestReviewEvent", "PullRequestReviewCommentEvent"})


def ensure_issue(d: Driver, session: Session, repo: str, number: int) -> Issue:
    """The stored issue or PR; one not stored yet is saved from what `prefetch_issues`
    fetched before the transaction (fetched here, one request, only if it was not)."""
    fetched = d.parents.pop((repo, number), None)
    issue = save.find_issue(session, repo=repo, number=number)
    if issue is not None:
        return issue
    data = fetch_issue(d, repo, number) if fetched is None else fetched
    if isinstance(data, NotFound):
        raise data
    return save.save_issue(session, data=data, merged_labels=d.merged_labels(repo))


def prefetch_issues(d: Driver, repo: str, numbers: Collection[int]) -> None:
    """Fetch the issues among `numbers` not stored yet, with no transaction open (a wait
    on GitHub holds no lock), for `ensure_issue` to save in the page's transaction."""
    if not numbers:
        return
    with d.session() as session:
        stored = {n for n in numbers if save.find_issue(session, repo=repo, number=n)}
    for number in sorted(set(numbers) - stored):
        d.parents[(repo, number)] = fetch_issue(d, repo, number)


def fetch_issue(d: Driver, repo: str, number: int) -> IssueData | NotFound:
    """One issue or PR from GitHub (one request); NotFound when it is gone."""
    try:
        response = d.client.get(d.client.full_url(f"/repos/{repo}/issues/{number}"))
    except NotFound as gone:
        return gone
    return parse_issue(response.data)


def tracked_id(d: Driver, session: Session, account_id: int | None) -> bool:
    """Is the account with this row id a tracked user?"""
    if account_id is None:
        return False
    cache = _tracked_ids(session)
    if account_id not in cache:
        cache[account_id] = d.tracked(save.account_login(session, account_id=account_id))
    return cache[account_id]


def _tracked_ids(session: Session) -> dict[int, bool]:
    """tracked_id's answers in this transaction."""
    cache: dict[int, bool] = session.info.setdefault("contribbot.tracked_ids", {})
    return cache


def refuse_moved(repo: str, items: tuple[Item, ...]) -> None:
    """Raise RepoMoved when listed items name another repo than `repo`: it was renamed or
    transferred, and GitHub redirected the request (PyGithub drops the redirected query:
    `since`, `state`), or a search answered for the repo's new name."""
    for obj in items:
        named = item_repo(obj)
        if named is not None and named.lower() != repo.lower():
            raise RepoMoved(repo, named)


# -- the repo-wide streams ------------------------------------------------------------------

_Handler = Callable[[Driver, Session, str, Item], int]


@dataclass
class StreamSaver(PageSaver):
    """Hands each streamed item to its handler."""

    d: Driver
    repo: str
    handler: _Handler

    def prepare(self, items: tuple[Item, ...]) -> tuple[Item, ...]:
        """A tracked user's comment on an issue not stored yet needs that issue: fetched
        here, before the page's transaction."""
        parse = _COMMENT_PARSERS.get(self.handler)
        if parse is not None and items:
            refuse_moved(self.repo, items)  # not another repo's issues
            wanted = {c.number for c in map(parse, items) if self.d.tracked(c.author)}
            prefetch_issues(self.d, self.repo, wanted)
        return items

    def vet(self, items: tuple[Item, ...]) -> None:
        """Items naming another repo: nothing of the page is used (refuse_moved)."""
        refuse_moved(self.repo, items)

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        """Each item through the stream's handler (what they are saved against read first)."""
        if self.handler is on_issue:
            read_page(session, issues=[parse_issue(obj) for obj in items])
        elif self.handler is on_issue_comment:
            read_page(session, comments=[parse_issue_comment(obj) for obj in items])
        elif self.handler is on_review_comment:
            read_page(session, comments=[parse_review_comment(obj) for obj in items])
        return sum(self.handler(self.d, session, self.repo, obj) for obj in items)


def on_issue(d: Driver, session: Session, repo: str, obj: Item) -> int:
    """An issue or PR of the stream: kept when a tracked user's or already stored."""
    data = parse_issue(obj)
    existing = save.find_issue(session, repo=repo, number=data.number)
    if existing is None and not d.tracked(data.author):
        return 0
    if existing is not None and existing.updated_at == data.updated_at:
        return 0
    issue = save.save_issue(session, data=data, merged_labels=d.merged_labels(repo))
    if data.is_pr:  # owed for an older payload too: what changed then may not be stored
        save.enqueue(session, kind="reviews", repo=repo, number=data.number, now=d.now())
    return 0 if save.is_stale(issue, data) else 1


def on_issue_comment(d: Driver, session: Session, repo: str, obj: Item) -> int:
    """A conversation comment of the stream."""
    return _on_comment(d, session, repo, parse_issue_comment(obj))


def on_review_comment(d: Driver, session: Session, repo: str, obj: Item) -> int:
    """An inline review comment: saved, and its review owed (its state is not in hand)."""
    data = parse_review_comment(obj)
    if save.comment_unchanged(session, data=data):
        return 0
    kept = _on_comment(d, session, repo, data)
    if kept or d.tracked(data.author):
        save.enqueue(session, kind="reviews", repo=repo, number=data.number, now=d.now())
    return kept


def _on_comment(d: Driver, session: Session, repo: str, data: CommentData) -> int:
    if save.comment_unchanged(session, data=data):
        return 0
    parent = save.find_issue(session, repo=repo, number=data.number)
    action = comment_action(
        by_tracked=d.tracked(data.author),
        parent_known=parent is not None,
        parent_by_tracked=parent is not None and tracked_id(d, session, parent.author_id),
    )
    if action == SAVE_WITH_PARENT:
        try:
            parent = ensure_issue(d, session, repo, data.number)
        except NotFound:
            log.info("%s#%d: gone; its comment is skipped", repo, data.number)
            return 0
    elif action != SAVE:
        return 0
    assert parent is not None
    save.save_comment(session, data=data, issue_id=parent.id)
    return 1


_COMMENT_PARSERS: dict[_Handler, Callable[[Item], CommentData]] = {
    on_issue_comment: parse_issue_comment,
    on_review_comment: parse_review_comment,
}


# -- a user's public events ---------------------------------------------------------------


@dataclass
class EventSaver(PageSaver):
    """Remembers each handled event id; a review in a tracked repo owes that PR's reviews."""

    d: Driver
    user: str
    repos: dict[str, str]  # lower-case name -> configured name
    legacy_floor: int = 0  # ids up to this were handled before ids were kept one by one

    def known(self, session: Session, items: tuple[Item, ...]) -> frozenset[int]:
        """The page's ids handled already."""
        ids = [int(obj["id"]) for obj in items]
        old = frozenset(i for i in ids if i <= self.legacy_floor)
        return old | save.seen_events(session, login=self.user, ids=ids)

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        """Owe the reviews of each reviewed PR; remember the ids."""
        events = [parse_event(obj) for obj in items]
        for event in events:
            repo = self.repos.get(event.repo.lower())
            if repo and event.type in REVIEW_EVENTS and event.number is not None:
                now = self.d.now()
                save.enqueue(session, kind="reviews", repo=repo, number=event.number, now=now)
        seen = [(event.id, event.created_at) for event in events]
        save.mark_events_seen(session, login=self.user, events=seen)
        return 0

    def finish(self, session: Session) -> None:
        """Forget ids the feed can no longer show."""
        before = event_prune_before(self.d.now())
        save.prune_seen_events(session, login=self.user, before=before)
        save.delete_states(session, prefix=f"events:{self.user}:last_id")


# -- follow-up lists of one item ----------------------------------------------------------


# (the driver, the page's transaction, the repository's stored name, the parent, the page)
_ListSave = Callable[[Driver, Session, str, Issue, tuple[Item, ...]], int]


def keep_comment(d: Driver, session: Session, parent: Issue, data: CommentData) -> bool:
    """A comment is kept when a tracked user wrote it or it is on a tracked user's item."""
    return d.tracked(data.author) or tracked_id(d, session, parent.author_id)


def _save_reviews(
    d: Driver, session: Session, repo: str, parent: Issue, items: tuple[Item, ...]
) -> int:
    reviews = [parse_review(obj) for obj in items]
    read_page(session, reviews=reviews)
    for data in reviews:
        save.save_review(session, data=data, pr_id=parent.id)
    return len(items)


def _comment_saver(parser: Callable[[Item], CommentData]) -> _ListSave:
    def save_comments(
        d: Driver, session: Session, repo: str, parent: Issue, items: tuple[Item, ...]
    ) -> int:
        kept = [data for data in map(parser, items) if keep_comment(d, session, parent, data)]
        read_page(session, comments=kept, parents=False)  # saved under `parent`, in hand
        for data in kept:
            save.save_comment(session, data=data, issue_id=parent.id)
        return len(kept)

    return save_comments


def _save_timeline(
    d: Driver, session: Session, repo: str, parent: Issue, items: tuple[Item, ...]
) -> int:
    """A page of a PR's timeline: its lifecycle events, and the landings/reverts they make."""
    events = [e for e in map(parse_lifecycle_event, items) if e is not None]
    rules = d.config.repo(repo)
    save_timeline_page(
        session,
        pr_id=parent.id,
        events=events,
        merged_labels=rules.merged_labels,
        reverted_labels=rules.reverted_labels,
        now=d.now(),
    )
    return len(events)


@dataclass(frozen=True)
class TaskKind:
    """A follow-up fetch: the list to walk, how to save it, and whether only PRs have it."""

    path: str  # {repo} and {number} are filled in
    save: _ListSave
    prs_only: bool = False
    tracked_author_only: bool = False  # owed by save_issue for any PR; read for ours only

    def wanted(self, d: Driver, session: Session, parent: Issue) -> bool:
        """Whether this fetch is still worth a request for `parent`."""
        if self.prs_only and not parent.is_pr:
            return False
        return not self.tracked_author_only or tracked_id(d, session, parent.author_id)


TASKS: dict[str, TaskKind] = {
    "reviews": TaskKind("/repos/{repo}/pulls/{number}/reviews", _save_reviews, prs_only=True),
    "comments": TaskKind(
        "/repos/{repo}/issues/{number}/comments", _comment_saver(parse_issue_comment)
    ),
    "review_comments": TaskKind(
        "/repos/{repo}/pulls/{number}/comments", _comment_saver(parse_review_comment)
    ),
    # owed by a first sync's searches (sync/backfill.py), drained within the history budget
    "history-reviews": TaskKind("/repos/{repo}/pulls/{number}/reviews", _save_reviews, True),
    "history-comments": TaskKind(
        "/repos/{repo}/issues/{number}/comments", _comment_saver(parse_issue_comment)
    ),
    # landings and reverts (activity/lifecycle.py); owed when a PR's state or labels change
    "timeline": TaskKind(
        "/repos/{repo}/issues/{number}/timeline",
        _save_timeline,
        prs_only=True,
        tracked_author_only=True,
    ),
}
TASKS["history-timeline"] = TASKS["timeline"]


@dataclass
class TaskSaver(PageSaver):
    """Saves one follow-up list page by page; the task is done when the list is."""

    d: Driver
    kind: TaskKind
    parent: Issue  # as read when the walk began (its id, repo and author: not read again)
    task: OwedTask  # as picked: its id, when it was owed then, its repository's name
    by_tracked: bool | None = None  # whether a tracked user wrote `parent`, if known then
    then: Callable[[Session], object] | None = None  # also done in the finishing transaction
    after: object = None  # what `then` answered

    def save(self, session: Session, items: tuple[Item, ...]) -> int:
        """The page's items under their parent."""
        if self.by_tracked is not None and self.parent.author_id is not None:
            _tracked_ids(session)[self.parent.author_id] = self.by_tracked
        return self.kind.save(self.d, session, self.task.repo, self.parent, items)

    def finish(self, session: Session) -> None:
        """Nothing more is owed (unless it was owed again during the walk); then `then`."""
        tasks.delete_task(session, task_id=self.task.id, owed_at=self.task.created_at)
        if self.then is not None:
            self.after = self.then(session)
