"""Is a good-first-issue still free for this user? Availability from an issue and its timeline.

Pure: plain data in, an `Availability` out; `now` is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from contribbot.candidates.model import (
    Availability,
    CandidateIssue,
    PullRef,
    Rules,
    TimelineEntry,
    format_age,
    is_bot,
    same_login,
)

EXCERPT_CHARS = 60  # how much of a claim comment a reason quotes
ASK_FIRST = "ask politely before starting"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_ADDRESSED = re.compile(r"^\s*((?:@[A-Za-z0-9][A-Za-z0-9-]*[\s,:]*)+)")
_LOGIN = re.compile(r"@([A-Za-z0-9][A-Za-z0-9-]*)")
_NEVER = re.compile(r"(?!)")


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
    facts = _Facts.gather(issue, entries, rules, user)
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


def visible_lines(body: str) -> list[str]:
    """The lines of a comment its author wrote: no quotes, code or HTML comments."""
    text = _HTML_COMMENT.sub("", body.replace("\r\n", "\n").replace("\u2019", "'"))
    lines: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if opener and (fence is None or opener.group(1).startswith(fence)):
            fence = opener.group(1)[:3] if fence is None else None
            continue
        if fence is None and not line.lstrip().startswith(">"):
            lines.append(_INLINE_CODE.sub("", line))
    return lines


def find_phrase(body: str, phrases: tuple[str, ...]) -> str | None:
    """The visible line of `body` containing one of `phrases`, or None.

    Matching ignores case and takes whole words only; phrases starting with "/"
    (slash commands) count only at the start of a line.
    """
    pattern = _phrase_pattern(phrases)
    for line in visible_lines(body):
        if pattern.search(line):
            return line
    return None


@lru_cache(maxsize=32)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for phrase in phrases:
        words = phrase.replace("\u2019", "'").split()
        if not words:
            continue
        body = r"\s+".join(re.escape(w) for w in words)
        start = r"^\s*" if words[0].startswith("/") else r"(?<!\w)"
        parts.append(f"{start}{body}(?!\\w)")
    if not parts:
        return _NEVER
    return re.compile("|".join(parts), re.IGNORECASE)


# --- what the timeline says ---------------------------------------------------------


@dataclass
class _Claim:
    login: str
    at: datetime
    excerpt: str
    turned_down: tuple[str, datetime] | None = None  # (maintainer, when)
    withdrawn_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.turned_down is None and self.withdrawn_at is None


@dataclass(frozen=True)
class _Pull:
    ref: PullRef
    first_mentioned: datetime


@dataclass
class _Facts:
    claims: list[_Claim] = field(default_factory=list)
    pulls: list[_Pull] = field(default_factory=list)
    last_heard: dict[str, datetime] = field(default_factory=dict)  # casefolded login

    @classmethod
    def gather(
        cls, issue: CandidateIssue, entries: Sequence[TimelineEntry], rules: Rules, user: str
    ) -> _Facts:
        facts = cls(pulls=_pulls(issue, entries))
        facts._read_comments(entries, rules, user)
        return facts

    def _read_comments(self, entries: Sequence[TimelineEntry], rules: Rules, user: str) -> None:
        pending: list[_Claim] = []  # claims no maintainer has answered yet
        for entry in entries:
            if entry.event != "commented" or not entry.actor or is_bot(entry.actor):
                continue
            self.last_heard[entry.actor.casefold()] = entry.at
            maintainer = entry.author_association.upper() in rules.maintainer_associations
            if maintainer and not same_login(entry.actor, user):
                self._maintainer_spoke(entry, pending, rules)
                pending = []
            else:
                pending.extend(self._participant_spoke(entry, rules))

    def _maintainer_spoke(self, entry: TimelineEntry, pending: list[_Claim], rules: Rules) -> None:
        if find_phrase(entry.body, rules.decline_phrases) is None:
            return
        addressed = _addressed(entry.body)
        if addressed:  # a reply to named people turns down only their claims
            pending = [c for c in self.claims if c.login.casefold() in addressed]
        for claim in pending:
            if claim.live and not same_login(claim.login, entry.actor):
                claim.turned_down = (entry.actor, entry.at)

    def _participant_spoke(self, entry: TimelineEntry, rules: Rules) -> list[_Claim]:
        mine = [c for c in self.claims if c.live and same_login(c.login, entry.actor)]
        if mine and find_phrase(entry.body, rules.release_phrases) is not None:
            for claim in mine:
                claim.withdrawn_at = entry.at
            return []
        line = find_phrase(entry.body, rules.claim_phrases)
        if mine or line is None:
            return []
        claim = _Claim(login=entry.actor, at=entry.at, excerpt=_excerpt(line))
        self.claims.append(claim)
        return [claim]

    def last_sign(self, login: str, since: datetime) -> datetime:
        """The later of `since` and the person's last comment on the issue."""
        heard = self.last_heard.get(login.casefold())
        return max(since, heard) if heard else since


def _pulls(issue: CandidateIssue, entries: Iterable[TimelineEntry]) -> list[_Pull]:
    """Open and closed PRs mentioning the issue, one per PR, newest snapshot kept."""
    by_key: dict[tuple[str, int], _Pull] = {}
    for entry in entries:
        if not entry.is_pr_reference or entry.source_updated_at is None:
            continue
        repo = entry.source_repo or issue.repo
        number = entry.source_number or 0
        ref = PullRef(
            repo=repo,
            number=number,
            author=entry.source_author or entry.actor,
            state=(entry.source_state or "open").lower(),
            merged=entry.source_merged,
            updated_at=entry.source_updated_at,
            url=entry.source_url or f"https://github.com/{repo}/pull/{number}",
        )
        key = (repo.casefold(), number)
        seen = by_key.get(key)
        first = min(seen.first_mentioned, entry.at) if seen else entry.at
        newest = ref if seen is None or ref.updated_at >= seen.ref.updated_at else seen.ref
        by_key[key] = _Pull(ref=newest, first_mentioned=first)
    return list(by_key.values())


def _addressed(body: str) -> set[str]:
    """Casefolded logins a comment starts by addressing ("@dan @eve sorry, ...")."""
    first = next((line for line in visible_lines(body) if line.strip()), "")
    run = _ADDRESSED.match(first)
    return {login.casefold() for login in _LOGIN.findall(run.group(1))} if run else set()


def _excerpt(line: str) -> str:
    # control characters could drive a terminal; renderers escape the rest
    text = " ".join("".join(ch for ch in line if ch.isprintable() or ch.isspace()).split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rstrip() + "…"


# --- the rules, in order ------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    issue: CandidateIssue
    entries: Sequence[TimelineEntry]
    user: str
    now: datetime
    rules: Rules
    facts: _Facts

    def fresh(self, last: datetime, window_days: int) -> bool:
        return self.now - last <= timedelta(days=window_days)

    def pull_fresh(self, pull: _Pull) -> bool:
        last = self.facts.last_sign(pull.ref.author, pull.ref.updated_at)
        return self.fresh(last, self.rules.pr_window_days)

    def claim_fresh(self, claim: _Claim) -> bool:
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
    ctx: _Context, pull: _Pull, template: str = "PR {ref} by @{author}, open, updated {age}"
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


def _claim_reason(ctx: _Context, claim: _Claim) -> str:
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
