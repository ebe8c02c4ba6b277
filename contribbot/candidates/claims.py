"""What an issue's timeline says: who claimed it (and who turned claims down), which PRs
mention it, when each person was last heard from.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contribbot.candidates.comments import addressed, excerpt, find_phrase
from contribbot.candidates.model import (
    CandidateIssue,
    PullRef,
    Rules,
    TimelineEntry,
    is_bot,
    same_login,
)


@dataclass
class Claim:
    """A comment claiming the issue, and whether it was since turned down or withdrawn."""

    login: str
    at: datetime
    excerpt: str
    turned_down: tuple[str, datetime] | None = None  # (maintainer, when)
    withdrawn_at: datetime | None = None

    @property
    def live(self) -> bool:
        """Neither turned down nor withdrawn."""
        return self.turned_down is None and self.withdrawn_at is None


@dataclass(frozen=True)
class MentionedPull:
    """A PR that mentions the issue: its newest snapshot, and when it first did."""

    ref: PullRef
    first_mentioned: datetime


@dataclass
class Facts:
    """Claims, mentioning PRs and when each person last spoke, read off one timeline."""

    claims: list[Claim] = field(default_factory=list)
    pulls: list[MentionedPull] = field(default_factory=list)
    last_heard: dict[str, datetime] = field(default_factory=dict)  # casefolded login

    @classmethod
    def gather(
        cls, issue: CandidateIssue, entries: Sequence[TimelineEntry], rules: Rules, user: str
    ) -> Facts:
        """Read the facts of `issue` off its sorted timeline `entries`, as seen by `user`."""
        facts = cls(pulls=_pulls(issue, entries))
        facts._read_comments(entries, rules, user)
        return facts

    def _read_comments(self, entries: Sequence[TimelineEntry], rules: Rules, user: str) -> None:
        pending: list[Claim] = []  # claims no maintainer has answered yet
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

    def _maintainer_spoke(self, entry: TimelineEntry, pending: list[Claim], rules: Rules) -> None:
        if find_phrase(entry.body, rules.decline_phrases) is None:
            return
        named = addressed(entry.body)
        if named:  # a reply to named people turns down only their claims
            pending = [c for c in self.claims if c.login.casefold() in named]
        for claim in pending:
            if claim.live and not same_login(claim.login, entry.actor):
                claim.turned_down = (entry.actor, entry.at)

    def _participant_spoke(self, entry: TimelineEntry, rules: Rules) -> list[Claim]:
        mine = [c for c in self.claims if c.live and same_login(c.login, entry.actor)]
        if mine and find_phrase(entry.body, rules.release_phrases) is not None:
            for claim in mine:
                claim.withdrawn_at = entry.at
            return []
        line = find_phrase(entry.body, rules.claim_phrases)
        if mine or line is None:
            return []
        claim = Claim(login=entry.actor, at=entry.at, excerpt=excerpt(line))
        self.claims.append(claim)
        return [claim]

    def last_sign(self, login: str, since: datetime) -> datetime:
        """The later of `since` and the person's last comment on the issue."""
        heard = self.last_heard.get(login.casefold())
        return max(since, heard) if heard else since


def _pulls(issue: CandidateIssue, entries: Iterable[TimelineEntry]) -> list[MentionedPull]:
    """Open and closed PRs mentioning the issue, one per PR, newest snapshot kept."""
    by_key: dict[tuple[str, int], MentionedPull] = {}
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
        by_key[key] = MentionedPull(ref=newest, first_mentioned=first)
    return list(by_key.values())
