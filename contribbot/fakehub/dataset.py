"""A deterministic, pytorch-like data set: `build_dataset(now, seed)`.

Pure: no clock, no I/O. Times are relative to `now` (the anchor) and whole seconds.
Background traffic comes from ~300 generated users plus maintainers and bots; the
tracked users (alice, bob, carol) and the good-first-issue candidates are scripted in
story.py so tests can rely on exact facts.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from contribbot.fakehub import ops, vocab
from contribbot.fakehub.model import Account, Dataset, FileChange, Issue, Repo

PYTORCH = "pytorch/pytorch"
TUTORIALS = "pytorch/tutorials"
# (pytorch items, tutorials items) of background traffic per size.
SIZES = {"small": (300, 40), "default": (2840, 130)}
HISTORY = timedelta(days=3 * 365)
# Background activity stops short of `now` so mutations always stamp later times.
QUIET_BEFORE_NOW = timedelta(minutes=10)
OTHER_USERS = 300


@dataclass
class Gen:
    """Generator state shared by the background and the scripted stories."""

    ds: Dataset
    rng: random.Random
    others: list[str]
    weights: list[float]
    by_repo: dict[str, list[Issue]] = field(default_factory=dict)
    times: dict[str, list[datetime]] = field(default_factory=dict)
    via_label: dict[str, float] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        """The anchor time."""
        return self.ds.now

    def ago(self, days: float = 0, hours: float = 0) -> datetime:
        """now minus the given span, on a whole second."""
        return self.now - timedelta(seconds=round(days * 86400 + hours * 3600))

    def after(self, at: datetime, lo_hours: float, hi_hours: float) -> datetime:
        """A random whole-second time between lo and hi hours after at."""
        return at + timedelta(seconds=round(self.rng.uniform(lo_hours, hi_hours) * 3600))

    def happened(self, at: datetime) -> bool:
        """Whether at lies far enough in the past to be in the data set."""
        return at <= self.now - QUIET_BEFORE_NOW

    def other(self, exclude: str = "") -> str:
        """A background user, prolific ones more often."""
        while True:
            login = self.rng.choices(self.others, cum_weights=self.weights)[0]
            if login != exclude:
                return login

    def pick_open_pr(self, repo: str, at: datetime, exclude: str) -> Issue:
        """A background PR by someone else that is open at `at` (made up when none is)."""
        found = self._open_at(repo, at, exclude, since=timedelta(days=12), prs_only=True)
        if found:
            return self.rng.choice(found)
        return background_pr(
            self, repo, self.after(at, -30, -3), via_label=self.via_label[repo], landed_after=at
        )

    def pick_item(self, repo: str, at: datetime, exclude: str) -> Issue:
        """A background issue or PR by someone else, open at `at`."""
        found = self._open_at(repo, at, exclude, since=timedelta(days=20), prs_only=False)
        return self.rng.choice(found) if found else self.pick_open_pr(repo, at, exclude)

    def _open_at(
        self, repo: str, at: datetime, exclude: str, *, since: timedelta, prs_only: bool
    ) -> list[Issue]:
        """Background items by others, opened `since` to 2 hours before `at`, open at `at`."""
        items, times = self.by_repo[repo], self.times[repo]
        lo = bisect_left(times, at - since)
        hi = bisect_left(times, at - timedelta(hours=2))
        return [
            i
            for i in items[lo:hi]
            if (i.is_pr or not prs_only)
            and i.user != exclude
            and (i.closed_at is None or i.closed_at > at)
        ]


def build_dataset(now: datetime, seed: int = 7, size: str = "default") -> Dataset:
    """Generate the whole data set anchored at now (deterministic for (now, seed, size))."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    anchor = now.astimezone(UTC).replace(microsecond=0)
    ds = Dataset(now=anchor, seed=seed, size=size)
    gen = _start(ds, random.Random(seed))
    pytorch_count, tutorials_count = SIZES[size]
    background(gen, PYTORCH, pytorch_count, via_label=0.97)
    background(gen, TUTORIALS, tutorials_count, via_label=0.0)
    from contribbot.fakehub import story  # story builds on this module's helpers

    written = story.write(gen)
    ops.finalize(ds)
    ds.candidates_by_kind = {kind: i.number for kind, i in written.candidates.items()}
    ds.alice_open_prs = {kind: i.number for kind, i in written.alice_open.items()}
    ds.landmarks = {name: (i.repo, i.number) for name, i in written.landmarks.items()}
    ds.alice_busiest_week = written.busy_week
    return ds


def _start(ds: Dataset, rng: random.Random) -> Gen:
    first_ids = (
        ("alice", 1, 3 * 365, "Alice Example"),
        ("bob", 2, 100, "Bob Newcomer"),
        ("carol", 3, 365, "Carol Quiet"),
        ("maint-ada", 4, 9 * 365, "Ada Maintainer"),
        ("maint-lin", 5, 8 * 365, "Lin Maintainer"),
    )
    for login, ident, age_days, name in first_ids:
        ds.accounts[login] = Account(login, ident, ds.now - timedelta(days=age_days), name)
    for offset, bot in enumerate(vocab.BOTS):
        kind = "Bot" if bot.endswith("[bot]") else "User"
        ds.accounts[bot] = Account(bot, 10 + offset, ds.now - timedelta(days=2500), kind=kind)
    ds.accounts["pytorch"] = Account(
        "pytorch", 21003710, ds.now - timedelta(days=3300), "PyTorch", kind="Organization"
    )
    for offset, login in enumerate(vocab.STORY_USERS):
        ds.accounts[login] = Account(login, 20 + offset, ds.now - timedelta(days=700 + offset))
    others = _other_logins(rng)
    for offset, login in enumerate(others):
        age = timedelta(days=rng.randint(400, 4000))
        ds.accounts[login] = Account(login, 100 + offset, ds.now - age)
    weights = list(accumulate(1.0 / (rank + 3) for rank in range(len(others))))
    for repo_id, full_name, members in (
        (65600975, PYTORCH, (*vocab.MAINTAINERS, vocab.MERGE_BOT, vocab.IMPORT_BOT)),
        (114651416, TUTORIALS, vocab.MAINTAINERS),
    ):
        owner, name = full_name.split("/")
        description = f"{name}: Tensors and dynamic neural networks in Python"
        created = ds.now - timedelta(days=3000)
        ds.repos[full_name] = Repo(owner, name, repo_id, description, created, members)
        for label, color, text in vocab.LABELS:
            ops.ensure_label(ds, full_name, label)
            ds.repos[full_name].labels[label].color = color
            ds.repos[full_name].labels[label].description = text
    return Gen(ds, rng, others, weights)


def _other_logins(rng: random.Random) -> list[str]:
    pool = [f"{first}-{last}" for first in vocab.FIRST_NAMES for last in vocab.LAST_PARTS]
    return rng.sample(pool, OTHER_USERS)


def background(gen: Gen, repo: str, count: int, *, via_label: float) -> None:
    """Add count items of ordinary traffic to repo over the last three years."""
    span = HISTORY.total_seconds()
    gen.via_label[repo] = via_label
    created: list[Issue] = []
    for _ in range(count):
        at = gen.now - HISTORY + timedelta(seconds=round(gen.rng.random() * span))
        if not gen.happened(at + timedelta(hours=1)):
            continue
        if gen.rng.random() < 0.55:
            created.append(background_pr(gen, repo, at, via_label=via_label))
        else:
            created.append(background_issue(gen, repo, at))
    gen.by_repo[repo] = sorted(created, key=lambda i: i.created_at)
    gen.times[repo] = [i.created_at for i in gen.by_repo[repo]]


def _module(gen: Gen) -> str:
    return gen.rng.choice(vocab.MODULE_LABELS)


def pr_title(gen: Gen, module: str) -> str:
    """A plausible PR title about module."""
    thing = gen.rng.choice(vocab.PR_OBJECTS).format(api=gen.rng.choice(vocab.MODULE_APIS[module]))
    return f"{gen.rng.choice(vocab.PR_VERBS)} {thing}"


def issue_title(gen: Gen, module: str) -> str:
    """A plausible issue title about module."""
    api = gen.rng.choice(vocab.MODULE_APIS[module])
    return gen.rng.choice(vocab.ISSUE_TEMPLATES).format(api=api)


def pr_files(gen: Gen, module: str, count: int = 0) -> list[FileChange]:
    """Files a PR about module touches."""
    paths = vocab.MODULE_FILES[module]
    chosen = gen.rng.sample(paths, count or gen.rng.randint(1, len(paths)))
    return [FileChange(p, gen.rng.randint(1, 80), gen.rng.randint(0, 40)) for p in chosen]


def background_pr(
    gen: Gen,
    repo: str,
    at: datetime,
    *,
    via_label: float,
    landed_after: datetime | None = None,
) -> Issue:
    """One PR by a background user, with bot chatter, reviews and its fate."""
    rng = gen.rng
    author, module = gen.other(), _module(gen)
    labels = ["open source", module] if repo == PYTORCH else []
    pr = ops.open_item(
        gen.ds,
        repo,
        author,
        pr_title(gen, module),
        at,
        body="Fixes a bug reported on the forums.",
        is_pr=True,
        labels=labels,
        label_actor=vocab.DR_CI,
        files=pr_files(gen, module),
        numbered=False,
    )
    if repo == PYTORCH:
        ops.add_comment(gen.ds, pr, vocab.DR_CI, vocab.DR_CI_BODY, gen.after(at, 0.02, 0.05))
        if rng.random() < 0.25:
            body = vocab.IMPORTED.format(author=author, diff=rng.randint(10**7, 10**8))
            ops.add_comment(gen.ds, pr, vocab.IMPORT_BOT, body, gen.after(at, 1, 3))
    end = gen.after(at, 2, max(2.5, 24 * rng.expovariate(1 / 6)))
    if landed_after is not None:
        end = max(end, gen.after(landed_after, 6, 72))
    _background_reviews(gen, pr, at, min(end, gen.now))
    _chatter(gen, pr, at, min(end, gen.now), rng.choice((0, 0, 1, 1, 2)))
    if not gen.happened(end) or rng.random() < 0.05:
        pr.draft = rng.random() < 0.15
        if rng.random() < 0.5:
            pr.requested_reviewers.append(rng.choice(vocab.MAINTAINERS))
        return pr
    _land_or_close(gen, pr, end, via_label)
    return pr


def _land_or_close(gen: Gen, pr: Issue, end: datetime, via_label: float) -> None:
    roll = gen.rng.random()
    maintainer = gen.rng.choice(vocab.MAINTAINERS)
    if roll < 0.85 * via_label:
        land_via_bot(gen, pr, end, commander=gen.rng.choice((pr.user, maintainer)))
    elif roll < 0.85:
        ops.add_review(gen.ds, pr, maintainer, "APPROVED", "LGTM", end - timedelta(minutes=30))
        ops.merge(gen.ds, pr, maintainer, end, via_label=False)
    else:
        ops.close(gen.ds, pr, gen.rng.choice((pr.user, maintainer)), end)


def scripted_pr(
    gen: Gen,
    login: str,
    repo: str,
    at: datetime,
    module: str,
    *,
    title: str | None = None,
    body: str = "Small fix, with a test.",
    draft: bool = False,
) -> Issue:
    """A PR with the labels and files its module implies, plus the Dr. CI comment."""
    labels = ["open source", module] if repo == PYTORCH else [module]
    pr = ops.open_item(
        gen.ds,
        repo,
        login,
        title or pr_title(gen, module),
        at,
        body=body,
        is_pr=True,
        labels=labels,
        label_actor=vocab.DR_CI,
        files=pr_files(gen, module, 2),
        draft=draft,
        numbered=False,
    )
    if repo == PYTORCH:
        ops.add_comment(gen.ds, pr, vocab.DR_CI, vocab.DR_CI_BODY, at + timedelta(minutes=2))
    return pr


def land_via_bot(gen: Gen, pr: Issue, end: datetime, commander: str) -> None:
    """The PyTorch way: approve, `@pytorchbot merge`, bot closes and labels `Merged`."""
    maintainer = gen.rng.choice(vocab.MAINTAINERS)
    approver = maintainer if maintainer != pr.user else "maint-lin"
    ops.add_review(gen.ds, pr, approver, "APPROVED", "LGTM", end - timedelta(hours=2))
    ops.add_comment(gen.ds, pr, commander, vocab.MERGE_COMMAND, end - timedelta(minutes=35))
    ops.add_comment(gen.ds, pr, vocab.MERGE_BOT, vocab.MERGE_STARTED, end - timedelta(minutes=34))
    ops.merge(gen.ds, pr, vocab.MERGE_BOT, end, via_label=True)


def _background_reviews(gen: Gen, pr: Issue, start: datetime, end: datetime) -> None:
    rng = gen.rng
    if rng.random() < 0.3:
        at = start + (end - start) * 0.3
        at = at.replace(microsecond=0)
        if gen.happened(at):
            review = ops.add_review(
                gen.ds,
                pr,
                rng.choice(vocab.MAINTAINERS),
                "CHANGES_REQUESTED",
                rng.choice(vocab.REVIEW_BODIES["CHANGES_REQUESTED"]),
                at,
            )
            if rng.random() < 0.5 and pr.files:
                body = rng.choice(vocab.INLINE_BODIES)
                ops.add_review_comment(gen.ds, review, body, pr.files[0].filename, at)
    if rng.random() < 0.25:
        at = (start + (end - start) * 0.5).replace(microsecond=0)
        if gen.happened(at):
            ops.add_review(gen.ds, pr, gen.other(pr.user), "COMMENTED", "A few nits.", at)


def _chatter(gen: Gen, issue: Issue, start: datetime, end: datetime, count: int) -> None:
    span = max((end - start).total_seconds(), 60.0)
    for _ in range(count):
        at = start + timedelta(seconds=round(gen.rng.uniform(0.1, 0.9) * span))
        if not gen.happened(at):
            continue
        who = gen.rng.choice((gen.other(issue.user), issue.user, *vocab.MAINTAINERS))
        ops.add_comment(gen.ds, issue, who, gen.rng.choice(vocab.HUMAN_COMMENTS), at)


def background_issue(gen: Gen, repo: str, at: datetime) -> Issue:
    """One issue by a background user: triage labels, discussion, maybe closed."""
    rng = gen.rng
    module = _module(gen)
    extra = [] if rng.random() < 0.9 else [rng.choice(("high priority", "needs design"))]
    issue = ops.open_item(
        gen.ds,
        repo,
        gen.other(),
        issue_title(gen, module),
        at,
        body="### 🐛 Describe the bug\nSee title.",
        labels=[module, *extra],
        label_actor=rng.choice(vocab.MAINTAINERS),
        numbered=False,
    )
    end = gen.after(at, 6, max(6.5, 24 * rng.expovariate(1 / 30)))
    triaged = gen.after(at, 20, 30)
    if rng.random() < 0.5 and gen.happened(triaged):
        ops.add_label(gen.ds, issue, "triaged", rng.choice(vocab.MAINTAINERS), triaged)
    _chatter(gen, issue, at, min(end, gen.now), rng.choice((0, 1, 1, 2, 3)))
    if gen.happened(end) and rng.random() < 0.6:
        ops.close(gen.ds, issue, rng.choice((issue.user, *vocab.MAINTAINERS)), end)
    return issue
