"""Pure parsing of GitHub responses, and the merged-by-label rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from contribbot.github.parse import (
    issue_ref_from_url,
    parse_issue,
    parse_issue_comment,
    parse_links,
    parse_rate_limit,
    parse_review_comment,
    repo_from_url,
)
from contribbot.store.save import effective_merge

API = "https://api.github.com"
PR = {
    "id": 1,
    "number": 123,
    "title": "Fix nn.Linear",
    "body": None,
    "state": "closed",
    "user": {"login": "pytorchmergebot", "id": 9, "type": "Bot"},
    "created_at": "2026-11-10T10:00:00Z",
    "updated_at": "2026-11-12T10:00:00Z",
    "closed_at": "2026-11-12T09:00:00Z",
    "labels": [{"name": "Merged"}, {"name": "module: nn"}],
    "assignees": [],
    "comments": 3,
    "html_url": "https://github.com/pytorch/pytorch/pull/123",
    "repository_url": f"{API}/repos/pytorch/pytorch",
    "pull_request": {"merged_at": None},
    "draft": False,
}


def test_rate_limit_headers_in_any_case():
    rate = parse_rate_limit(
        {
            "X-RateLimit-Limit": "5000",
            "x-ratelimit-remaining": "12",
            "X-RateLimit-Reset": "1790000000",
            "X-RateLimit-Resource": "search",
            "X-RateLimit-Used": "4988",
        }
    )
    assert rate is not None
    assert (rate.resource, rate.limit, rate.remaining, rate.used) == ("search", 5000, 12, 4988)
    assert rate.reset == datetime.fromtimestamp(1790000000, UTC)
    assert parse_rate_limit({"x-ratelimit-limit": "x"}) is None


def test_link_header():
    header = f'<{API}/x?page=2>; rel="next", <{API}/x?page=9>; rel="last"'
    assert parse_links(header) == {"next": f"{API}/x?page=2", "last": f"{API}/x?page=9"}
    assert parse_links(None) == {}


def test_urls_to_repo_and_number():
    assert repo_from_url(f"{API}/repos/pytorch/pytorch/issues/5") == "pytorch/pytorch"
    assert issue_ref_from_url(f"{API}/repos/pytorch/pytorch/pulls/77") == ("pytorch/pytorch", 77)
    assert issue_ref_from_url("https://ghe.example/api/v3/repos/o/r/issues/1") == ("o/r", 1)


def test_a_pr_closed_with_the_merged_label_counts_as_merged():
    data = parse_issue(PR)
    assert data.is_pr and data.author_kind == "Bot" and data.body == ""
    assert effective_merge(data, ["merged"]) == (data.closed_at, True)  # labels: any case
    assert effective_merge(data, ["landed"]) == (None, False)
    merged = parse_issue({**PR, "pull_request": {"merged_at": "2026-11-11T08:00:00Z"}})
    assert effective_merge(merged, ["Merged"]) == (datetime(2026, 11, 11, 8, tzinfo=UTC), False)
    still_open = replace(data, state="open", closed_at=None)
    assert effective_merge(still_open, ["Merged"]) == (None, False)


def test_comments_know_their_parent_and_kind():
    base = {
        "id": 7,
        "user": {"login": "alice", "id": 1},
        "created_at": "2026-11-10T10:00:00Z",
        "updated_at": "2026-11-10T10:00:00Z",
        "body": "hi",
        "html_url": "https://github.com/x",
    }
    issue = parse_issue_comment({**base, "issue_url": f"{API}/repos/o/r/issues/4"})
    inline = parse_review_comment(
        {**base, "pull_request_url": f"{API}/repos/o/r/pulls/5", "pull_request_review_id": 99}
    )
    assert (issue.kind, issue.number, issue.review_id) == ("issue", 4, None)
    assert (inline.kind, inline.number, inline.review_id) == ("review", 5, 99)
