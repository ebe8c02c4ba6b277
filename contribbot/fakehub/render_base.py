"""The building blocks of GitHub JSON: users, repositories, labels, URLs (pure).

API links use the server's own base URL (PyGithub refuses to follow other hosts);
`html_url`s point at github.com as on the real thing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from contribbot.fakehub.model import Account, Dataset, Issue

JSON = dict[str, Any]
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
WEB = "https://github.com"
AVATARS = "https://avatars.githubusercontent.com"
LICENSE = {
    "key": "bsd-3-clause",
    "name": 'BSD 3-Clause "New" or "Revised" License',
    "spdx_id": "BSD-3-Clause",
    "url": "https://api.github.com/licenses/bsd-3-clause",
    "node_id": "MDc6TGljZW5zZTU=",
}
REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def stamp(at: datetime | None) -> str | None:
    """GitHub's timestamp format: ISO 8601 UTC with a Z, whole seconds."""
    return None if at is None else _stamp(at, at.tzinfo)


@functools.lru_cache(maxsize=1 << 16)  # every page renders the same items' times again
def _stamp(at: datetime, _zone: tzinfo | None) -> str:  # the zone: equal times print apart
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.cache  # pure, and asked for again and again (every user, label, item a page)
def node_id(kind: str, ident: int) -> str:
    """An opaque, stable GraphQL-style node id."""
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def sha(*parts: object) -> str:
    """A stable fake git sha."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


class BaseRenderer:
    """Users, repositories and labels of one data set for one base URL (memoised)."""

    def __init__(self, ds: Dataset, base_url: str) -> None:
        self.ds = ds
        self.base = base_url.rstrip("/")
        self._users: dict[str, JSON] = {}
        self._repos: dict[tuple[str, str], JSON] = {}
        self._labels: dict[tuple[str, str], JSON] = {}
        # extra reactions on an object id at serving time (Realism.reaction_churn)
        self.churn: Callable[[int], int] = lambda _object_id: 0

    # users -----------------------------------------------------------------------------

    def account(self, login: str) -> Account:
        """The account for login (a placeholder for names the data set never saw)."""
        found = self.ds.accounts.get(login)
        return found if found is not None else Account(login, 0, self.ds.now)

    def user(self, login: str) -> JSON:
        """simple-user."""
        if login not in self._users:
            acc = self.account(login)
            url = f"{self.base}/users/{quote(login, safe='')}"
            self._users[login] = {
                "login": acc.login,
                "id": acc.id,
                "node_id": node_id("U", acc.id),
                "avatar_url": f"{AVATARS}/u/{acc.id}?v=4",
                "gravatar_id": "",
                "url": url,
                "html_url": f"{WEB}/{acc.login}",
                "followers_url": f"{url}/followers",
                "following_url": f"{url}/following{{/other_user}}",
                "gists_url": f"{url}/gists{{/gist_id}}",
                "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
                "subscriptions_url": f"{url}/subscriptions",
                "organizations_url": f"{url}/orgs",
                "repos_url": f"{url}/repos",
                "events_url": f"{url}/events{{/privacy}}",
                "received_events_url": f"{url}/received_events",
                "type": acc.kind,
                "user_view_type": "public",
                "site_admin": False,
            }
        return self._users[login]

    def user_or_none(self, login: str | None) -> JSON | None:
        """nullable-simple-user."""
        return None if login is None else self.user(login)

    def profile(self, login: str, *, private: bool) -> JSON:
        """public-user (GET /users/{u}) or private-user (GET /user)."""
        acc = self.account(login)
        body = {
            **self.user(login),
            "name": acc.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 3,
            "public_gists": 0,
            "followers": 5,
            "following": 2,
            "created_at": stamp(acc.created_at),
            "updated_at": stamp(acc.created_at),
        }
        if private:
            body.update(
                private_gists=0,
                total_private_repos=0,
                owned_private_repos=0,
                disk_usage=0,
                collaborators=0,
                two_factor_authentication=True,
                plan={"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 0},
            )
        return body

    # repositories ----------------------------------------------------------------------

    def repo_api(self, repo: str) -> str:
        """API URL of a repository."""
        return f"{self.base}/repos/{repo}"

    def repository(self, repo: str, fork_owner: str | None = None) -> JSON:
        """full-repository (also valid as `repository`); fork_owner renders their fork."""
        key = (repo, fork_owner or "")
        if key not in self._repos:
            self._repos[key] = self._repository(repo, fork_owner)
        return self._repos[key]

    def _repository(self, repo: str, fork_owner: str | None) -> JSON:
        source = self.ds.repos[repo]
        owner = fork_owner or source.owner
        full = f"{owner}/{source.name}"
        api = self.repo_api(full)
        ident = source.id if fork_owner is None else int(sha(full)[:8], 16)
        open_count, newest = 0, None
        for issue in source.issues.values():  # one pass over a repository's items
            open_count += issue.state == "open"
            if newest is None or issue.updated_at > newest:
                newest = issue.updated_at
        latest = source.created_at if newest is None else newest
        body: JSON = {key: api + suffix for key, suffix in REPO_URL_TEMPLATES.items()}
        body.update(
            id=ident,
            node_id=node_id("R", ident),
            name=source.name,
            full_name=full,
            owner=self.user(owner),
            private=False,
            html_url=f"{WEB}/{full}",
            description=source.description,
            fork=fork_owner is not None,
            url=api,
            git_url=f"git://github.com/{full}.git",
            ssh_url=f"git@github.com:{full}.git",
            clone_url=f"{WEB}/{full}.git",
            svn_url=f"{WEB}/{full}",
            mirror_url=None,
            homepage="https://pytorch.org",
            language="Python",
            forks_count=20000,
            forks=20000,
            stargazers_count=80000,
            watchers_count=80000,
            watchers=80000,
            size=1000000,
            default_branch="main",
            open_issues_count=open_count,
            open_issues=open_count,
            is_template=False,
            topics=["deep-learning", "python"],
            has_issues=True,
            has_projects=True,
            has_wiki=True,
            has_pages=False,
            has_downloads=True,
            has_discussions=False,
            archived=False,
            disabled=False,
            visibility="public",
            pushed_at=stamp(latest),
            created_at=stamp(source.created_at),
            updated_at=stamp(latest),
            license=LICENSE,
            allow_forking=True,
            network_count=20000,
            subscribers_count=1700,
        )
        return body

    def label(self, repo: str, name: str) -> JSON:
        """label."""
        key = (repo, name)
        if key not in self._labels:
            self._labels[key] = self._label(repo, name)
        return self._labels[key]

    def _label(self, repo: str, name: str) -> JSON:
        found = self.ds.repos[repo].labels[name]
        return {
            "id": found.id,
            "node_id": node_id("LA", found.id),
            "url": f"{self.repo_api(repo)}/labels/{quote(name, safe='')}",
            "name": name,
            "description": found.description,
            "color": found.color,
            "default": False,
        }

    def html(self, issue: Issue) -> str:
        """github.com address of an issue or PR."""
        kind = "pull" if issue.is_pr else "issues"
        return f"{WEB}/{issue.repo}/{kind}/{issue.number}"

    def reactions(self, url: str, given: Mapping[str, int] | None = None, extra: int = 0) -> JSON:
        """reaction-rollup: the reactions given, plus `extra` hearts (churn)."""
        counts = dict.fromkeys(REACTIONS, 0)
        counts.update(given or {})
        counts["heart"] += extra
        return {"url": f"{url}/reactions", "total_count": sum(counts.values()), **counts}

    def head_sha(self, pr: Issue) -> str:
        """The PR head commit."""
        return sha(pr.repo, pr.number, "head")
