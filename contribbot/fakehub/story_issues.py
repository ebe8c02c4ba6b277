"""The scripted good-first-issue candidates of pytorch/pytorch, one of each kind the
candidate rules tell apart, plus a `help wanted` issue in pytorch/tutorials."""

from __future__ import annotations

from datetime import timedelta

from contribbot.fakehub import ops
from contribbot.fakehub.dataset import PYTORCH, TUTORIALS, Gen, scripted_pr
from contribbot.fakehub.model import Issue

CLAIM = "I'd like to work on this!"
DECLINE = "Thanks, but we are not accepting PRs for this one until the design is settled."


def help_wanted(gen: Gen) -> Issue:
    """An open `help wanted` issue in pytorch/tutorials."""
    issue = ops.open_item(
        gen.ds,
        TUTORIALS,
        "maint-lin",
        "Add a tutorial section on torch.compile debugging",
        gen.ago(days=18),
        body="We would welcome a short section in beginner_source.",
        numbered=False,
    )
    ops.add_label(gen.ds, issue, "help wanted", "maint-lin", gen.ago(days=18, hours=-2))
    return issue


def _candidate(
    gen: Gen, found: dict[str, Issue], kind: str, days: float, module: str, body: str, title: str
) -> Issue:
    opened = gen.ago(days=days)
    issue = ops.open_item(
        gen.ds,
        PYTORCH,
        gen.other(),
        title,
        opened,
        body=body,
        labels=[module],
        label_actor="maint-lin",
        numbered=False,
    )
    ops.add_label(gen.ds, issue, "good first issue", "maint-lin", opened + timedelta(days=1))
    found[kind] = issue
    return issue


def _linked_pr(gen: Gen, issue: Issue, author: str, opened: float, updated: float) -> Issue:
    """An open PR by author that says it fixes issue, last touched `updated` days ago."""
    module = issue.labels[0]
    pr = scripted_pr(gen, author, PYTORCH, gen.ago(days=opened), module, body="Fixes {ref}")
    ops.cross_reference(gen.ds, issue, pr, pr.created_at)
    ops.add_comment(gen.ds, pr, author, "Rebased on main.", gen.ago(days=updated))
    return pr


def good_first_issues(gen: Gen, bob_pr: Issue) -> dict[str, Issue]:
    """The candidates by kind; bob_pr is the open PR of bob's that fixes one of them."""
    found: dict[str, Issue] = {}
    ds, ago = gen.ds, gen.ago
    free_nn = _candidate(
        gen,
        found,
        "free_nn",
        30,
        "module: nn",
        "The docstring of `gelu` in torch/nn/functional.py does not mention `approximate`.",
        "F.gelu docstring misses the approximate argument",
    )
    ops.add_label(ds, free_nn, "actionable", "maint-lin", ago(days=29))
    ops.add_comment(
        ds, free_nn, "maint-lin", "The fix goes in torch/nn/functional.py.", ago(days=29)
    )
    free_docs = _candidate(
        gen,
        found,
        "free_docs",
        25,
        "module: docs",
        "docs/source/notes/cuda.rst still mentions `torch.cuda.memory_cached`.",
        "CUDA notes mention a removed function",
    )
    ops.add_label(ds, free_docs, "module: bootcamp", "maint-lin", ago(days=24))
    ops.add_comment(ds, free_docs, "zoe-k", "+1, I hit this too.", ago(days=10))
    _candidate(
        gen,
        found,
        "free_quiet",
        15,
        "module: optim",
        "`OneCycleLR` gives an unhelpful error when `total_steps=0`.",
        "OneCycleLR error message for total_steps=0",
    )
    taken = _candidate(
        gen,
        found,
        "taken_pr",
        50,
        "module: nn",
        "`padding_idx` is ignored.",
        "nn.Embedding.from_pretrained ignores padding_idx",
    )
    _linked_pr(gen, taken, "kwon-ji", opened=6, updated=2)
    claimed = _candidate(
        gen,
        found,
        "taken_claim",
        20,
        "module: nn",
        "Typo in the error.",
        "Typo in nn.Unfold error message",
    )
    ops.add_comment(ds, claimed, "raj-patel", CLAIM, ago(days=3))
    declined = _candidate(
        gen,
        found,
        "claim_declined",
        35,
        "module: autograd",
        "Expose the engine's thread count.",
        "Make autograd thread count public",
    )
    ops.add_comment(ds, declined, "noor-h", CLAIM, ago(days=5))
    ops.add_comment(ds, declined, "maint-ada", DECLINE, ago(days=5, hours=-3))
    stale = _candidate(
        gen,
        found,
        "stale_claim",
        80,
        "module: docs",
        "Add an example.",
        "Add an example to the torch.compile FAQ",
    )
    ops.add_comment(ds, stale, "tomas-v", "can I take this?", ago(days=40))
    stale_pr = _candidate(
        gen,
        found,
        "stale_pr",
        120,
        "module: optim",
        "Missing check.",
        "LBFGS should validate history_size",
    )
    _linked_pr(gen, stale_pr, "mei-lin", opened=75, updated=60)
    assigned = _candidate(
        gen,
        found,
        "assigned",
        45,
        "module: cuda",
        "Wrong unit in message.",
        "torch.cuda.mem_get_info docs use the wrong unit",
    )
    ops.assign(ds, assigned, "omar-f", "maint-lin", ago(days=10))
    closed = _candidate(
        gen, found, "closed", 200, "module: nn", "Old typo.", "Typo in nn.Transformer docstring"
    )
    ops.close(ds, closed, "maint-ada", ago(days=90))
    mine = _candidate(
        gen,
        found,
        "mine_alice",
        14,
        "module: nn",
        "Add shape checks.",
        "nn.PixelShuffle should check the input rank",
    )
    ops.add_comment(ds, mine, "alice", "/take", ago(days=2))
    bobs = _candidate(
        gen,
        found,
        "mine_bob_pr",
        22,
        "module: docs",
        "The link is dead.",
        "Dead link in the nn docs",
    )
    ops.cross_reference(ds, bobs, bob_pr, bob_pr.created_at)
    return found
