"""Good-first-issue candidates as plain data: what comes in, what goes out.

Inputs are an issue, its timeline, the availability `Rules`, a user's `Profile`
and `RepoStats`; outputs are `Availability`, `Scored` and `Candidate` (with its
JSON contract). This module does no I/O and never reads the clock.

Text here (titles, bodies, logins, excerpts in reasons) comes from GitHub and
is untrusted: every renderer must escape it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from contribbot.github.parse import BOT_SUFFIX, parse_issue
from contribbot.timeutil import as_utc, humanize_ago, parse_github_time, utc_z

Status = Literal["free", "stale_claim", "taken", "mine"]

DEFAULT_CLAIM_PHRASES: tuple[str, ...] = (
    "i'd like to work on",
    "i would like to work on",
    "i'd love to work on",
    "i would love to work on",
    "can i work on",
    "could i work on",
    "can i take",
    "may i work on",
    "i'll take",
    "i will take",
    "i want to work on",
    "is anyone working on",
    "assign me",
    "assign this to me",
    "please assign",
    "i'm working on",
    "i am working on",
    "/assign",
    "/take",
    "/claim",
    "let me take",
)
# A bare "please don't" would also match "please don't hesitate to ask", which
# is encouragement, so the defaults only hold phrases that refuse the work.
DEFAULT_DECLINE_PHRASES: tuple[str, ...] = (
    "not accepting",
    "already being worked on",
    "someone is already working",
    "someone else is already working",
    "already has a pr",
    "already has an open pr",
    "please pick another",
    "pick another issue",
    "not a good first issue",
    "won't accept",
    "will not accept",
    "please don't work on",
    "please do not work on",
    "no longer available",
)
# The claimant giving the issue back. Kept narrow: "I won't be able to finish
# before Friday" is not a withdrawal.
DEFAULT_RELEASE_PHRASES: tuple[str, ...] = (
    "no longer working on",
    "not working on this anymore",
    "not working on it anymore",
    "unassign me",
    "feel free to take",
    "free for someone else",
)
DEFAULT_MAINTAINER_ASSOCIATIONS: tuple[str, ...] = ("OWNER", "MEMBER", "COLLABORATOR")
# Accounts that comment a lot but never claim work (GitHub Apps end in "[bot]").
BOT_LOGINS: frozenset[str] = frozenset(
    {"pytorchmergebot", "facebook-github-bot", "pytorch-bot", "pytorchbot"}
)
# pytorch/pytorch lands PRs with a bot that closes them and adds this label.
DEFAULT_MERGED_LABELS: tuple[str, ...] = ("Merged",)


def is_bot(login: str) -> bool:
    """Whether a login belongs to a bot rather than a person."""
    folded = login.casefold()
    return folded.endswith(BOT_SUFFIX) or folded in BOT_LOGINS


def format_age(moment: datetime, now: datetime) -> str:
    """How long before `now`: "just now", "5 hours ago", "3 days ago"."""
    return humanize_ago(now - moment)


def same_login(a: str | None, b: str | None) -> bool:
    """GitHub logins compare case-insensitively."""
    return a is not None and b is not None and a.casefold() == b.casefold()


@dataclass(frozen=True)
class CandidateIssue:
    """An open issue carrying a beginner label, as stored by the refresher."""

    repo: str  # "owner/name"
    number: int
    title: str
    url: str
    created_at: datetime
    updated_at: datetime
    labels: tuple[str, ...] = ()
    state: str = "open"
    assignees: tuple[str, ...] = ()
    author: str = ""
    comments: int = 0
    body: str = ""
    labeled_at: datetime | None = None  # when its beginner label was added


@dataclass(frozen=True)
class TimelineEntry:
    """One event of an issue's timeline (GET /repos/{o}/{r}/issues/{n}/timeline)."""

    event: str  # commented, cross-referenced, assigned, unassigned, labeled, closed, ...
    actor: str  # the comment's author for `commented`; "" for a deleted account
    at: datetime
    body: str = ""
    author_association: str = ""  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    assignee: str | None = None  # assigned / unassigned
    label: str | None = None  # labeled / unlabeled
    # cross-referenced: the PR (or issue) whose text mentions this issue
    source_repo: str | None = None
    source_number: int | None = None
    source_author: str | None = None
    source_state: str | None = None  # "open" / "closed"
    source_merged: bool = False
    source_updated_at: datetime | None = None  # None when the source is an issue, not a PR
    source_url: str = ""

    @property
    def is_pr_reference(self) -> bool:
        """Whether this is a pull request mentioning the issue."""
        return (
            self.event == "cross-referenced"
            and self.source_number is not None
            and self.source_updated_at is not None
        )


@dataclass(frozen=True)
class Rules:
    """Availability rules, from config. The windows double as the staleness limits."""

    pr_window_days: int = 30
    claim_window_days: int = 14
    claim_phrases: tuple[str, ...] = DEFAULT_CLAIM_PHRASES
    decline_phrases: tuple[str, ...] = DEFAULT_DECLINE_PHRASES
    release_phrases: tuple[str, ...] = DEFAULT_RELEASE_PHRASES
    maintainer_associations: tuple[str, ...] = DEFAULT_MAINTAINER_ASSOCIATIONS


@dataclass(frozen=True)
class PastPR:
    """One of the user's own PRs: where it landed and what it touched."""

    repo: str
    number: int
    labels: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # changed files, e.g. "torch/nn/functional.py"


@dataclass(frozen=True)
class Profile:
    """A tracked user and their past PRs."""

    login: str
    prs: tuple[PastPR, ...] = ()


@dataclass(frozen=True)
class RepoStats:
    """How a repository treats newcomers."""

    repo: str
    # median hours until a maintainer first answers a newcomer's issue or PR
    median_first_response_hours: float | None = None


@dataclass(frozen=True)
class PullRef:
    """A pull request that mentions the issue."""

    repo: str
    number: int
    author: str
    state: str
    merged: bool
    updated_at: datetime
    url: str = ""

    def ref(self, issue_repo: str) -> str:
        """The short reference: "#12" in `issue_repo`, "owner/name#12" elsewhere."""
        if self.repo.casefold() == issue_repo.casefold():
            return f"#{self.number}"
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class Availability:
    """Whether a user can pick an issue up, and why not."""

    status: Status
    taken_by: str | None = None  # who holds it (the user themself when "mine")
    pr: PullRef | None = None  # the PR that holds it, if one does
    reasons: tuple[str, ...] = ()
    # when the holder took it (claim, first PR mention, assignment or closing);
    # None when free or unknown
    taken_at: datetime | None = None


@dataclass(frozen=True)
class Scored:
    """A ranking score in [0, 1] with the reasons behind it."""

    score: float
    reasons: tuple[str, ...] = ()
    fit: float = 0.0  # the fit-with-past-work component alone, for the cohort split


@dataclass(frozen=True)
class Candidate:
    """One issue as suggested to one user: availability and ranking together."""

    user: str
    repo: str
    number: int
    title: str
    url: str
    status: Status
    score: float
    fit: float = 0.0
    labels: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    taken_by: str | None = None
    pr: PullRef | None = None
    first_seen: datetime | None = None  # when contribbot first stored the issue

    @property
    def key(self) -> tuple[str, int]:
        """The issue's identity across users."""
        return (self.repo, self.number)


def build_candidate(
    issue: CandidateIssue,
    availability: Availability,
    scored: Scored,
    *,
    user: str,
    first_seen: datetime | None = None,
) -> Candidate:
    """Join an issue, its availability for `user` and its score into one Candidate."""
    return Candidate(
        user=user,
        repo=issue.repo,
        number=issue.number,
        title=issue.title,
        url=issue.url,
        status=availability.status,
        score=scored.score,
        fit=scored.fit,
        labels=issue.labels,
        reasons=availability.reasons + scored.reasons,
        taken_by=availability.taken_by,
        pr=availability.pr,
        first_seen=first_seen,
    )


def candidate_to_json(c: Candidate, *, new: bool | None = None) -> dict[str, Any]:
    """The JSON contract: one object per user per issue (`pr` is the PR's number, or null)."""
    out: dict[str, Any] = {
        "repo": c.repo,
        "number": c.number,
        "title": c.title,
        "url": c.url,
        "labels": list(c.labels),
        "status": c.status,
        "score": c.score,
        "reasons": list(c.reasons),
        "taken_by": c.taken_by,
        "pr": c.pr.number if c.pr is not None else None,
        "first_seen": utc_z(c.first_seen) if c.first_seen else None,
        "user": c.user,
    }
    out["pr_url"] = c.pr.url if c.pr is not None else None  # the PR may be in another repo
    if new is not None:
        out["new"] = new  # first seen since the last weekly report
    return out


# --- parsing GitHub's timeline JSON -------------------------------------------------


def timeline_entry_from_json(
    obj: Mapping[str, Any], *, merged_labels: Collection[str] = DEFAULT_MERGED_LABELS
) -> TimelineEntry | None:
    """One raw GitHub timeline event, or None if it lacks an event name or timestamp.

    `merged_labels` are the repo's labels that mean "merged" on a closed PR
    (pytorch/pytorch's merge bot closes PRs and labels them instead of merging).
    """
    event = obj.get("event")
    # `reviewed` events carry submitted_at; `committed` ones have no top-level time
    at = _time(obj.get("created_at") or obj.get("submitted_at"))
    if not isinstance(event, str) or at is None:
        return None
    if event == "commented":
        return TimelineEntry(
            event=event,
            actor=_login(obj.get("user")) or _login(obj.get("actor")),
            at=at,
            body=_text(obj.get("body")),
            author_association=_text(obj.get("author_association")).upper(),
        )
    if event == "cross-referenced":
        return _cross_reference(obj, at, merged_labels)
    return TimelineEntry(
        event=event,
        actor=_login(obj.get("actor")),
        at=at,
        assignee=_login(obj.get("assignee")) or None,
        label=_text(_field(obj.get("label"), "name")) or None,
    )


def _cross_reference(
    obj: Mapping[str, Any], at: datetime, merged_labels: Collection[str]
) -> TimelineEntry | None:
    raw = _field(obj.get("source"), "issue")
    if not isinstance(raw, dict):
        return None
    try:
        source = parse_issue(raw)
    except (KeyError, TypeError, ValueError):  # a partial object: not worth guessing
        return None
    merged_by_label = {label.casefold() for label in merged_labels} & {
        label.casefold() for label in source.labels
    }
    return TimelineEntry(
        event="cross-referenced",
        actor=_login(obj.get("actor")),
        at=at,
        source_repo=source.repo,
        source_number=source.number,
        source_author=source.author,
        source_state=source.state,
        source_merged=source.is_pr and (source.merged_at is not None or bool(merged_by_label)),
        source_updated_at=as_utc(source.updated_at) if source.is_pr else None,
        source_url=source.html_url,
    )


def _field(obj: object, key: str) -> object:
    return obj.get(key) if isinstance(obj, Mapping) else None


def _login(user: object) -> str:
    return _text(_field(user, "login"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _time(value: object) -> datetime | None:
    try:
        moment = parse_github_time(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return as_utc(moment) if moment else None
