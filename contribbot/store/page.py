"""Everything a page of GitHub data will compare itself with, read up front.

save.py saves item by item, each against its stored row (issue, PR, comment, review,
account). Called first with the page's parsed items, `read_page` reads those rows a table
at a time, one statement each, locked where save.py's own reads lock (store/held.py);
the saves then find them without a statement of their own. Nothing is written here, and
what the saves do (and decide) is the same as without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import TypeVar

from sqlmodel import Session

from contribbot.github.parse import CommentData, IssueData, ReviewData
from contribbot.store import held, identity
from contribbot.store.accounts import read_accounts
from contribbot.store.models import Comment, Issue, PullRequest, Review
from contribbot.store.save import repo_id

_Item = TypeVar("_Item", IssueData, CommentData)


def read_page(
    session: Session,
    *,
    issues: Iterable[IssueData] = (),
    comments: Iterable[CommentData] = (),
    reviews: Iterable[ReviewData] = (),
    parents: bool = True,
) -> None:
    """Read the stored rows of a page's issues/PRs, comments and reviews and of their
    authors, a statement per table (see the module's docstring). `parents` False: the
    comments' issue is in hand (a follow-up list of one item), not read by number."""
    issues, comments, reviews = list(issues), list(comments), list(reviews)
    people = [(i.author, i.author_id) for i in issues]
    people += [(c.author, c.author_id) for c in comments]
    people += [(r.reviewer, r.reviewer_id) for r in reviews]
    read_accounts(session, accounts=[(login, gid) for login, gid in people if login])
    for items in _by_repo(issues):
        rid = repo_id(session, full_name=items[0].repo)
        _read_issues(session, rid, items)
    for under in _by_repo(comments) if parents else ():  # what a comment is saved under
        rid = repo_id(session, full_name=under[0].repo)  # (unlocked, as find_issue reads)
        numbers = [c.number for c in under]
        identity.read_numbers(session, repo_id=rid, numbers=numbers, locked=False)
    held.read(session, Comment, [c.id for c in comments], locked=True)
    held.read(session, Review, [r.id for r in reviews], locked=True)


def _by_repo(items: list[_Item]) -> list[list[_Item]]:
    """`items` grouped by repository (GitHub names are case-insensitive)."""
    ordered = sorted(items, key=lambda i: i.repo.lower())
    return [list(group) for _, group in groupby(ordered, key=lambda i: i.repo.lower())]


def _read_issues(session: Session, rid: int, issues: list[IssueData]) -> None:
    identity.read_numbers(session, repo_id=rid, numbers=[i.number for i in issues], locked=True)
    # the ids they are saved under, where their (repo, number) is not stored: is a row
    # there (a PR under a pulls id, for issue_key; a placeholder's new row)?
    keys = {i: identity.key_for(session, repo_id=rid, data=i) for i in issues}
    held.read(session, Issue, keys.values(), locked=True)  # those read already are skipped
    held.read(session, PullRequest, [key for i, key in keys.items() if i.is_pr], locked=False)
