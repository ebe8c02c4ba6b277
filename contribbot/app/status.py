"""`contrib status`: what is stored, when it was synced, and the rate limit left."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from contribbot.config import Config
from contribbot.secrets import unset_secrets
from contribbot.store import save
from contribbot.store.models import Account, Comment, Issue, Review, SyncTask


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


def user_counts(session: Session, *, repo_id: int, login: str) -> dict[str, int]:
    """Stored PRs, issues, reviews given and comments of `login` in one repo."""
    account = session.exec(
        select(Account).where(func.lower(Account.login) == login.lower())
    ).first()
    if account is None:
        return {"prs": 0, "issues": 0, "reviews": 0, "comments": 0}
    mine = (col(Issue.repo_id) == repo_id, col(Issue.author_id) == account.id)
    in_repo = select(Issue.id).where(col(Issue.repo_id) == repo_id)
    return {
        "prs": _count(
            session, select(func.count()).select_from(Issue).where(*mine, col(Issue.is_pr))
        ),
        "issues": _count(
            session, select(func.count()).select_from(Issue).where(*mine, ~col(Issue.is_pr))
        ),
        "reviews": _count(
            session,
            select(func.count())
            .select_from(Review)
            .join(Issue, col(Issue.id) == Review.pr_id)
            .where(
                col(Review.reviewer_id) == account.id,
                col(Issue.repo_id) == repo_id,
                col(Issue.author_id) != account.id,  # as in `activity`: reviews of others' PRs
            ),
        ),
        "comments": _count(
            session,
            select(func.count())
            .select_from(Comment)
            .where(
                col(Comment.author_id) == account.id,
                col(Comment.kind) == "issue",
                col(Comment.issue_id).in_(in_repo),
            ),
        ),
    }


def _history(session: Session, config: Config, repo: str, login: str) -> str:
    from contribbot.app.history import history_line
    from contribbot.sync.backfill import SEARCH_PHASES
    from contribbot.sync.graphql import PHASES

    states = {
        key: row.value
        for prefix in (f"backfill:{repo}:{login}", f"history:{repo}:{login}")
        for key, row in save.states_with_prefix(session, prefix=prefix).items()
    }
    phases = len(PHASES) if config.github.graphql is not False else len(SEARCH_PHASES)
    since = config.track.history_since
    return history_line(states, repo=repo, login=login, since=since, phases=phases)


def status(session: Session, *, config: Config) -> dict[str, Any]:
    """The `contrib status --format json` document."""
    repos = []
    for full_name in config.track.repos:
        rid = save.repo_id(session, full_name=full_name)
        users = [
            {
                "login": login,
                "first_sync_done": save.get_state(session, key=f"backfill:{full_name}:{login}"),
                "history": _history(session, config, full_name, login),
                **user_counts(session, repo_id=rid, login=login),
            }
            for login in config.track.users
        ]
        repos.append(
            {
                "repo": full_name,
                "last_synced": save.get_state(session, key=f"repo:{full_name}:synced_at"),
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
    # repo_id() may have added rows for never-synced repos: keep status read-only
    session.rollback()
    return {"repos": repos, "rate_limit": rates, "notes": unset_secrets(config)}
