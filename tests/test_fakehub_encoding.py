"""The stand-in encodes its answers with orjson: the same bytes as the standard library's
compact encoder (so the same ETags as before), on every kind of answer a sync reads."""

from __future__ import annotations

import json

from conftest import TOKEN, world_copy

from contribbot.fakehub import FakeHub

PT = "/repos/pytorch/pytorch"


def test_answers_are_the_bytes_json_dumps_gives() -> None:
    with FakeHub(world_copy("small"), tokens={TOKEN: "alice"}) as hub:
        auth = {"Authorization": f"token {TOKEN}"}
        issues = json.loads(hub.handle("GET", f"{PT}/issues?state=all&per_page=100", auth).body)
        pr = next(i["number"] for i in issues if "pull_request" in i)
        paths = [
            f"{PT}/issues?state=all&per_page=100",
            f"{PT}/pulls?state=all&per_page=100",
            f"{PT}/issues/comments?per_page=100",
            f"{PT}/pulls/{pr}",
            f"{PT}/pulls/{pr}/reviews",
            f"{PT}/pulls/{pr}/files",
            f"{PT}/issues/{pr}/timeline?per_page=100",
            "/users/alice/events/public?per_page=100",
            "/search/issues?q=repo:pytorch/pytorch+author:alice&per_page=100",
            "/users/alice",
            PT,
        ]
        for path in paths:
            body = hub.handle("GET", path, auth).body
            assert body, path
            expected = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
            assert body == expected.encode(), path
        # text beyond ASCII stays UTF-8, as GitHub sends it
        assert any(b > 127 for path in paths for b in hub.handle("GET", path, auth).body)
