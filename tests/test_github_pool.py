"""`[github] tokens`: a revoked token is set aside, ETags stay with their token, budgets are
shared through the database, and no token is drawn past its budget."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from conftest import load, world_copy, write_config

from contribbot.app import runtime
from contribbot.app.budgets import DatabaseBoard
from contribbot.fakehub import FakeHub
from contribbot.github.parse import RateLimit
from contribbot.github.pool import TokenPool
from contribbot.sync import Sync

ASIDE = "set aside; 2 carry on"
TOKENS = {"tok-a": "alice", "tok-b": "bob", "tok-c": "carol"}


def pool_config(tmp_path, hub, tokens, users=("alice", "bob")):
    extra = "".join(f'"{t}", ' for t in tokens)
    path = write_config(tmp_path, hub.base_url, users=list(users), token="")
    text = path.read_text().replace('token = ""\n', f"tokens = [{extra.rstrip(', ')}]\n")
    path.write_text(text)
    return load(path)


def refuse_to_wait(seconds: float) -> bool:
    return True  # a wait (every token dry) stops the sync: the test fails instead of hanging


def sync(config):
    board = DatabaseBoard(runtime.database(config))
    client = runtime.github_client(config, board=board, sleep=refuse_to_wait)
    assert isinstance(client, TokenPool)
    result = Sync(engine=runtime.database(config), client=client, config=config).run()
    return client, result


def test_a_revoked_token_is_set_aside_and_the_others_finish_the_sync(tmp_path, caplog):
    with FakeHub(world_copy("small"), tokens=TOKENS) as hub:
        # bob alone: his first sync (44 requests) goes round all three tokens many times
        config = pool_config(tmp_path, hub, ["tok-a", "revoked", "tok-c"], users=["bob"])
        with caplog.at_level(logging.ERROR, logger="contribbot.github"):
            pool, result = sync(config)
        assert result.exit_code == 0 and not result.stopped and result.items > 0
        assert pool.revoked == {1}
        rejected = [r for r in hub.requests if r.status == 401]
        assert len(rejected) == 1  # asked once, then never again
        lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
        assert lines == [
            "GitHub rejected token 2 of 3 in [github] tokens (401): set aside; 2 carry on"
        ]
        assert "revoked" not in caplog.text and "tok-" not in caplog.text
        used = {r.login for r in hub.requests if r.status < 400}
        assert used == {"alice", "carol"}


def test_each_url_stays_on_the_token_that_holds_its_etag(tmp_path):
    with FakeHub(world_copy("small"), tokens=TOKENS) as hub:
        config = pool_config(tmp_path, hub, list(TOKENS), users=["bob"])
        sync(config)
        hub.clear_requests()
        pool, result = sync(config)  # nothing changed on GitHub
        assert result.exit_code == 0
        polls = [r for r in hub.requests if not r.path.startswith("/search")]
        assert polls and all(r.conditional and r.status == 304 for r in polls)
        by_login = defaultdict(int)
        for r in polls:
            by_login[r.login] += 1
        assert len(by_login) >= 2  # the URLs are spread over the tokens


def test_no_token_goes_over_its_budget_and_the_work_moves_to_the_others(tmp_path):
    with FakeHub(world_copy("small"), tokens=TOKENS, rate_limit=15) as hub:
        # bob's first sync costs 36 core requests: more than two tokens have, less than three
        config = pool_config(tmp_path, hub, list(TOKENS), users=["bob"])
        pool, result = sync(config)
        assert result.exit_code == 0 and not result.stopped
        assert not [r for r in hub.requests if r.status in (403, 429)]
        spent = defaultdict(int)
        for r in hub.requests:
            if r.counted and r.resource == "core":
                spent[r.login] += 1
        assert all(count <= 15 for count in spent.values())
        assert sum(spent.values()) > 30  # more than two tokens' budgets: the work moved
        assert pool.usage.waited_s == 0


def test_budgets_are_shared_through_the_database(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9")
    engine = runtime.database(load(path))
    one, two = DatabaseBoard(engine), DatabaseBoard(engine)
    reset = datetime.now(UTC) + timedelta(minutes=30)
    seen = {"abc:core": RateLimit("core", 5000, 1200, 3800, reset)}
    assert one.exchange(seen) == seen
    drained = {"abc:core": RateLimit("core", 5000, 10, 4990, reset)}
    assert two.exchange(drained)["abc:core"].remaining == 10
    assert one.exchange(seen)["abc:core"].remaining == 10  # the lower count of one window
    later = {"abc:core": RateLimit("core", 5000, 4999, 1, reset + timedelta(hours=1))}
    assert one.exchange(later)["abc:core"].remaining == 4999  # a new window
