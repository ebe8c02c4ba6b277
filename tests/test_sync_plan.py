"""The pure planner fed recorded-style responses and real recorded ones (@octokit/fixtures):
no server, no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contribbot.github.parse import parse_links
from contribbot.sync import plan
from contribbot.sync.plan import (
    DONE,
    EVENT_PAGES,
    SAVE,
    SAVE_WITH_PARENT,
    SEARCH_TRIES,
    SKIP,
    EventWalk,
    ListWalk,
    Page,
    Request,
    SearchWalk,
    StreamMark,
    StreamWalk,
    comment_action,
    page_from,
    stream_start,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
API = "https://api.github.com"
PER_PAGE = 3  # small pages keep the recorded bodies short


def z(minutes: int) -> str:
    """A GitHub timestamp `minutes` after NOW."""
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def comment(cid: int, minutes: int) -> dict[str, object]:
    """A conversation comment as /issues/comments returns it (the fields the sync reads)."""
    return {
        "id": cid,
        "updated_at": z(minutes),
        "created_at": z(minutes),
        "user": {"login": "alice", "id": 1, "type": "User"},
        "issue_url": f"{API}/repos/pytorch/pytorch/issues/7",
        "html_url": f"https://github.com/pytorch/pytorch/issues/7#issuecomment-{cid}",
        "body": "LGTM",
    }


def event(eid: int, minutes: int, kind: str = "PullRequestReviewEvent") -> dict[str, object]:
    """A public event as /users/{u}/events/public returns it."""
    return {
        "id": str(eid),
        "type": kind,
        "repo": {"name": "pytorch/pytorch"},
        "payload": {"action": "created", "pull_request": {"number": eid % 100}},
        "created_at": z(minutes),
    }


def search_hit(number: int, minutes: int) -> dict[str, object]:
    """A /search/issues hit (only the fields the planner reads)."""
    return {"number": number, "created_at": z(minutes), "updated_at": z(minutes)}


def ok(url: str, items, *, next_url=None, etag='W/"abc"', incomplete=None) -> Page:
    """A 200 as the driver parses it."""
    data = items if incomplete is None else {"incomplete_results": incomplete, "items": items}
    links = {"next": next_url} if next_url else {}
    return page_from(url=url, status=200, data=data, etag=etag, links=links)


# -- the `since=` streams ----------------------------------------------------------------

STREAM = StreamWalk("/repos/pytorch/pytorch/issues/comments", {}, PER_PAGE)


def test_stream_page_one_is_conditional_newest_first_since_the_anchor():
    state = StreamMark(since=z(0), seen=z(30)).dump()
    request = STREAM.first(state)
    assert request.conditional and request.page == 1
    assert request.params["since"] == z(0)  # the same URL every poll: a free 304 when idle
    assert request.params["sort"] == "updated" and request.params["direction"] == "desc"


def test_stream_304_saves_nothing_and_moves_nothing():
    state = StreamMark(since=z(0), seen=z(30)).dump()
    step = STREAM.step(
        state, STREAM.first(state), page_from(url="u", status=304, data=None, etag=None, links={})
    )
    assert step.items == () and step.state is None and step.next is None and step.remember is None


def test_stream_hands_on_the_last_minutes_again_for_githubs_lag():
    state = StreamMark(since=z(0), seen=z(30)).dump()
    page = ok("u1", [comment(9, 31), comment(8, 29), comment(7, 27)], next_url="u2")
    step = STREAM.step(state, STREAM.first(state), page)
    assert [c["id"] for c in step.items] == [9, 8]  # 8 came in late, within the margin
    assert step.next is None  # 7 is older than seen less the margin


def test_stream_stops_paging_at_the_checkpoint():
    state = StreamMark(since=z(0), seen=z(30)).dump()
    request = STREAM.first(state)
    # a busy repo: reactions changed the ETag; one new comment, then ones handled before
    page = ok("u1", [comment(9, 40), comment(8, 30), comment(7, 20)], next_url="u2")
    step = STREAM.step(state, request, page)
    assert [c["id"] for c in step.items] == [9, 8]  # 8 is at `seen`: handlers dedupe it
    assert step.next is None  # comment 7 is older than the checkpoint: no page 2
    assert StreamMark.load(step.state) == StreamMark(since=z(0), seen=z(40))
    assert step.remember == ("u1", 'W/"abc"')  # the next idle poll is a free 304


def test_stream_reads_on_while_a_whole_page_is_new_and_keeps_etag_until_the_end():
    state = StreamMark(since=z(0), seen=z(10)).dump()
    first = STREAM.first(state)
    step1 = STREAM.step(
        state,
        first,
        ok("u1", [comment(5, 50), comment(4, 40), comment(3, 30)], next_url="u2", etag="e1"),
    )
    assert len(step1.items) == 3 and step1.next is not None and step1.next.path == "u2"
    assert (
        not step1.next.conditional and step1.remember is None
    )  # killed now: page 1 is asked again
    mid = StreamMark.load(step1.state)
    assert mid.seen == z(10) and mid.top == z(50)  # `seen` moves only when the walk is done
    assert STREAM.first(step1.state).conditional is False  # a resumed walk must not get a 304
    step2 = STREAM.step(
        step1.state, step1.next, ok("u2", [comment(2, 20), comment(1, 5)], etag="e2")
    )
    assert [c["id"] for c in step2.items] == [2]
    assert StreamMark.load(step2.state) == StreamMark(since=z(0), seen=z(50))
    assert step2.remember == ("u1", "e1")  # page 1's ETag, kept with the last page


def test_stream_moves_its_since_once_a_day_not_every_poll():
    fresh = StreamMark(since=z(0), seen=z(60)).dump()
    assert STREAM.first(fresh).params["since"] == z(0)
    old = StreamMark(since=z(0), seen=z(60 * 30)).dump()
    assert STREAM.first(old).params["since"] == z(60 * 30 - 2)


def test_stream_reads_the_old_one_value_checkpoint():
    assert StreamMark.load(z(5)) == StreamMark(since=z(5), seen=z(5))
    assert StreamMark.load(stream_start(NOW)).seen == z(-2)


# -- a comment in hand needs no thread fetch ------------------------------------------------


def test_tracked_users_comment_is_saved_from_the_stream_without_a_follow_up():
    assert comment_action(by_tracked=True, parent_known=True, parent_by_tracked=False) == SAVE
    # an issue never seen: fetch that issue only (one request), not its thread
    assert (
        comment_action(by_tracked=True, parent_known=False, parent_by_tracked=False)
        == SAVE_WITH_PARENT
    )
    assert comment_action(by_tracked=False, parent_known=True, parent_by_tracked=True) == SAVE
    assert comment_action(by_tracked=False, parent_known=False, parent_by_tracked=False) == SKIP
    assert comment_action(by_tracked=False, parent_known=True, parent_by_tracked=False) == SKIP


# -- the user event feed --------------------------------------------------------------------


def test_late_event_behind_a_newer_one_is_handled_at_the_next_poll():
    walk = EventWalk("alice", NOW + timedelta(hours=8))
    first = walk.first(None)
    assert first.conditional and first.path == "/users/alice/events/public"
    # poll 1 read events 102 and 101
    poll1 = walk.step(None, first, ok("e", [event(102, 400), event(101, 300)], etag="p1"))
    assert [e["id"] for e in poll1.items] == ["102", "101"]
    assert poll1.remember == ("e", "p1")
    # poll 2: a late approval (100, from before 101) now shows up behind them
    late = ok("e", [event(102, 400), event(101, 300), event(100, 200)], etag="p2")
    poll2 = walk.step(None, first, _known(late, {102, 101}))
    assert [e["id"] for e in poll2.items] == ["100"]  # no high-water mark hides it


def test_late_approval_across_polls_then_the_feed_is_a_free_304_again():
    """Was an end-to-end test against the stand-in: alice comments, her earlier approval's
    event shows up 3 h later behind the comment's, then nothing changes."""
    handled: set[int] = set()  # what the saver stored (the ids it reports as known)

    def poll(at: datetime, page: Page) -> plan.Step:
        walk = EventWalk("alice", at)
        step = walk.step(None, walk.first(None), _known(page, handled & _ids(page)))
        handled.update(int(e["id"]) for e in step.items)
        return step

    comment, approval = event(202, 1, "IssueCommentEvent"), event(201, 0)
    step = poll(NOW + timedelta(minutes=2), ok("e", [comment], etag="p1"))
    assert [e["id"] for e in step.items] == ["202"] and step.remember == ("e", "p1")
    step = poll(NOW + timedelta(hours=3), ok("e", [comment, approval], etag="p2"))
    assert [e["id"] for e in step.items] == ["201"]  # the late one, behind the newer one
    assert step.remember == ("e", "p2")  # the next poll sends this ETag...
    not_modified = page_from(url="e", status=304, data=None, etag=None, links={})
    assert poll(NOW + timedelta(hours=4), not_modified) == plan.Step()  # ...and gets a 304


def _ids(page: Page) -> set[int]:
    return {int(e["id"]) for e in page.items}


def test_event_feed_reads_on_while_late_events_can_still_hide():
    walk = EventWalk("alice", NOW)
    recent = ok("e1", [event(3, -10), event(2, -20)], next_url="e2", etag="p1")
    step = walk.step(None, walk.first(None), _known(recent, {3, 2}))
    assert step.items == () and step.next is not None  # nothing new, but less than 6 h back
    older = ok("e2", [event(1, -60 * 7)], next_url="e3")
    last = walk.step(None, step.next, _known(older, {1}))
    assert last.next is None and last.remember == ("e1", "p1")  # 7 h back and all seen: done


def test_event_feed_stops_after_its_last_page():
    walk = EventWalk("alice", NOW)
    request = Request("u", page=EVENT_PAGES)
    step = walk.step(None, request, ok("u", [event(9, -1)], next_url="more"))
    assert step.next is None


def test_event_feed_304_is_free_and_ends_the_walk():
    walk = EventWalk("alice", NOW)
    step = walk.step(
        None, walk.first(None), page_from(url="e", status=304, data=None, etag=None, links={})
    )
    assert step == type(step)()


def _known(page: Page, ids: set[int]) -> Page:
    return Page(
        page.url,
        page.not_modified,
        page.items,
        page.next_url,
        page.etag,
        page.incomplete,
        frozenset(ids),
    )


# -- searches -------------------------------------------------------------------------------

SEARCH = SearchWalk(
    "repo:pytorch/pytorch author:alice", None, None, PER_PAGE, "pytorch/pytorch: @alice: authored"
)


def test_search_full_page_moves_the_checkpoint_and_asks_from_there():
    first = SEARCH.first(None)
    assert first.resource == "search" and "created:>=" not in first.params["q"]
    step = SEARCH.step(
        None,
        first,
        ok("s", [search_hit(1, 1), search_hit(2, 2), search_hit(3, 3)], incomplete=False),
    )
    assert step.state == z(3) and step.complete
    assert f"created:>={z(3)}" in step.next.params["q"]
    short = SEARCH.step(step.state, step.next, ok("s", [search_hit(3, 3)], incomplete=False))
    assert short.state == DONE and short.next is None and short.complete
    assert SEARCH.first(DONE) is None


def test_incomplete_full_page_never_moves_the_checkpoint():
    first = SEARCH.first(z(0))
    page = ok("s", [search_hit(1, 1), search_hit(2, 2), search_hit(3, 3)], incomplete=True)
    step = SEARCH.step(z(0), first, page)
    assert step.state is None  # the checkpoint stays at z(0)
    assert step.next is not None and step.next.params == first.params and step.next.attempt == 2
    assert step.wait_s > 0


def test_incomplete_short_page_never_finishes_the_search():
    first = SEARCH.first(z(0))
    step = SEARCH.step(z(0), first, ok("s", [search_hit(1, 1)], incomplete=True))
    assert step.state is None and step.state != DONE and step.next is not None


def test_incomplete_search_gives_up_after_n_tries_with_a_warning_and_keeps_the_checkpoint():
    request = SEARCH.first(z(0))
    waits = []
    for _ in range(SEARCH_TRIES):
        step = SEARCH.step(z(0), request, ok("s", [search_hit(1, 1)], incomplete=True))
        assert step.state is None
        waits.append(step.wait_s)
        request = step.next
    assert request is None and not step.complete
    assert "incomplete 3 times" in step.warning and "next run retries" in step.warning
    assert waits[1] == 2 * waits[0]  # backoff doubles; the last ask does not wait
    assert waits[-1] == 0


def test_a_search_given_up_is_asked_again_from_the_same_checkpoint_by_the_next_run():
    asked = request = SEARCH.first(z(0))
    for _ in range(SEARCH_TRIES):
        step = SEARCH.step(z(0), request, ok("s", [search_hit(1, 1)], incomplete=True))
        request = step.next
    assert not step.complete and step.state is None  # the stored checkpoint stays z(0)
    again = SEARCH.first(z(0))  # the next run, from what is stored
    assert again.params == asked.params and f"created:>={z(0)}" in again.params["q"]
    assert again.attempt == 1  # a fresh set of tries
    done = SEARCH.step(z(0), again, ok("s", [search_hit(1, 1)], incomplete=False))
    assert done.state == DONE and done.complete


def test_reconciliation_search_carries_its_updated_floor():
    walk = SearchWalk("repo:o/n commenter:bob", "2026-01-01", z(-60), PER_PAGE, "o/n")
    q = walk.first(None).params["q"]
    assert "created:>=2026-01-01" in q and f"updated:>={z(-60)}" in q


# -- follow-up lists ------------------------------------------------------------------------


def test_one_page_list_keeps_its_etag_longer_list_does_not():
    walk = ListWalk("/repos/o/n/pulls/1/reviews", PER_PAGE)
    first = walk.first(None)
    single = walk.step(None, first, ok("r1", [{"id": 1}], etag="x"))
    assert single.remember == ("r1", "x") and single.next is None
    multi = walk.step(None, first, ok("r1", [{"id": 1}] * 3, next_url="r2", etag="x"))
    assert multi.remember is None and multi.next.path == "r2" and not multi.next.conditional
    last = walk.step(None, multi.next, ok("r2", [{"id": 4}], etag="y"))
    assert last.remember is None and last.next is None and len(last.items) == 1


def test_event_feed_first_read_stays_on_page_one():
    walk = EventWalk("alice", NOW, first_read=True)  # the first sync's searches cover history
    step = walk.step(None, walk.first(None), ok("e1", [event(3, -10)], next_url="e2", etag="p1"))
    assert [e["id"] for e in step.items] == ["3"] and step.next is None


def test_events_past_the_30_day_window_are_never_handed_on_again():
    walk = EventWalk("alice", NOW)  # their ids were pruned; a 90-day feed must not revive them
    step = walk.step(None, walk.first(None), ok("e1", [event(5, -10), event(4, -60 * 24 * 31)]))
    assert [e["id"] for e in step.items] == ["5"]


# -- real recorded responses (@octokit/fixtures, vendored in tests/fixtures/octokit) ----------

FIXTURES = Path(__file__).parent / "fixtures" / "octokit"


def _recorded(scenario: str) -> list[Page]:
    """The scenario's GET responses as the driver would parse them."""
    pages = []
    for r in json.loads((FIXTURES / scenario / "raw-fixture.json").read_text()):
        if r["method"] != "get":
            continue
        raw = r["rawHeaders"]
        headers = {raw[i].lower(): raw[i + 1] for i in range(0, len(raw), 2)}
        url = "https://api.github.com" + r["path"]
        pages.append(
            page_from(
                url=url,
                status=r["status"],
                data=r["response"],
                etag=headers.get("etag"),
                links=parse_links(headers.get("link")),
            )
        )
    return pages


def _walk(walk, state, pages: list[Page]):
    """Drive a walk over recorded pages in the order their Link headers chain them."""
    by_url = {p.url: p for p in pages}
    request, steps = walk.first(state), []
    page = pages[0]
    while True:
        step = walk.step(state, request, page)
        steps.append(step)
        state = step.state if step.state is not None else state
        if step.next is None:
            return steps, state
        request, page = step.next, by_url[step.next.path]


def test_recorded_issue_pages_stream_stops_at_the_checkpoint(monkeypatch):
    pages = _recorded("paginate-issues")  # 13 issues, 3 a page, newest first, Link rel=next
    # the recorded issues are 3 s apart: without the lag margin, to see where it stops
    monkeypatch.setattr(plan, "STREAM_MARGIN", timedelta(0))
    seen = pages[2].items[0]["updated_at"]  # issue #7: handled at the last poll
    walk = StreamWalk("/repos/o/n/issues", {}, per_page=3)
    steps, state = _walk(walk, StreamMark(since=seen, seen=seen).dump(), pages)
    handed = [obj["number"] for step in steps for obj in step.items]
    assert handed == [13, 12, 11, 10, 9, 8, 7]  # page 3 holds #6: older, so no page 4 or 5
    assert len(steps) == 3
    assert StreamMark.load(state).seen == pages[0].items[0]["updated_at"]
    assert steps[-1].remember == (pages[0].url, pages[0].etag)  # page 1's real ETag


def test_recorded_issue_pages_as_a_follow_up_list_read_every_page_and_keep_no_etag():
    pages = _recorded("paginate-issues")
    steps, _ = _walk(ListWalk("/repos/o/n/issues", per_page=3), None, pages)
    assert [obj["number"] for step in steps for obj in step.items] == list(range(13, 0, -1))
    assert all(step.remember is None for step in steps)  # 5 pages: a 304 would hide page 5


def test_recorded_search_response_completes_the_search():
    (page,) = _recorded("search-issues")
    assert page.incomplete is False and len(page.items) == 2
    walk = SearchWalk("repo:o/n sesame", None, None, 100, "o/n")
    step = walk.step(None, walk.first(None), page)
    assert step.state == DONE and step.next is None and len(step.items) == 2
