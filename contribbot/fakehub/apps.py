"""GitHub Apps on the stand-in: JWT-authenticated /app endpoints and installation tokens.

    hub.apps.register(app_id=42, public_key_pem=pem, installations={7: "pytorch"})
    hub.apps.token_ttl = timedelta(seconds=20)  # GitHub's are one hour; PyGithub renews a token
                                                # 20 s before expires_at: here for every request
    hub.apps.uses = 40  # a token dies after 40 requests, whatever expires_at says (as after
                        # a clock skew): then 401 "Bad credentials"

- `GET /app/installations`, `GET /repos/{o}/{r}/installation` and
  `POST /app/installations/{id}/access_tokens` take `Authorization: Bearer <JWT>`: an RS256
  JWT signed with the App's private key, `iss` the App's id, `iat` in the past and `exp` at
  most 10 minutes ahead (as GitHub checks). A bad JWT gets 401; an unknown installation 404.
- An installation token answers like a user token (its own rate-limit bucket, logged as the
  login `installation-{id}[bot]`) until `expires_at` (wall-clock UTC, as GitHub's and
  PyGithub's are), or `uses` requests; after that it gets 401 "Bad credentials".
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

JWT_MAX_AHEAD_S = 600  # GitHub: "no more than 10 minutes into the future"
INSTALLATION_TOKENS = re.compile(r"^/app/installations/(\d+)/access_tokens$")
REPO_INSTALLATION = re.compile(r"^/repos/([^/]+)/([^/]+)/installation$")
BAD_JWT = "A JSON web token could not be decoded"


@dataclass
class App:
    """One registered App: its public key and installations (id -> account login)."""

    id: int
    public_key_pem: bytes
    installations: dict[int, str]


@dataclass(frozen=True)
class Issued:
    """An installation token the stand-in handed out."""

    installation: int
    expires_at: datetime


@dataclass
class Apps:
    """The Apps a FakeHub knows, and the installation tokens it issued (guarded by its lock)."""

    token_ttl: timedelta = timedelta(hours=1)
    uses: int | None = None  # tokens die after this many requests, whatever expires_at says
    used: Counter[str] = field(default_factory=Counter)  # requests per installation token
    apps: dict[int, App] = field(default_factory=dict)
    issued: dict[str, Issued] = field(default_factory=dict)
    minted: Counter[int] = field(default_factory=Counter)  # tokens issued per installation

    def register(
        self, *, app_id: int, public_key_pem: bytes, installations: dict[int, str]
    ) -> None:
        """Know an App by its public key, installed on these accounts."""
        self.apps[app_id] = App(app_id, public_key_pem, dict(installations))

    def handles(self, path: str) -> bool:
        """Whether `path` is an App endpoint (authenticated with the App's JWT)."""
        return path.startswith("/app/") or path == "/app" or bool(REPO_INSTALLATION.match(path))

    def login_for(self, token: str, now: datetime) -> str | None:
        """The bot login of a live installation token; None for an unknown or expired one."""
        issued = self.issued.get(token)
        if issued is None or issued.expires_at <= now:
            return None
        self.used[token] += 1
        if self.uses is not None and self.used[token] > self.uses:
            return None
        return bot_login(issued.installation)

    def knows(self, token: str) -> bool:
        """Whether `token` is an installation token this stand-in issued (live or not)."""
        return token in self.issued

    def answer(self, method: str, path: str, bearer: str | None) -> tuple[int, Any]:
        """(status, JSON body) of an App endpoint; `now` is the wall clock (JWTs use it)."""
        app = self._app_of(bearer)
        if app is None:
            return 401, {"message": BAD_JWT, "documentation_url": "https://docs.github.com/rest"}
        minted = INSTALLATION_TOKENS.match(path)
        if minted and method == "POST":
            return self._mint(app, int(minted.group(1)))
        if path == "/app/installations" and method == "GET":
            return 200, [_installation(app, i, login) for i, login in app.installations.items()]
        repo = REPO_INSTALLATION.match(path)
        if repo and method == "GET":
            for installation, login in app.installations.items():
                if login.lower() == repo.group(1).lower():
                    return 200, _installation(app, installation, login)
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _app_of(self, bearer: str | None) -> App | None:
        if not bearer:
            return None
        try:
            claims = jwt.decode(bearer, options={"verify_signature": False})
            app = self.apps.get(int(claims.get("iss", "")))
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        if app is None:
            return None
        try:
            claims = jwt.decode(
                bearer,
                app.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        if int(claims["exp"]) > time.time() + JWT_MAX_AHEAD_S or int(claims["iat"]) > time.time():
            return None
        return app

    def _mint(self, app: App, installation: int) -> tuple[int, Any]:
        if installation not in app.installations:
            return 404, {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest",
            }
        token = f"ghs_{secrets.token_hex(18)}"
        expires = datetime.now(UTC).replace(microsecond=0) + self.token_ttl
        self.issued[token] = Issued(installation, expires)
        self.minted[installation] += 1
        return 201, {
            "token": token,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": {"issues": "read", "pull_requests": "read", "metadata": "read"},
            "repository_selection": "all",
        }


def bot_login(installation: int) -> str:
    """The login an installation's requests are logged (and rate-limited) as."""
    return f"installation-{installation}[bot]"


def _installation(app: App, installation: int, login: str) -> dict[str, Any]:
    return {
        "id": installation,
        "app_id": app.id,
        "account": {"login": login, "type": "Organization"},
        "target_type": "Organization",
        "access_tokens_url": f"/app/installations/{installation}/access_tokens",
        "repository_selection": "all",
        "permissions": {"issues": "read", "pull_requests": "read", "metadata": "read"},
    }
