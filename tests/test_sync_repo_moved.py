"""A tracked repo renamed or transferred on GitHub: the old name is redirected (301), but
PyGithub drops a redirected request's query and the items now name the new repo. The sync
stops that repo with one line until the config names it as GitHub does; then it goes on
with the same repository row, so nothing is counted twice or lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TOKEN, assert_activity_is_the_truth, cli, load, world_copy, write_config
from sqlmodel import select

from contribbot.fakehub import FakeHub
from contribbot.github.client import GitHubClient
from contribbot.store.db import open_database, session_scope
from contribbot.store.models import Repository
from contribbot.sync import Sync

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD, NEW = "pytorch/tutorials", "pytorch/tutorials-next"
MOVED = f"{OLD}: GitHub now calls it {NEW} (renamed or transferred): change {OLD} to {NEW}"


@pytest.fixture
def hub():
    with FakeHub(world_copy("small"), tokens={TOKEN: "bob"}) as running:
        yield running


def sync(tmp_path, hub, repos):
    path = write_config(tmp_path, hub.base_url, users=["bob"], repos=repos)
    config = load(path)
    client = GitHubClient(api_url=hub.base_url, token=TOKEN, backoff_factor=0.01)
    engine = open_database(config.database_url())
    result = Sync(engine=engine, client=client, config=config, clock=hub.now).run()
    return path, engine, {o.repo: o.error for o in result.outcomes}


def repositories(engine) -> dict[str, int | None]:
    with session_scope(engine) as session:
        return {r.full_name: r.github_id for r in session.exec(select(Repository))}


def test_a_repo_renamed_before_the_first_sync_is_refused_with_one_line(tmp_path, hub):
    hub.rename_repo(OLD, NEW)
    path, engine, errors = sync(tmp_path, hub, ["pytorch/pytorch", OLD])
    assert errors == {"pytorch/pytorch": None, OLD: MOVED + " in [track] repos"}
    assert NEW not in repositories(engine)  # nothing stored under the new name behind its back
    code, out, _ = cli("status", "--config", str(path), "-f", "json")
    assert code == 0
    assert {
        r["repo"]: r["last_failed"]["why"] for r in json.loads(out)["repos"] if r["last_failed"]
    } == {OLD: MOVED + " in [track] repos"}
    path, engine, errors = sync(tmp_path, hub, ["pytorch/pytorch", NEW])  # the config is fixed
    assert errors == {"pytorch/pytorch": None, NEW: None}
    assert_activity_is_the_truth(hub, path, "bob")


def test_a_repo_renamed_between_two_polls_keeps_its_row_and_loses_nothing(tmp_path, hub):
    path, engine, errors = sync(tmp_path, hub, ["pytorch/pytorch", OLD])
    assert not any(errors.values())
    before = repositories(engine)
    hub.advance(timedelta(hours=1))
    hub.rename_repo(OLD, NEW)
    number = next(n for n, i in hub.dataset.repos[NEW].issues.items() if not i.is_pr)
    hub.advance(timedelta(minutes=5))
    hub.add_comment(NEW, number, "bob", "still here after the move")

    path, engine, errors = sync(tmp_path, hub, ["pytorch/pytorch", OLD])
    assert errors[OLD] == MOVED + " in [track] repos"
    assert repositories(engine) == before  # no second row for the new name

    path, engine, errors = sync(tmp_path, hub, ["pytorch/pytorch", NEW])
    assert not any(errors.values())
    after = repositories(engine)
    assert set(after) == {"pytorch/pytorch", NEW} and after[NEW] == before[OLD]  # one row, renamed
    assert_activity_is_the_truth(
        hub, path, "bob"
    )  # the comment made after the move is there, nothing twice


def test_the_stand_in_redirects_an_old_name_as_github_does(hub):
    hub.rename_repo(OLD, NEW)
    target = f"/repos/{OLD}/issues?state=all&per_page=100"
    reply = hub.handle("GET", target, {"Authorization": f"token {TOKEN}"})
    where = f"{hub.base_url}/repositories/{hub.dataset.repos[NEW].id}/issues?state=all&per_page=100"
    assert reply.status == 301 and reply.headers["Location"] == where
    assert json.loads(reply.body or b"") == {
        "message": "Moved Permanently",
        "url": where,
        "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects",
    }
    followed = hub.handle(
        "GET", where.removeprefix(hub.base_url), {"Authorization": f"token {TOKEN}"}
    )
    assert followed.status == 200
    assert {
        i["repository_url"].rsplit("/repos/", 1)[1] for i in json.loads(followed.body or b"")
    } == {NEW}


def test_listed_items_or_search_hits_naming_another_repo_are_refused():
    from contribbot.github.errors import RepoMoved
    from contribbot.sync.backfill import SEARCH_PHASES, _SearchSaver
    from contribbot.sync.savers import refuse_moved

    api = "https://api.github.com/repos"
    issue = {"repository_url": f"{api}/{NEW}", "number": 3}
    comment = {"issue_url": f"{api}/{NEW}/issues/3"}
    inline = {"pull_request_url": f"{api}/{NEW}/pulls/4"}
    for item in (issue, comment, inline):
        with pytest.raises(RepoMoved, match=f"GitHub now calls it {NEW}"):
            refuse_moved(OLD, (item,))
    refuse_moved(OLD.upper(), ({"repository_url": f"{api}/{OLD}"},))  # names ignore case
    search = _SearchSaver(d=None, repo=OLD, phase=SEARCH_PHASES[0])  # type: ignore[arg-type]
    with pytest.raises(RepoMoved):  # a search answered for the new name saves nothing
        search.vet((issue,))
