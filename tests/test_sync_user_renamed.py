"""A tracked user renames their GitHub account. GitHub redirects no API request for the old
login: their public events answer 404 and the items they wrote name the new login. Before,
the sync logged a warning and went on, and the user's contributions silently stopped
counting (the config's login matched no account any more). Now the run fails with one line
naming the new login (GitHub's /user/{id}, one request, only then); once the config says
it, the same account row carries on, with nothing lost or doubled."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from conftest import TOKEN, assert_activity_is_the_truth, cli, load, world_copy, write_config
from sqlmodel import select

from contribbot.app.units import UnitRunner
from contribbot.errors import ContribError
from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient
from contribbot.github.errors import Forbidden
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Account
from contribbot.sync import Sync

OLD, NEW = "alice", "alice-next"
RENAMED = (
    f"@{OLD}: GitHub now calls this account {NEW} (renamed): change {OLD} to {NEW} in [track] users"
)
GONE = "@{}: no such GitHub user (deleted, or renamed): check [track] users"


def refuse_user_by_id(get):
    def refusing(url, **kwargs):
        if "/user/" in url:
            raise Forbidden("Forbidden", status=403, path=url)
        return get(url, **kwargs)

    return refusing


@pytest.fixture
def hub():
    with FakeHub(world_copy("small"), tokens={TOKEN: "bob"}) as running:
        yield running


def sync(tmp_path, hub, users):
    path = write_config(tmp_path, hub.base_url, users=users, repos=["pytorch/pytorch"])
    config = load(path)
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    engine = open_database(config.database_url())
    result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    return path, engine, result


def by_user_id(hub, login: str) -> list[str]:
    wanted = f"/user/{hub.dataset.accounts[login].id}"
    return [r.path for r in hub.requests if r.path == wanted]


def test_a_user_renamed_between_polls_is_one_line_then_keeps_their_history(tmp_path, hub):
    path, engine, result = sync(tmp_path, hub, [OLD, "bob"])
    assert result.errors == []
    hub.advance(timedelta(hours=1))
    hub.rename_user(OLD, NEW)
    number = next(n for n, i in hub.dataset.repos["pytorch/pytorch"].issues.items() if not i.is_pr)
    hub.advance(timedelta(minutes=5))
    hub.add_comment("pytorch/pytorch", number, NEW, "same person, new name")

    hub.clear_requests()
    path, engine, result = sync(tmp_path, hub, [OLD, "bob"])
    assert result.errors == [RENAMED] and result.exit_code == 1
    assert len(by_user_id(hub, NEW)) == 1  # one request, for the user whose events 404
    code, _, err = cli("sync", "--config", str(path), "--quiet")
    assert code == 1 and RENAMED in err
    runner = UnitRunner(  # a worker's unit for the user's events fails with the same line
        engine=engine,
        config=load(path),
        client=GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01),
        clock=hub.now,
        should_stop=lambda: False,
        sleep=lambda s: None,
    )
    with pytest.raises(ContribError, match=re.escape(RENAMED)):
        runner.run("events", f"events:{OLD}")
    refused = Sync(engine=engine, client=runner.client, config=load(path), clock=hub.now)
    refused.client.get = refuse_user_by_id(refused.client.get)  # type: ignore[method-assign]
    refused.poll_user_events(OLD, {})  # GitHub will not say who it is now: still one line
    assert refused.result.errors == [GONE.format(OLD)]

    path, engine, result = sync(tmp_path, hub, [NEW, "bob"])  # the config is fixed
    assert result.errors == []
    with session_scope(engine) as session:
        rows = session.exec(
            select(Account).where(Account.github_id == hub.dataset.accounts[NEW].id)
        )
        assert [a.login for a in rows] == [NEW]  # one row, renamed: the history stays with it
    assert_activity_is_the_truth(
        hub, path, NEW, repos=["pytorch/pytorch"]
    )  # the comment under the new name is there, nothing twice
    assert_activity_is_the_truth(hub, path, "bob", repos=["pytorch/pytorch"])


def test_a_user_github_does_not_know_is_one_line(tmp_path, hub):
    _, _, result = sync(tmp_path, hub, ["bob", "no-such-person"])
    assert GONE.format("no-such-person") in result.errors and result.exit_code == 1
    assert not any(r.path.startswith("/user/") for r in hub.requests)  # no id to ask about


def test_the_stand_in_renames_an_account_as_github_does(hub):
    account_id = hub.dataset.accounts[OLD].id
    hub.rename_user(OLD, NEW)
    auth = {"Authorization": f"token {TOKEN}"}
    assert hub.handle("GET", f"/users/{OLD}/events/public", auth).status == 404
    assert hub.handle("GET", f"/users/{OLD}", auth).status == 404
    reply = hub.handle("GET", f"/user/{account_id}", auth)
    assert reply.status == 200 and json.loads(reply.body or b"")["login"] == NEW
    issues = json.loads(hub.handle("GET", "/repos/pytorch/pytorch/issues?state=all", auth).body)
    logins = {i["user"]["login"] for i in issues}
    assert OLD not in logins
    ids = {i["user"]["id"] for i in issues if i["user"]["login"] == NEW}
    assert ids <= {account_id}
