"""Is a good-first-issue still free for this user? Availability from an issue and its timeline.

Pure: plain data in, an `Availability` out; `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contribbot.candidates.claims import Claim, Facts, MentionedPull
from contribbot.candidates.model import (
    Availability,
    CandidateIssue,
    PullRef,
    Rules,
    TimelineEntry,
    format_age,
    same_login,
)

ASK_FIRST = "ask politely before starting"


def assess(
    issue: CandidateIssue,
    timeline: Sequence[TimelineEntry],
    user: str,
    now: datetime,
    rules: Rules | None = None,
) -> Availability:
    """Decide whether `user` can pick `issue` up today: free, stale_claim, taken or mine.

    The first rule that applies wins:

    1. the issue is closed -> taken;
    2. the user is assigned -> mine; 3. someone else is assigned -> taken
       (assignment is a maintainer's decision, so it beats PRs and claims);
    4. the user has an open PR -> mine, unless that PR went quiet past the PR
       window while someone else's open PR is fresh;
    5. someone else's open PR, fresh (updated, or its author heard from on the
       issue, within the PR window) -> taken;
    6. the earliest live claim whose claimant is fresh (claimed, or heard from
       since, within the claim window) holds it: the user's -> mine, anyone
       else's -> taken (first come, first served);
    7. the user's own older live claim -> mine;
    8. someone else's older open PR or live claim -> stale_claim;
    9. otherwise free.

    A claim is a non-maintainer comment with a claim phrase (the user's own
    comments always count: maintainers rarely claim, but often ask "is anyone
    working on this?"). It stops being live when its author withdraws it or a
    maintainer turns it down. A later maintainer comment with a decline phrase
    that starts with "@someone" turns down that person's claims; one that
    starts otherwise turns down the claims made since a maintainer last spoke.
    Closed or merged PRs never hold an issue. Reasons also note turned-down and
    withdrawn claims and closed PRs.
    """
    rules = rules or Rules()
    entries = sorted(timeline, key=lambda e: e.at)
    facts = Facts.gather(issue, entries, rules, user)
    ctx = _Context(issue=issue, entries=entries, user=user, now=now, rules=rules, facts=facts)
    verdict = (
        _closed(ctx)
        or _assignment(ctx)
        or _pull_requests(ctx)
        or _fresh_claims(ctx)
        or _stale(ctx)
        or Availability(status="free")
    )
    notes = _notes(ctx)
    return Availability(
        status=verdict.status,
        taken_by=verdict.taken_by,
        pr=verdict.pr,
        reasons=verdict.reasons + notes,
        taken_at=verdict.taken_at,
    )


# --- the rules, in order ------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    issue: CandidateIssue
    entries: Sequence[TimelineEntry]
    user: str
    now: datetime
    rules: Rules
    facts: Facts

    def fresh(self, last: datetime, window_days: int) -> bool:
        return self.now - last <= timedelta(days=window_days)

    def pull_fresh(self, pull: MentionedPull) -> bool:
        last = self.facts.last_sign(pull.ref.author, pull.ref.updated_at)
        return self.fresh(last, self.rules.pr_window_days)

    def claim_fresh(self, claim: Claim) -> bool:
        last = self.facts.last_sign(claim.login, claim.at)
        return self.fresh(last, self.rules.claim_window_days)


def _closed(ctx: _Context) -> Availability | None:
    if ctx.issue.state.lower() != "closed":
        return None
    closings = [e.at for e in ctx.entries if e.event == "closed"]
    return Availability(
        status="taken", reasons=("the issue is closed",), taken_at=max(closings, default=None)
    )


def _assignment(ctx: _Context) -> Availability | None:
    assignees = ctx.issue.assignees
    if any(same_login(a, ctx.user) for a in assignees):
        return Availability(
            status="mine",
            taken_by=ctx.user,
            reasons=("assigned to you",),
            taken_at=_assigned_at(ctx.entries, ctx.user),
        )
    if not assignees:
        return None
    return Availability(
        status="taken",
        taken_by=assignees[0],
        reasons=tuple(f"assigned to @{a}" for a in assignees),
        taken_at=_assigned_at(ctx.entries, assignees[0]),
    )


def _assigned_at(entries: Sequence[TimelineEntry], login: str) -> datetime | None:
    times = [e.at for e in entries if e.event == "assigned" and same_login(e.assignee, login)]
    return max(times, default=None)


def _pull_requests(ctx: _Context) -> Availability | None:
    open_pulls = [p for p in ctx.facts.pulls if p.ref.state == "open"]
    mine = sorted(
        (p for p in open_pulls if same_login(p.ref.author, ctx.user)),
        key=lambda p: p.ref.updated_at,
        reverse=True,
    )
    rivals = sorted(
        (p for p in open_pulls if not same_login(p.ref.author, ctx.user) and ctx.pull_fresh(p)),
        key=lambda p: p.first_mentioned,
    )
    if mine and (not rivals or ctx.pull_fresh(mine[0])):
        own = _pull_reason(ctx, mine[0], "your PR {ref}, open, updated {age}")
        return Availability(
            status="mine",
            taken_by=ctx.user,
            pr=mine[0].ref,
            reasons=(own, *(_pull_reason(ctx, p) for p in rivals)),
            taken_at=mine[0].first_mentioned,
        )
    if not rivals:
        return None
    return Availability(
        status="taken",
        taken_by=rivals[0].ref.author,
        pr=rivals[0].ref,
        reasons=tuple(_pull_reason(ctx, p) for p in rivals),
        taken_at=rivals[0].first_mentioned,
    )


def _pull_reason(
    ctx: _Context, pull: MentionedPull, template: str = "PR {ref} by @{author}, open, updated {age}"
) -> str:
    ref = pull.ref
    return template.format(
        ref=ref.ref(ctx.issue.repo), author=ref.author, age=format_age(ref.updated_at, ctx.now)
    )


def _fresh_claims(ctx: _Context) -> Availability | None:
    live = [c for c in ctx.facts.claims if c.live]
    holders = [c for c in live if ctx.claim_fresh(c)]
    if holders:
        holder = holders[0]
        mine = same_login(holder.login, ctx.user)
        return Availability(
            status="mine" if mine else "taken",
            taken_by=ctx.user if mine else holder.login,
            reasons=tuple(
                _claim_reason(ctx, c) + _heard_since(ctx, c.login, c.at) for c in holders
            ),
            taken_at=holder.at,
        )
    own = [c for c in live if same_login(c.login, ctx.user)]
    if not own:
        return None
    return Availability(
        status="mine",
        taken_by=ctx.user,
        reasons=(_claim_reason(ctx, own[0]) + _quiet_since(ctx, own[0].login, own[0].at),),
        taken_at=own[0].at,
    )


def _claim_reason(ctx: _Context, claim: Claim) -> str:
    who = "you claimed it" if same_login(claim.login, ctx.user) else f"claimed by @{claim.login}"
    return f"{who} {format_age(claim.at, ctx.now)}: “{claim.excerpt}”"


def _heard_since(ctx: _Context, login: str, since: datetime) -> str:
    """Say when the person last spoke, if that was after `since`."""
    last = format_age(ctx.facts.last_sign(login, since), ctx.now)
    return "" if last == format_age(since, ctx.now) else f", last heard from {last}"


def _quiet_since(ctx: _Context, login: str, since: datetime) -> str:
    return _heard_since(ctx, login, since) or " with nothing since"


@dataclass(frozen=True)
class _Hold:
    login: str
    last: datetime  # last sign of life
    since: datetime  # when the hold began
    text: str
    pr: PullRef | None = None


def _stale(ctx: _Context) -> Availability | None:
    """Others' open PRs and live claims that went quiet: free, but ask first."""
    holds = [
        _Hold(
            login=p.ref.author,
            last=ctx.facts.last_sign(p.ref.author, p.ref.updated_at),
            since=p.first_mentioned,
            text=_pull_reason(ctx, p, "PR {ref} by @{author}, open, last updated {age}")
            + _quiet_since(ctx, p.ref.author, p.ref.updated_at),
            pr=p.ref,
        )
        for p in ctx.facts.pulls
        if p.ref.state == "open" and not same_login(p.ref.author, ctx.user)
    ]
    holds += [
        _Hold(
            login=c.login,
            last=ctx.facts.last_sign(c.login, c.at),
            since=c.at,
            text=f"claimed by @{c.login} {format_age(c.at, ctx.now)}"
            + _quiet_since(ctx, c.login, c.at),
        )
        for c in ctx.facts.claims
        if c.live and not same_login(c.login, ctx.user)
    ]
    if not holds:
        return None
    holds.sort(key=lambda h: h.last, reverse=True)
    return Availability(
        status="stale_claim",
        taken_by=holds[0].login,
        pr=holds[0].pr,
        reasons=tuple(f"{h.text}: {ASK_FIRST}" for h in holds),
        taken_at=holds[0].since,
    )


def _notes(ctx: _Context) -> tuple[str, ...]:
    """Facts that do not hold the issue but that a person would want to check."""
    notes = []
    for claim in ctx.facts.claims:
        who = "your claim" if same_login(claim.login, ctx.user) else f"claim by @{claim.login}"
        age = format_age(claim.at, ctx.now)
        if claim.turned_down is not None:
            notes.append(f"{who} {age} was turned down by @{claim.turned_down[0]}")
        elif claim.withdrawn_at is not None:
            notes.append(f"{who} {age} was withdrawn {format_age(claim.withdrawn_at, ctx.now)}")
    for pull in ctx.facts.pulls:
        ref = pull.ref
        if ref.state != "open":
            outcome = "merged" if ref.merged else "closed without merging"
            when = format_age(ref.updated_at, ctx.now)
            notes.append(f"PR {ref.ref(ctx.issue.repo)} by @{ref.author} was {outcome} ({when})")
    return tuple(notes)
