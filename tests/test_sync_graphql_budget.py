"""A long thread's further pages are GraphQL queries like search pages: the run's
history budget pays for them too, so a daemon poll's history chunk stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from contribbot.github.graphql import COMMENTS
from contribbot.github.graphql_parse import Item, Thread
from contribbot.sync.graphql import PHASES, GraphQLSaver
from contribbot.sync.plan import HistoryBudget

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


class _Transport:
    """Answers thread queries: `pages` further pages, each saying whether more follow."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def query(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(variables)
        more = len(self.calls) < self.pages
        comments = {
            "nodes": [],
            "pageInfo": {"hasNextPage": more, "endCursor": f"c{len(self.calls)}"},
        }
        return {"data": {"repository": {"issueOrPullRequest": {"comments": comments}}}}


def test_a_long_threads_further_pages_are_taken_from_the_history_budget():
    budget = HistoryBudget.per_run(5, NOW)
    transport = _Transport(pages=3)
    driver = SimpleNamespace(graphql=transport, history_budget=budget)
    saver = GraphQLSaver(d=driver, repo="pytorch/pytorch", phase=PHASES[0], user="alice")  # type: ignore[arg-type]
    item = Item(SimpleNamespace(repo="pytorch/pytorch", number=7), {COMMENTS: Thread((), "c0")})  # type: ignore[arg-type]

    done = saver._complete(item)

    assert [call["threadAfter"] for call in transport.calls] == ["c0", "c1", "c2"]
    assert done.threads[COMMENTS].after is None  # the whole thread came
    assert budget.pages == 5 - 3  # each further page was one page of the budget
