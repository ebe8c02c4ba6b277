"""`[github.app]`: authenticate as a GitHub App's installation(s) instead of with tokens.

PyGithub's `Auth.AppAuth` signs the App's JWTs (RS256, with the private key) and
`Auth.AppInstallationAuth` trades one for an installation token, which it refreshes by
itself before the hour is up. Each installation is one member of the token pool, with its
own rate-limit budget (GitHub gives each installation its own). Without `installation_id`
every installation of the App is used. The key and the tokens are never logged or stored:
the identity that keys budgets and ETags is the App id and installation id, hashed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, GithubException, GithubIntegration

from contribbot.errors import AuthError, ConfigError
from contribbot.github.client import GitHubClient
from contribbot.github.errors import GitHubUnavailable

KEY = "[github.app] private_key_path"


def read_private_key(path: Path) -> str:
    """The App's PEM private key at `path`, checked; one clear line (no key text) if unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{KEY}: {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{KEY}: {path} cannot be read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # it wants a password
        raise ConfigError(
            f"{KEY}: {path} is encrypted; use the unencrypted .pem GitHub gave you"
        ) from None
    except (ValueError, UnicodeError):
        raise ConfigError(
            f"{KEY}: {path} is not a PEM private key (the .pem file from the App's settings)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{KEY}: {path} is not an RSA key (GitHub App keys are RSA)")
    return data.decode("ascii")


def installation_auths(
    *,
    app_id: int,
    private_key: str,
    installation_id: int | None,
    api_url: str,
    timeout: float,
) -> list[Auth.AppInstallationAuth]:
    """One refreshing auth per installation (the given one, else all of the App's), each
    checked by fetching its first token now: a bad JWT or unknown installation is one line."""
    app = Auth.AppAuth(app_id, private_key)
    integration = GithubIntegration(
        base_url=api_url, auth=app, retry=None, timeout=int(timeout), lazy=True
    )
    try:
        ids = [installation_id] if installation_id else _installations(integration, app_id)
        auths = [app.get_installation_auth(i, requester=integration.requester) for i in ids]
        for auth in auths:
            auth.token  # noqa: B018 (the first token: GitHub checks the JWT and installation)
    except GithubException as exc:
        raise _refused(exc, app_id, installation_id) from None
    except requests.exceptions.RequestException as exc:
        raise GitHubUnavailable(
            f"cannot reach GitHub to authenticate the App ({type(exc).__name__})"
        ) from None
    finally:
        integration.close()
    return auths


def _installations(integration: GithubIntegration, app_id: int) -> list[int]:
    ids = [installation.id for installation in integration.get_installations()]
    if not ids:
        raise AuthError(
            f"GitHub App {app_id} is not installed anywhere: install it on an account, "
            "or set [github.app] installation_id"
        )
    return ids


def _refused(exc: GithubException, app_id: int, installation_id: int | None) -> AuthError:
    if exc.status == 401:
        return AuthError(
            f"GitHub rejected the JWT of App {app_id} (401): check [github.app] id and that "
            "private_key_path is that App's current key"
        )
    if exc.status == 404 and installation_id:
        return AuthError(
            f"GitHub App {app_id} has no installation {installation_id} (404): check "
            "[github.app] installation_id, or leave it out to use every installation"
        )
    return AuthError(f"GitHub refused to authenticate App {app_id} ({exc.status})")


def app_members(
    auths: Sequence[Auth.AppInstallationAuth], make_client: Callable[[Auth.Auth], GitHubClient]
) -> list[GitHubClient]:
    """One pool member (a GitHubClient with its own budget) per installation."""
    return [make_client(auth) for auth in auths]


def labels(auths: Sequence[Auth.AppInstallationAuth]) -> list[str]:
    """How the pool names each member in its one-line messages."""
    return [f"GitHub App {a.app_id} installation {a.installation_id}" for a in auths]
