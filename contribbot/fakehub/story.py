"""The scripted part of the data set: alice, bob and carol (candidates: story_issues.py).

Counts here are exact (not drawn at random) so tests can state them; only the targets of
alice's and bob's reviews and comments (background items) are picked at random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contribbot.fakehub import ops, vocab
from contribbot.fakehub.dataset import PYTORCH, TUTORIALS, Gen, land_via_bot, scripted_pr
from contribbot.fakehub.model import Issue
from contribbot.fakehub.story_issues import good_first_issues, help_wanted

ALICE, BOB = "alice", "bob"
XSS_TITLE = "Fix <script>alert(1)</script> in **nn.Linear** docs & <!channel> @**all** 🎉"
ALICE_COMMENTS = 150
BOB_COMMENTS = 12
# alice's submitted reviews of other people's PRs, by final state.
ALICE_REVIEWS = {"APPROVED": 36, "CHANGES_REQUESTED": 14, "COMMENTED": 29, "DISMISSED": 1}
ALICE_HISTORY = timedelta(days=730)
BUSY_PRS, BUSY_REVIEWS, BUSY_COMMENTS = 6, 12, 20


@dataclass
class Story:
    """Scripted items by name, turned into numbers once the data set is numbered."""

    candidates: dict[str, Issue] = field(default_factory=dict)
    alice_open: dict[str, Issue] = field(default_factory=dict)
    landmarks: dict[str, Issue] = field(default_factory=dict)
    busy_week: datetime | None = None


def write(gen: Gen) -> Story:
    """Add every scripted user and candidate to gen's data set."""
    story = Story()
    story.busy_week = _busy_week(gen.now)
    bob_pr = _bob(gen, story)
    story.candidates.update(good_first_issues(gen, bob_pr))
    _alice(gen, story)
    _top_up_comments(gen, ALICE, ALICE_COMMENTS, gen.now - ALICE_HISTORY, story)
    _top_up_comments(gen, BOB, BOB_COMMENTS, gen.ago(days=88), story)
    story.landmarks["tutorials_help_wanted"] = help_wanted(gen)
    return story


def _busy_week(now: datetime) -> datetime:
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0)
    return monday - timedelta(weeks=3)


def _busy_time(gen: Gen, story: Story) -> datetime:
    """Tuesday 08:00 to Thursday 20:00 UTC of the busy week: the same week in any zone."""
    assert story.busy_week is not None
    return gen.after(story.busy_week, 32, 92)


def _spread_time(gen: Gen, story: Story, start: datetime) -> datetime:
    """A time in [start, now - 9 days] that stays clear of the busy week."""
    assert story.busy_week is not None
    while True:
        at = gen.after(start, 0, (gen.ago(days=9) - start).total_seconds() / 3600)
        if not story.busy_week - timedelta(days=2) <= at < story.busy_week + timedelta(days=9):
            return at


# alice ---------------------------------------------------------------------------------


def _alice(gen: Gen, story: Story) -> None:
    _alice_open_prs(gen, story)
    busy = [_busy_time(gen, story) for _ in range(BUSY_PRS)]
    start = gen.now - ALICE_HISTORY
    spread = [_spread_time(gen, story, start) for _ in range(40 + 2 + 5)]
    hostile = None
    for index, at in enumerate(sorted(busy)):
        title = XSS_TITLE if index == 2 else None
        pr = _alice_landed(gen, at, hours=(3, 20), title=title)
        if title:
            hostile = pr
    quiet = [_alice_landed(gen, at, hours=(24, 144)) for at in spread[:40]]
    # The hostile title stays in the data set for the escaping tests, but in a quiet week, so
    # the demo's showcase (the busiest week) does not open with it. Titles are swapped after
    # the fact: every random draw stays where it was, so the rest of the data set is unchanged.
    assert hostile is not None
    hostile.title, quiet[0].title = quiet[0].title, hostile.title
    story.landmarks["xss_pr"] = quiet[0]
    for at in spread[40:42]:
        pr = scripted_pr(gen, ALICE, PYTORCH, at, "module: nn")
        end = gen.after(at, 24, 96)
        ops.add_review(gen.ds, pr, "maint-ada", "APPROVED", "LGTM", end - timedelta(hours=1))
        ops.merge(gen.ds, pr, "maint-ada", end, via_label=False)
    for at in spread[42:]:
        pr = scripted_pr(gen, ALICE, PYTORCH, at, "module: nn")
        end = gen.after(at, 24, 240)
        ops.add_comment(gen.ds, pr, ALICE, "Closing: superseded by a better approach.", end)
        ops.close(gen.ds, pr, ALICE, end)
    _alice_issues(gen, story)
    _alice_reviews(gen, story)
    for _ in range(BUSY_COMMENTS):
        at = _busy_time(gen, story)
        target = gen.pick_item(PYTORCH, at, ALICE)
        ops.add_comment(gen.ds, target, ALICE, gen.rng.choice(vocab.HUMAN_COMMENTS), at)


def _alice_landed(
    gen: Gen, at: datetime, hours: tuple[int, int], title: str | None = None
) -> Issue:
    module = "module: nn" if gen.rng.random() < 0.85 else "module: optim"
    pr = scripted_pr(gen, ALICE, PYTORCH, at, module, title=title)
    end = gen.after(at, *hours)
    if gen.rng.random() < 0.45:
        asked = at + (end - at) * 0.3
        review = ops.add_review(
            gen.ds, pr, "maint-lin", "CHANGES_REQUESTED", "Please add a test.", asked
        )
        ops.add_review_comment(gen.ds, review, "Needs a test here.", pr.files[0].filename, asked)
        reply = (at + (end - at) * 0.5).replace(microsecond=0)
        ops.add_comment(gen.ds, pr, ALICE, "Added the test, thanks for the review!", reply)
    land_via_bot(gen, pr, end, commander=ALICE)
    return pr


def _alice_open_prs(gen: Gen, story: Story) -> None:
    """One open PR in every review situation the report distinguishes."""
    ds, ago = gen.ds, gen.ago
    waiting = scripted_pr(
        gen, ALICE, PYTORCH, ago(days=4), "module: nn", title="Add bias init to nn.Bilinear"
    )
    waiting.requested_reviewers.append("maint-ada")
    ops.add_review(ds, waiting, "maint-ada", "PENDING", "draft notes", ago(days=1))

    changes = scripted_pr(gen, ALICE, PYTORCH, ago(days=9), "module: nn")
    review = ops.add_review(
        ds, changes, "maint-ada", "CHANGES_REQUESTED", "Please cover channels-last.", ago(days=3)
    )
    ops.add_review_comment(
        ds, review, "What about channels-last?", "torch/nn/functional.py", ago(days=3), line=120
    )

    approved = scripted_pr(gen, ALICE, PYTORCH, ago(days=12), "module: nn")
    ops.add_review(ds, approved, "maint-lin", "APPROVED", "LGTM, thanks!", ago(days=2))

    draft = scripted_pr(gen, ALICE, PYTORCH, ago(days=6), "module: nn", draft=True)

    replied = scripted_pr(gen, ALICE, PYTORCH, ago(days=16), "module: nn")
    asked = ops.add_review(
        ds,
        replied,
        "maint-ada",
        "CHANGES_REQUESTED",
        "The check belongs in the helper.",
        ago(days=7),
    )
    question = ops.add_review_comment(
        ds,
        asked,
        "Move this into `_verify_batch_size`?",
        "torch/nn/functional.py",
        ago(days=7),
        line=2410,
    )
    ops.add_comment(
        ds,
        replied,
        ALICE,
        "Thanks! I moved the check into `_verify_batch_size` and added a test.",
        ago(days=5),
    )
    answer = ops.add_review(ds, replied, ALICE, "COMMENTED", "", ago(days=5, hours=-0.2))
    ops.add_review_comment(
        ds,
        answer,
        "Done, moved it.",
        "torch/nn/functional.py",
        ago(days=5, hours=-0.2),
        line=2410,
        reply_to=question,
    )

    idle = scripted_pr(gen, ALICE, PYTORCH, ago(days=70), "module: nn")
    ops.add_review(ds, idle, "maint-lin", "COMMENTED", "Could you rebase?", ago(days=55))
    ops.add_comment(ds, idle, ALICE, "Rebased on main.", ago(days=45))

    story.alice_open.update(
        awaiting_review=waiting,
        changes_requested=changes,
        approved=approved,
        draft=draft,
        author_replied=replied,
        idle=idle,
    )


def _alice_issues(gen: Gen, story: Story) -> None:
    start = gen.now - ALICE_HISTORY
    for index in range(15):
        fixed = {0: gen.ago(days=400), 1: gen.ago(days=20)}
        at = fixed.get(index) or _spread_time(gen, story, start)
        issue = ops.open_item(
            gen.ds,
            PYTORCH,
            ALICE,
            f"nn.MultiheadAttention: problem {index + 1} with masks",
            at,
            body="Repro attached.",
            labels=["module: nn"],
            label_actor="maint-lin",
            numbered=False,
        )
        ops.add_label(gen.ds, issue, "triaged", "maint-lin", gen.after(at, 5, 30))
        ops.add_comment(gen.ds, issue, "maint-ada", "Thanks, confirmed.", gen.after(at, 30, 60))
        if index == 0:
            _every_event(gen, story, issue)
        elif 2 <= index < 11:
            ops.close(gen.ds, issue, "maint-ada", gen.after(at, 48, 200))


def _every_event(gen: Gen, story: Story, issue: Issue) -> None:
    """One issue whose timeline holds every kind of event the stand-in serves."""
    ds, at = gen.ds, issue.created_at
    ops.add_label(ds, issue, "high priority", "maint-ada", at + timedelta(days=3))
    ops.remove_label(ds, issue, "high priority", "maint-ada", at + timedelta(days=4))
    ops.assign(ds, issue, "maint-lin", "maint-ada", at + timedelta(days=4))
    ops.unassign(ds, issue, "maint-lin", "maint-ada", at + timedelta(days=5))
    ops.close(ds, issue, "maint-ada", at + timedelta(days=6), reason="not_planned")
    ops.reopen(ds, issue, ALICE, at + timedelta(days=7))
    ops.add_comment(ds, issue, ALICE, "Still happens on main, reopening.", at + timedelta(days=7))
    fix = scripted_pr(gen, ALICE, PYTORCH, at + timedelta(days=8), "module: nn", body="Fixes {ref}")
    ops.cross_reference(ds, issue, fix, fix.created_at)
    land_via_bot(gen, fix, at + timedelta(days=10), commander=ALICE)
    ops.close(ds, issue, "maint-ada", at + timedelta(days=10, minutes=5))
    story.landmarks["every_event_issue"] = issue


def _alice_reviews(gen: Gen, story: Story) -> None:
    states = [state for state, count in ALICE_REVIEWS.items() for _ in range(count)]
    gen.rng.shuffle(states)
    start = gen.now - ALICE_HISTORY
    for index, state in enumerate(states):
        at = _busy_time(gen, story) if index < BUSY_REVIEWS else _spread_time(gen, story, start)
        pr = gen.pick_open_pr(PYTORCH, at, ALICE)
        given = "CHANGES_REQUESTED" if state == "DISMISSED" else state
        review = ops.add_review(gen.ds, pr, ALICE, given, vocab.REVIEW_BODIES[given][0], at)
        if state in ("CHANGES_REQUESTED", "COMMENTED") and gen.rng.random() < 0.4:
            path = pr.files[0].filename if pr.files else "torch/nn/functional.py"
            ops.add_review_comment(gen.ds, review, gen.rng.choice(vocab.INLINE_BODIES), path, at)
        if state == "DISMISSED":
            ops.dismiss_review(review, at + timedelta(days=1))
    pending = gen.pick_open_pr(PYTORCH, gen.ago(hours=5), ALICE)
    ops.add_review(gen.ds, pending, ALICE, "PENDING", "", gen.ago(hours=5))


def _top_up_comments(gen: Gen, login: str, total: int, start: datetime, story: Story) -> None:
    """Comment on other people's items until login has exactly total comments."""
    existing = sum(
        1
        for repo in gen.ds.repos.values()
        for issue in (*repo.issues.values(), *repo.pending)
        for comment in issue.comments
        if comment.user == login
    )
    for _ in range(total - existing):
        at = _spread_time(gen, story, start)
        repo = PYTORCH if login == ALICE or gen.rng.random() < 0.6 else TUTORIALS
        target = gen.pick_item(repo, at, login)
        ops.add_comment(gen.ds, target, login, gen.rng.choice(vocab.HUMAN_COMMENTS), at)


# bob -----------------------------------------------------------------------------------


def _bob(gen: Gen, story: Story) -> Issue:
    """bob's three months: ten docs PRs over both repos, three issues, four reviews."""
    ds, ago = gen.ds, gen.ago
    for days in (85, 60, 20):
        pr = scripted_pr(gen, BOB, PYTORCH, ago(days=days), "module: docs")
        land_via_bot(gen, pr, ago(days=days - 3), commander="maint-lin")
        ops.add_comment(ds, pr, BOB, "Thanks for merging!", ago(days=days - 3, hours=-1))
    unmerged = scripted_pr(gen, BOB, PYTORCH, ago(days=40), "module: docs")
    ops.add_comment(
        ds, unmerged, "maint-ada", "This page is generated; please edit the source.", ago(days=39)
    )
    ops.close(ds, unmerged, BOB, ago(days=38))
    linked = scripted_pr(gen, BOB, PYTORCH, ago(days=8), "module: docs", body="Fixes {ref}")
    scripted_pr(gen, BOB, PYTORCH, ago(days=3), "module: docs")
    for days in (75, 50, 30):
        pr = scripted_pr(gen, BOB, TUTORIALS, ago(days=days), "module: docs")
        ops.add_review(ds, pr, "maint-lin", "APPROVED", "Thanks!", ago(days=days - 2))
        ops.merge(ds, pr, "maint-lin", ago(days=days - 2, hours=-1), via_label=False)
    scripted_pr(gen, BOB, TUTORIALS, ago(days=5), "module: docs")
    for repo, days, closed in ((PYTORCH, 88, True), (PYTORCH, 35, False), (TUTORIALS, 65, True)):
        issue = ops.open_item(
            ds,
            repo,
            BOB,
            "Broken link in the docs",
            ago(days=days),
            body="The link 404s.",
            labels=["module: docs"],
            label_actor="maint-lin",
            numbered=False,
        )
        if closed:
            ops.close(ds, issue, "maint-lin", ago(days=days - 4))
    for days in (70, 45, 25, 12):
        pr = gen.pick_open_pr(TUTORIALS, ago(days=days), BOB)
        state = "APPROVED" if days < 40 else "COMMENTED"
        ops.add_review(ds, pr, BOB, state, "Read through it, looks clear to me.", ago(days=days))
    story.landmarks["bob_linked_pr"] = linked
    return linked
