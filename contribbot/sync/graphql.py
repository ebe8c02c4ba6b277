"""A user's history over GraphQL: the searches of backfill.py, without the follow-ups.

Each search page brings its hits with exactly the nested lists its phase needs (own
PRs: reviews + lifecycle timeline; reviewed PRs: the user's own reviews; commented
items: comments), as many hits a page as still cost one point, and only a thread longer
than one page costs more (one query per further page). The pages go through the one
paging loop (`Driver.walk`) with the REST searches' planner (`plan.SearchWalk`): a
`created:>=` checkpoint saved with the page's data, which also steps past the search's
1,000-result cap; a partial page (errors next to data) keeps nothing and is asked again;
a 502 halves `first`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from contribbot.activity.history import save_timeline_page
from contribbot.errors import ContribError
from contribbot.github.graphql import (
    COMMENTS,
    PAGE,
    REVIEWS,
    TIMELINE,
    page_size,
    search_query,
    thread_query,
)
from contribbot.github.graphql_parse import Item, Thread, parse_item, parse_search, parse_thread
from contribbot.github.graphql_transport import GraphQLTransport, TooHeavy
from contribbot.store import save, tasks
from contribbot.store.models import Issue
from contribbot.store.page import read_page
from contribbot.sync.driver import PageSaver
from contribbot.sync.plan import Page, Request, SearchWalk
from contribbot.sync.savers import keep_comment

if TYPE_CHECKING:
    from contribbot.sync.driver import Driver

log = logging.getLogger("contribbot.sync")

PATH = "/graphql"
_HIT = "contribbot.hit"  # a prepared node: the hit parsed, its threads completed


@dataclass(frozen=True)
class Phase:
    """One search of a user's history and the nested lists it needs."""

    name: str
    kind: str  # "Issue" or "PullRequest": what the qualifier's is: returns
    qualifier: str  # `{user}` is replaced
    parts: tuple[str, ...]
    commented: bool = False  # every hit has a comment by the user (`commenter:`)
    own: bool = False  # the user's own items (their reviews: as REST's follow-up decides)

    @property
    def per_page(self) -> int:
        """Hits a page: as many as still cost one point."""
        return page_size(self.parts, pr=self.kind == _PR)


_ISSUE, _PR = "Issue", "PullRequest"
# An item is fetched once even when the user wrote it, reviewed it and commented on it:
# the `commenter:` searches leave out what the others return, and those carry the
# comments instead of only their count (the same one connection), kept when the user
# is among the commenters, as REST keeps the threads its `commenter:` search finds.
PHASES = (
    Phase("gql-authored-issues", _ISSUE, "author:{user} is:issue", (COMMENTS,), own=True),
    Phase("gql-authored-prs", _PR, "author:{user} is:pr", (COMMENTS, REVIEWS, TIMELINE), own=True),
    Phase("gql-reviewed", _PR, "is:pr reviewed-by:{user} -author:{user}", (COMMENTS, REVIEWS)),
    Phase(
        "gql-commented-issues",
        _ISSUE,
        "commenter:{user} is:issue -author:{user}",
        (COMMENTS,),
        commented=True,
    ),
    Phase(
        "gql-commented-prs",
        _PR,
        "commenter:{user} is:pr -author:{user} -reviewed-by:{user}",
        (COMMENTS,),
        commented=True,
    ),
)


@dataclass(frozen=True)
class GraphQLSearchWalk(SearchWalk):
    """SearchWalk's plan (checkpoint, retries, the same-second cursor) over GraphQL."""

    document: str = ""
    created_key = "createdAt"

    def _request(self, created_from: str | None) -> Request:
        variables: dict[str, Any] = {
            "q": f"{self.text(created_from)} sort:created-asc",
            "first": self.per_page,
            "after": None,
        }
        if "$threadFirst" in self.document:
            variables.update(threadFirst=PAGE, threadAfter=None)
        return Request(PATH, variables, "graphql", conditional=False, query=self.document)

    def _following(self, request: Request, page: Page) -> Request | None:
        if page.next_url is None:
            return None
        return replace(request, params={**(request.params or {}), "after": page.next_url})


def phase_walk(
    phase: Phase,
    *,
    query: str,
    floor: str | None,
    updated_since: str | None,
    label: str,
    most: int = PAGE,
) -> GraphQLSearchWalk:
    """The walk of one GraphQL phase (`query`: `repo:... qualifier`, as for REST), at most
    `most` hits a page."""
    return GraphQLSearchWalk(
        query=query,
        floor=floor,
        updated_since=updated_since,
        per_page=min(most, phase.per_page),
        label=label,
        document=search_query(phase.kind, phase.parts),
    )


def graphql_page(d: Driver, request: Request) -> Page:
    """Send a GraphQL search; a 502 halves `first` until it fits. A partial answer
    (errors next to data) comes back incomplete and empty: nothing of it is kept."""
    variables = dict(request.params or {})
    while True:
        try:
            body = _transport(d).query(request.query or "", variables)
            break
        except TooHeavy:
            if variables["first"] == 1:
                raise
            variables["first"] = max(1, variables["first"] // 2)
            log.warning("GraphQL query too heavy; asking for %d a page", variables["first"])
    page = parse_search(body)
    if page.errors:
        return Page(PATH, incomplete=True, next_url=page.next_cursor, last=False)
    last = page.next_cursor is None
    return Page(PATH, items=page.nodes, next_url=page.next_cursor, last=last, total=page.total)


def _thread(item: Item, part: str) -> tuple[Any, ...]:
    return (item.threads.get(part) or Thread()).items


def _transport(d: Driver) -> GraphQLTransport:
    if d.graphql is None:
        raise ContribError("GraphQL is switched off")
    return d.graphql


@dataclass
class GraphQLSaver(PageSaver):
    """Saves a page of hits with what REST's follow-ups for the phase would have saved."""

    d: Driver
    repo: str
    phase: Phase
    user: str

    def prepare(self, items: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        """Each hit parsed and its threads completed (one query per further page), before
        the page's transaction: these queries hold no database lock either."""
        return tuple(
            {**node, _HIT: self._complete(parse_item(node, self.phase.parts))} for node in items
        )

    def save(self, session: Session, items: tuple[dict[str, Any], ...]) -> int:
        """Each hit, as prepare completed it."""
        hits: list[Item] = [node[_HIT] for node in items]
        read_page(  # what the hits are saved against, a statement a table
            session,
            issues=[hit.issue for hit in hits],
            comments=[c for hit in hits for c in _thread(hit, COMMENTS)],
            reviews=[r for hit in hits for r in _thread(hit, REVIEWS)],
        )
        return sum(self._save(session, item) for item in hits)

    def _complete(self, item: Item) -> Item:
        threads = dict(item.threads)
        for part, thread in item.threads.items():
            gathered, after, complete = list(thread.items), thread.after, thread.complete
            while after is not None:
                more = self._next_page(item, part, after)
                gathered.extend(more.items)
                after, complete = more.after, complete and more.complete
            threads[part] = Thread(tuple(gathered), None, complete)
        return Item(item.issue, threads)

    def _next_page(self, item: Item, part: str, after: str) -> Thread:
        """A further page of a long thread: a query like a search page, so it is taken from
        the run's history budget (the item is still completed: a half thread is not saved)."""
        self.d.history_budget.take()
        owner, name = item.issue.repo.split("/", 1)
        variables = {"owner": owner, "name": name, "number": item.issue.number}
        variables.update(threadFirst=PAGE, threadAfter=after)
        body = _transport(self.d).query(thread_query(part), variables)
        return parse_thread(body, part, item.issue.repo, item.issue.number)

    def _save(self, session: Session, item: Item) -> int:
        from contribbot.sync.backfill import own_item_follow_up

        labels = self.d.merged_labels(self.repo)
        issue = save.save_issue(session, data=item.issue, merged_labels=labels)
        count = 1
        reviews = item.threads.get(REVIEWS)
        # own PRs: their reviews when REST's follow-up would fetch them (open or recent)
        wanted = not self.phase.own or own_item_follow_up(self.d, issue) == "reviews"
        if reviews is not None and wanted:
            for review in reviews.items:
                save.save_review(session, data=review, pr_id=issue.id)
            count += len(reviews.items)
        comments = (item.threads.get(COMMENTS) or Thread()).items
        if self.phase.commented or any(self._by_user(c.author) for c in comments):
            for comment in comments:
                if keep_comment(self.d, session, issue, comment):
                    save.save_comment(session, data=comment, issue_id=issue.id)
                    count += 1
        events = item.threads.get(TIMELINE)
        # a timeline with an event whose id could not be read stays with REST's follow-up,
        # and so does one read before the stored PR (its owed timeline may be newer)
        if events is not None and events.complete and not save.is_stale(issue, item.issue):
            count += self._save_events(session, issue, events.items)
        return count

    def _by_user(self, login: str | None) -> bool:
        return login is not None and login.lower() == self.user.lower()

    def _save_events(self, session: Session, issue: Issue, events: tuple[Any, ...]) -> int:
        """An own PR's whole lifecycle timeline, kept when save_issue owes one (as the REST
        `timeline` follow-up would), and that owed follow-up dropped: it came with the page."""
        owed = tasks.owed_ids(session, kind="timeline", repo_id=issue.repo_id, number=issue.number)
        if not owed:
            return 0  # save_issue owes no timeline for it (REST would not fetch one either)
        rules = self.d.config.repo(self.repo)
        save_timeline_page(
            session,
            pr_id=issue.id,
            events=list(events),
            merged_labels=rules.merged_labels,
            reverted_labels=rules.reverted_labels,
            now=self.d.now(),
        )
        for task_id in owed:
            tasks.delete_task(session, task_id=task_id)
        return len(events)
