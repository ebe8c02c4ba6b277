"""`[github.app]`: a sync authenticated as a GitHub App installation, its tokens refreshed
(before they expire, and after a 401 when one dies early), one clear line for a bad key,
JWT or installation, and neither the key nor a token ever printed or stored."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import cli, load, world_copy, write_config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from engines import ON_POSTGRES
from sqlalchemy import MetaData, text
from sqlmodel import Session, select

from contribbot.app import runtime
from contribbot.fakehub import FakeHub
from contribbot.fakehub.apps import bot_login
from contribbot.github.pool import TokenPool
from contribbot.store.models import Comment, Issue
from contribbot.sync import Sync

APP_ID, INSTALLATION = 4242, 77
MINT = f"/app/installations/{INSTALLATION}/access_tokens"
# bob: his first sync (44 requests in the small world) outlives several tokens, in every
# phase, at a sixth of alice's cost; what is checked does not grow with the user's history
USER = "bob"
REPOS = ["pytorch/tutorials"]  # bob's items there: 5 issues and PRs, reviews and comments


def rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_of(pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(pem, password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def app_key() -> bytes:
    return rsa_pem()


@pytest.fixture
def app_hub(app_key: bytes):  # type: ignore[no-untyped-def]
    with FakeHub(world_copy("small"), tokens={"test-token": "alice"}) as hub:
        hub.apps.register(
            app_id=APP_ID,
            public_key_pem=public_of(app_key),
            installations={INSTALLATION: "pytorch"},
        )
        yield hub


def app_config(tmp_path: Path, hub: FakeHub, pem: bytes, app: str = "") -> Path:
    (tmp_path / "app.pem").write_bytes(pem)
    app = app or f'id = {APP_ID}\nprivate_key_path = "app.pem"\n'
    return write_config(
        tmp_path, hub.base_url, users=[USER], repos=REPOS, token="", extra=f"[github.app]\n{app}"
    )


def sync(path: Path):  # type: ignore[no-untyped-def]
    config = load(path)
    client = runtime.github_client(config, sleep=lambda _s: True)  # a wait fails the test
    assert isinstance(client, TokenPool)
    return Sync(engine=runtime.database(config), client=client, config=config).run()


def stored(path: Path) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    engine = runtime.database(load(path))
    with Session(engine) as session:
        issues = {(i.id, i.state, i.title, i.updated_at) for i in session.exec(select(Issue))}
        comments = {(c.id, c.updated_at, c.body) for c in session.exec(select(Comment))}
    return issues, comments


def test_a_sync_authenticated_as_an_app_succeeds(tmp_path, app_hub, app_key):
    path = app_config(tmp_path, app_hub, app_key)
    result = sync(path)
    assert result.exit_code == 0 and not result.stopped and result.items > 0
    served = [r for r in app_hub.requests if r.path not in (MINT, "/app/installations")]
    assert served and {r.login for r in served} == {bot_login(INSTALLATION)}
    assert all(r.status < 400 for r in app_hub.requests)
    # no installation_id: the App's installations were listed, then one token minted
    assert [r.path for r in app_hub.requests[:2]] == ["/app/installations", MINT]
    assert app_hub.apps.minted[INSTALLATION] == 1


@pytest.mark.parametrize("early", [False, True], ids=["before-expiry", "after-401"])
def test_the_installation_token_is_refreshed_and_no_work_is_lost(tmp_path, app_hub, app_key, early):
    """before-expiry: tokens say they live 20 s (PyGithub renews 20 s early: every request
    gets a new one); after-401: they say an hour but die after 15 requests (as with a skewed
    clock): a 401, then a new token and the same request again."""
    token_dir, app_dir = tmp_path / "token", tmp_path / "app"
    token_dir.mkdir()
    app_dir.mkdir()
    reference = write_config(token_dir, app_hub.base_url, users=[USER], repos=REPOS)
    config = load(reference)  # the same sync with a token, for comparison
    one = Sync(engine=runtime.database(config), client=runtime.github_client(config), config=config)
    assert one.run().exit_code == 0
    if early:
        app_hub.apps.uses = 15
    else:
        app_hub.apps.token_ttl = timedelta(seconds=20)
    app_hub.clear_requests()
    path = app_config(app_dir, app_hub, app_key)
    result = sync(path)
    assert result.exit_code == 0 and not result.stopped
    assert app_hub.apps.minted[INSTALLATION] >= 2, "the sync outlived one token"
    rejected = [r for r in app_hub.requests if r.status == 401]
    assert bool(rejected) == early
    assert stored(path) == stored(reference)


def test_a_jwt_github_rejects_is_one_line_and_exit_2(tmp_path, app_hub):
    path = app_config(tmp_path, app_hub, rsa_pem())  # not the App's key
    code, out, err = cli("sync", "--config", str(path))
    assert code == 2
    lines = (out + err).strip().splitlines()
    assert lines[-1].endswith(
        f"GitHub rejected the JWT of App {APP_ID} (401): check [github.app] id and that "
        "private_key_path is that App's current key"
    ), lines
    assert "Traceback" not in out + err


def test_an_unknown_installation_is_one_line_and_exit_2(tmp_path, app_hub, app_key):
    app = f'id = {APP_ID}\nprivate_key_path = "app.pem"\ninstallation_id = 999\n'
    path = app_config(tmp_path, app_hub, app_key, app)
    code, out, err = cli("sync", "--config", str(path))
    assert code == 2
    assert f"GitHub App {APP_ID} has no installation 999 (404)" in (out + err)
    assert "Traceback" not in out + err


def ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("pem", "app", "said"),
    [
        (b"x", f'id = {APP_ID}\nprivate_key_path = "missing.pem"\n', "missing.pem does not exist"),
        (b"not a key\n", "", "app.pem is not a PEM private key"),
        (None, "", "app.pem is not an RSA key"),
        (b"x", f'id = {APP_ID}\nprivate_key_path = "."\n', "cannot be read (Is a directory)"),
        (b"x", 'id = "abc"\nprivate_key_path = "app.pem"\n', "github.app.id"),
        (b"x", f"id = {APP_ID}\n", "private_key_path"),
    ],
    ids=["missing", "not-pem", "not-rsa", "unreadable", "id-not-int", "no-key"],
)
def test_bad_app_settings_are_one_line_and_exit_2(tmp_path, app_hub, pem, app, said):
    path = app_config(tmp_path, app_hub, ec_pem() if pem is None else pem, app)
    code, out, err = cli("sync", "--config", str(path))
    assert code == 2, out + err
    assert said in out + err
    assert "Traceback" not in out + err
    assert not [r for r in app_hub.requests if r.path.startswith("/repos/")]


def test_tokens_and_an_app_together_are_refused(tmp_path, app_hub, app_key):
    path = app_config(tmp_path, app_hub, app_key)
    path.write_text(path.read_text().replace('token = ""', 'token = "test-token"'))
    code, out, err = cli("sync", "--config", str(path))
    assert code == 2
    assert "set [github] token/tokens or [github.app], not both" in out + err
    assert not app_hub.requests


def test_the_key_and_tokens_are_never_printed_or_stored(tmp_path, app_hub, app_key, caplog):
    app_hub.apps.token_ttl = timedelta(seconds=20)  # a new token for every request
    path = app_config(tmp_path, app_hub, app_key)
    with caplog.at_level(logging.DEBUG):
        code, out, err = cli("sync", "--config", str(path), "--verbose")
    assert code == 0, out + err
    tokens = list(app_hub.apps.issued)
    assert tokens
    key_lines = [line for line in app_key.decode().splitlines() if "PRIVATE KEY" not in line]
    secrets = [*tokens, *key_lines[:3]]
    said = out + err + caplog.text
    assert not [s for s in secrets if s in said]
    dumped = dump_database(path)
    assert USER in dumped  # the dump holds the synced rows
    assert not [s for s in secrets if s in dumped]


def dump_database(path: Path) -> str:
    """Every row of every table as text (plus the raw SQLite files, WAL included)."""
    config = load(path)
    engine = runtime.database(config)
    parts: list[str] = []
    if not ON_POSTGRES:
        database = Path(str(engine.url.database))
        for file in (database, Path(f"{database}-wal")):
            if file.exists():
                parts.append(file.read_bytes().decode("utf-8", "replace"))
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)
