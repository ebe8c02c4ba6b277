"""Reverted and relanded PRs in a generated data set (`Realism.reverts`; pure).

PyTorch's merge bot reverts a landed PR by labelling it `Reverted` and reopening it;
`Merged` stays on, so a PR landed again carries both labels. A few of the tracked
users' bot-landed PRs and a few background ones get this treatment, seeded.
"""

from __future__ import annotations

from datetime import timedelta

from contribbot.fakehub import ops
from contribbot.fakehub.dataset import QUIET_BEFORE_NOW
from contribbot.fakehub.model import Dataset, Issue
from contribbot.fakehub.realism import unit
from contribbot.fakehub.vocab import MERGE_BOT

REVERT_SHARE = 0.08  # of bot-landed PRs
RELAND_SHARE = 0.5  # of reverted PRs
REVERTED_NOTE = "@{user} your PR has been successfully reverted."


def add_reverts(ds: Dataset, seed: int) -> list[Issue]:
    """Revert (and sometimes reland) a seeded few bot-landed PRs; return them."""
    latest = ds.now - QUIET_BEFORE_NOW
    touched = []
    for repo in ds.repos.values():
        for pr in list(repo.issues.values()):
            if not _landed_by_bot(pr) or unit(seed, "revert?", pr.id) >= REVERT_SHARE:
                continue
            assert pr.closed_at is not None
            reverted = pr.closed_at + timedelta(hours=2 + round(unit(seed, "at", pr.id) * 40))
            if reverted > latest:
                continue
            ops.add_comment(ds, pr, MERGE_BOT, REVERTED_NOTE.format(user=pr.user), reverted)
            ops.revert(ds, pr, MERGE_BOT, reverted)
            touched.append(pr)
            relanded = reverted + timedelta(days=1 + round(unit(seed, "reland", pr.id) * 3))
            if unit(seed, "reland?", pr.id) < RELAND_SHARE and relanded <= latest:
                ops.reland(ds, pr, MERGE_BOT, relanded)
    return touched


def _landed_by_bot(pr: Issue) -> bool:
    return pr.is_pr and pr.merged_by_label and ops.REVERTED_LABEL not in pr.labels
