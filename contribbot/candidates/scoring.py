"""Rank good-first-issue candidates for one user, and split them across a cohort.

The score is a weighted sum of five components, each in [0, 1] and each with a
reason a person can read; no model, no training. Pure: `now` is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from contribbot.candidates.model import (
    Availability,
    Candidate,
    CandidateIssue,
    PastPR,
    Profile,
    RepoStats,
    Rules,
    Scored,
    TimelineEntry,
    build_candidate,
    format_age,
    is_bot,
)
from contribbot.candidates.rules import assess

# The weights sum to 1, so a perfect issue scores 1.0.
FIT_WEIGHT = 0.35  # the user's own past PRs touch what the issue is about
LABEL_WEIGHT = 0.20  # how beginner-friendly the repo's label says it is
FRESHNESS_WEIGHT = 0.15  # recently labelled issues are less likely to be quietly taken
QUIET_WEIGHT = 0.15  # fewer people in the thread, less competition
RESPONSE_WEIGHT = 0.15  # maintainers who answer newcomers fast
STALE_CLAIM_PENALTY = 0.15  # someone claimed it once: possible, but ask first

FIT_FULL_AT_PRS = 3  # this many matching past PRs make a perfect fit
MIN_SHARED_PARTS = 2  # "torch/nn" says something; "torch" alone matches all of PyTorch
FRESHNESS_HALF_LIFE_DAYS = 30.0
QUIET_HALF_PEOPLE = 2.0  # every two people in the thread halve the quiet component
RESPONSE_HALF_LIFE_HOURS = 72.0
UNKNOWN_RESPONSE = 0.5  # no statistics for the repo: neither reward nor punish
REFS_SHOWN = 2  # "#12, #40 and 3 more"
STATUS_ORDER = {"mine": 0, "free": 1, "stale_claim": 2, "taken": 3}

# Labels too common to say anything about a person's area of work.
IGNORED_FIT_LABELS = frozenset(
    {
        "triaged",
        "bug",
        "enhancement",
        "feature",
        "documentation",
        "good first issue",
        "help wanted",
        "open source",
        "merged",
        "cla signed",
        "high priority",
        "actionable",
        "small",
        "easy",
        "medium",
        "advanced",
        "module: bootcamp",
    }
)
IGNORED_FIT_LABEL_PREFIXES = ("ciflow/",)
# A trailing ".py" is a file, not a module path part: torch/nn/functional.py ~ torch.nn.functional
FILE_EXTENSIONS = frozenset(
    {"py", "pyi", "md", "rst", "txt", "html", "cpp", "cc", "c", "h", "hpp", "cu", "cuh"}
    | {"yaml", "yml", "json", "toml", "cfg", "ini", "sh", "cmake", "ipynb"}
)

_GITHUB_FILE_URL = re.compile(
    r"https?://github\.com/[^/\s]+/[^/\s]+/(?:blob|tree)/[^/\s]+/([^\s#?)>\]]+)"
)
_URL = re.compile(r"https?://[^\s)>\]]+")
_PATH = re.compile(r"(?<![\w./-])/?(?:[\w.-]+/)+[\w.-]+")
_DOTTED = re.compile(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_URL_TAIL = re.compile(r"[#?].*$")


class _Part(NamedTuple):
    value: float  # in [0, 1]
    reasons: tuple[str, ...] = ()


def score(
    issue: CandidateIssue,
    timeline: Sequence[TimelineEntry],
    availability: Availability,
    profile: Profile,
    repo_stats: RepoStats | None,
    now: datetime,
    label_weights: Mapping[str, float],
) -> Scored:
    """Rank one issue for one user: a score in [0, 1] (2 decimals) and its reasons."""
    fit = _fit(issue, profile, label_weights)
    weighted = [
        (FIT_WEIGHT, fit),
        (LABEL_WEIGHT, _label(issue, label_weights)),
        (FRESHNESS_WEIGHT, _freshness(issue, now)),
        (QUIET_WEIGHT, _quiet(issue, timeline)),
        (RESPONSE_WEIGHT, _response(repo_stats)),
    ]
    total = sum(weight * part.value for weight, part in weighted)
    reasons = [reason for _, part in weighted for reason in part.reasons]
    if availability.status == "stale_claim":
        total -= STALE_CLAIM_PENALTY
        if not any("politely" in reason for reason in availability.reasons):  # say it once
            reasons.insert(len(fit.reasons), "claimed before: ask politely first")
    return Scored(score=round(min(1.0, max(0.0, total)), 2), reasons=tuple(reasons), fit=fit.value)


def evaluate(
    issue: CandidateIssue,
    timeline: Sequence[TimelineEntry],
    *,
    profile: Profile,
    now: datetime,
    label_weights: Mapping[str, float],
    repo_stats: RepoStats | None = None,
    rules: Rules | None = None,
    first_seen: datetime | None = None,
) -> Candidate:
    """Assess and score one issue for one user, as the Candidate the JSON contract wants."""
    availability = assess(issue, timeline, profile.login, now, rules)
    scored = score(issue, timeline, availability, profile, repo_stats, now, label_weights)
    return build_candidate(issue, availability, scored, user=profile.login, first_seen=first_seen)


def sort_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Order for display: the user's own first, then free, stale and taken; best score first."""
    return sorted(candidates, key=lambda c: (STATUS_ORDER[c.status], -c.score, c.repo, c.number))


def assign_cohort(ranked: Mapping[str, Sequence[Candidate]]) -> dict[tuple[str, int], str]:
    """Give each issue that several tracked users would get to the one it fits best.

    The user for whom the issue is already "mine" gets it; otherwise the highest
    fit, then the highest score, then the alphabetically first login wins.
    Issues taken for everyone go to no one and are left out of the result.
    """
    best: dict[tuple[str, int], tuple[tuple[bool, float, float, str], str]] = {}
    for login, candidates in ranked.items():
        for c in candidates:
            if c.status == "taken":
                continue
            rank = (c.status != "mine", -c.fit, -c.score, login.casefold())
            if c.key not in best or rank < best[c.key][0]:
                best[c.key] = (rank, login)
    return {key: login for key, (_, login) in best.items()}


def visible_to(
    login: str,
    candidates: Iterable[Candidate],
    owners: Mapping[tuple[str, int], str],
    *,
    show_all: bool = False,
) -> list[Candidate]:
    """The candidates `login` sees: not those the cohort gave to someone else, unless --all."""
    return [c for c in candidates if show_all or owners.get(c.key, login) == login]


def mentioned_paths(text: str) -> set[tuple[str, ...]]:
    """Paths and dotted names an issue mentions, as parts without file extensions.

    "torch/nn/functional.py", "torch.nn.functional" and a GitHub link to the file
    all become ("torch", "nn", "functional").
    """
    paths = _GITHUB_FILE_URL.findall(text)
    # other links keep their last segment, e.g. docs pages named "torch.nn.Linear.html"
    text = _URL.sub(lambda m: " " + _URL_TAIL.sub("", m.group(0)).rstrip("/").rsplit("/")[-1], text)
    paths += _PATH.findall(text)
    found = {_path_parts(p.split("/")) for p in paths}
    found |= {_path_parts(name.split(".")) for name in _DOTTED.findall(text)}
    return {parts for parts in found if len(parts) >= MIN_SHARED_PARTS}


# --- the components -----------------------------------------------------------------


def _fit(issue: CandidateIssue, profile: Profile, label_weights: Mapping[str, float]) -> _Part:
    prs = [pr for pr in profile.prs if pr.repo.casefold() == issue.repo.casefold()]
    areas = _shared_areas(mentioned_paths(f"{issue.title}\n{issue.body}"), prs)
    labels = _shared_labels(issue, prs, label_weights)
    reasons = []
    if areas:
        area, numbers = _most_backed(areas)
        reasons.append(f"you touched {area} in {_refs(numbers)}")
    if labels:
        label, numbers = _most_backed(labels)
        reasons.append(f"you worked on {label} in {_refs(numbers)}")
    matched = set().union(*areas.values(), *labels.values())
    return _Part(min(1.0, len(matched) / FIT_FULL_AT_PRS), tuple(reasons))


def _shared_areas(mentions: set[tuple[str, ...]], prs: Sequence[PastPR]) -> dict[str, set[int]]:
    """Directories the issue mentions and the user touched -> the PRs that touched them."""
    areas: dict[str, set[int]] = {}
    for pr in prs:
        for path in pr.paths:
            touched = _path_parts(path.strip().split("/"))
            for mention in mentions:
                # stack traces give /home/me/site-packages/torch/nn/...: start where the
                # user's path starts
                start = mention.index(touched[0]) if touched and touched[0] in mention else 0
                shared = _shared_prefix(touched, mention[start:])
                # every level counts, so "torch/nn" gathers PRs from all of its subfolders
                for depth in range(MIN_SHARED_PARTS, shared + 1):
                    areas.setdefault("/".join(mention[start : start + depth]), set()).add(pr.number)
    return areas


def _shared_labels(
    issue: CandidateIssue, prs: Sequence[PastPR], label_weights: Mapping[str, float]
) -> dict[str, set[int]]:
    """The issue's topical labels the user's PRs also carried -> those PRs."""
    ignored = IGNORED_FIT_LABELS | {name.casefold() for name in label_weights}
    topical = {
        label.casefold(): label
        for label in issue.labels
        if label.casefold() not in ignored
        and not label.casefold().startswith(IGNORED_FIT_LABEL_PREFIXES)
    }
    shared: dict[str, set[int]] = {}
    for pr in prs:
        for label in pr.labels:
            if label.casefold() in topical:
                shared.setdefault(topical[label.casefold()], set()).add(pr.number)
    return shared


def _label(issue: CandidateIssue, label_weights: Mapping[str, float]) -> _Part:
    weights = {name.casefold(): weight for name, weight in label_weights.items()}
    matched = sorted(
        (
            (weights[label.casefold()], label)
            for label in issue.labels
            if label.casefold() in weights
        ),
        reverse=True,
    )
    if not matched:
        return _Part(0.0)
    return _Part(min(1.0, max(0.0, matched[0][0])), (f"marked {_join([m[1] for m in matched])}",))


def _freshness(issue: CandidateIssue, now: datetime) -> _Part:
    since = issue.labeled_at or issue.created_at
    days = max(0.0, (now - since).total_seconds() / 86400)
    verb = "labelled" if issue.labeled_at else "opened"
    return _Part(0.5 ** (days / FRESHNESS_HALF_LIFE_DAYS), (f"{verb} {format_age(since, now)}",))


def _quiet(issue: CandidateIssue, timeline: Sequence[TimelineEntry]) -> _Part:
    comments = [e for e in timeline if e.event == "commented" and e.actor]
    if not comments and issue.comments:  # timeline not fetched: the count is all we have
        n = issue.comments
        return _Part(0.5 ** (n / QUIET_HALF_PEOPLE), (f"{n} comment{'s' * (n != 1)}",))
    n = len({e.actor.casefold() for e in comments if not is_bot(e.actor)})
    if n == 0:
        reason = "no one has commented"
    else:
        reason = f"{n} {'person' if n == 1 else 'people'} commented"
    return _Part(0.5 ** (n / QUIET_HALF_PEOPLE), (reason,))


def _response(stats: RepoStats | None) -> _Part:
    hours = stats.median_first_response_hours if stats else None
    if hours is None:
        return _Part(UNKNOWN_RESPONSE)
    hours = max(0.0, hours)
    about = f"{max(1, round(hours))} h" if hours < 48 else f"{round(hours / 24)} days"
    reason = f"maintainers here first answer within ~{about}"
    return _Part(0.5 ** (hours / RESPONSE_HALF_LIFE_HOURS), (reason,))


# --- small text helpers ---------------------------------------------------------------


def _path_parts(pieces: Sequence[str]) -> tuple[str, ...]:
    """Path parts without "." and without a file extension: functional.py ~ functional."""
    parts = [p for p in pieces if p and p != "."]
    if parts and parts[-1].lower() in FILE_EXTENSIONS:  # from a dotted name: a.b.py
        parts.pop()
    elif parts and "." in parts[-1]:
        stem, ext = parts[-1].rsplit(".", 1)
        if ext.lower() in FILE_EXTENSIONS and stem:
            parts[-1] = stem
    return tuple(parts)


def _shared_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _most_backed(found: Mapping[str, set[int]]) -> tuple[str, set[int]]:
    """The entry with the most PRs behind it; the most specific one on a tie."""
    name = max(found, key=lambda k: (len(found[k]), k.count("/"), k))
    return name, found[name]


def _refs(numbers: Iterable[int]) -> str:
    refs = [f"#{n}" for n in sorted(numbers)]
    if len(refs) <= REFS_SHOWN:
        return _join(refs)
    return f"{', '.join(refs[:REFS_SHOWN])} and {len(refs) - REFS_SHOWN} more"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
