"""`/search/issues` queries: parsing GitHub's qualifier syntax and matching issues (pure).

Unknown qualifiers raise SearchError (the server answers 422) rather than being taken
as text, so a client typo shows up in tests instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from contribbot.fakehub.model import Dataset, Issue, mentions

Predicate = Callable[[Issue], bool]
TOKEN = re.compile(r'(-)?(?:([A-Za-z-]+):)?(?:"([^"]*)"|([^\s"]+))')
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SORT_KEYS = ("created", "updated", "comments")


class SearchError(ValueError):
    """A query GitHub would reject with 422."""


@dataclass(frozen=True, slots=True)
class Term:
    """One query token: `key:value`, free text (key None), maybe negated with `-`."""

    key: str | None
    value: str
    negated: bool = False


def parse_query(query: str) -> list[Term]:
    """Split a search query into terms, honouring quotes (`label:"good first issue"`)."""
    terms = []
    for match in TOKEN.finditer(query):
        negated, key, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        terms.append(Term(key.lower() if key else None, value, negated is not None))
    return terms


def compile_query(query: str) -> Predicate:
    """A predicate matching the issues the query selects (all terms AND-ed). The terms are
    tried cheapest first (they are pure: the order changes only what is looked at)."""
    terms = sorted(parse_query(query), key=_cost)
    predicates = [_negate(_term(t)) if t.negated else _term(t) for t in terms]

    def matches(issue: Issue) -> bool:
        for predicate in predicates:  # a loop: all() over a generator costs twice as much
            if not predicate(issue):
                return False
        return True

    return matches


# terms that read an item's comments, reviews, timeline or text: tried last
_COSTLY = frozenset({"commenter", "mentions", "involves", "reviewed-by", "linked", None})


def _cost(term: Term) -> int:
    return 1 if term.key in _COSTLY else 0


def _in_scope(query: str) -> Callable[[str], bool]:
    """Whether a repository can hold a match: a query naming `repo:`s matches theirs only."""
    named = {t.value.lower() for t in parse_query(query) if t.key == "repo" and not t.negated}
    return (lambda name: name.lower() in named) if named else (lambda name: True)


def search_issues(
    ds: Dataset,
    query: str,
    hidden: Collection[str] = (),
    sort: str | None = None,
    order: str = "desc",
) -> list[Issue]:
    """Every visible issue matching query, sorted like GitHub (best match = updated)."""
    if sort is not None and sort not in SORT_KEYS:
        raise SearchError(f"unknown sort {sort!r}")
    if order not in ("asc", "desc"):
        raise SearchError(f"unknown order {order!r}")
    _check_people(ds, query)
    matches, scope = compile_query(query), _in_scope(query)
    found = [
        issue
        for name, repo in ds.repos.items()
        if name not in hidden and scope(name)
        for issue in repo.issues.values()
        if matches(issue)
    ]
    key = sort or "updated"
    found.sort(key=lambda i: (_sort_value(i, key), i.id), reverse=order == "desc")
    return found


def _check_people(ds: Dataset, query: str) -> None:
    """GitHub answers 422 when a people qualifier names a login that does not exist."""
    known = {login.lower() for login in ds.accounts}
    for term in parse_query(query):
        if (
            term.key in PEOPLE
            and term.key not in ("user", "org")
            and term.value.lower() not in known
        ):
            raise SearchError(
                "The listed users cannot be searched either because the users do not exist "
                "or you do not have permission to view the users."
            )


def _sort_value(issue: Issue, key: str) -> float:
    if key == "comments":
        return float(len(issue.comments))
    return (issue.created_at if key == "created" else issue.updated_at).timestamp()


def _negate(predicate: Predicate) -> Predicate:
    return lambda issue: not predicate(issue)


def _term(term: Term) -> Predicate:
    value = term.value
    if term.key is None:
        needle = value.lower()
        return lambda i: needle in i.title.lower() or needle in i.body.lower()
    if term.key in PEOPLE:
        return _person(PEOPLE[term.key], value)
    if term.key in ("created", "updated", "closed", "merged"):
        return _dated(term.key, time_range(value))
    handler = QUALIFIERS.get(term.key)
    if handler is None:
        raise SearchError(f"unknown qualifier {term.key!r}")
    return handler(value)


def _person(field: Callable[[Issue, str], bool], login: str) -> Predicate:
    wanted = login.lower()
    return lambda issue: field(issue, wanted)


def _commented(issue: Issue, login: str) -> bool:
    return any(c.user.lower() == login for c in issue.comments)


def _mentioned(issue: Issue, login: str) -> bool:
    texts = [issue.body, *(c.body for c in issue.comments)]
    return any(login == m.lower() for text in texts for m in mentions(text))


def _involves(issue: Issue, login: str) -> bool:
    return (
        issue.user.lower() == login
        or any(a.lower() == login for a in issue.assignees)
        or _commented(issue, login)
        or _mentioned(issue, login)
    )


PEOPLE: dict[str, Callable[[Issue, str], bool]] = {
    "author": lambda i, login: i.user.lower() == login,
    "assignee": lambda i, login: any(a.lower() == login for a in i.assignees),
    "commenter": _commented,
    "mentions": _mentioned,
    "involves": _involves,
    "reviewed-by": lambda i, login: any(
        r.user.lower() == login and r.submitted_at is not None for r in i.reviews
    ),
    "review-requested": lambda i, login: any(r.lower() == login for r in i.requested_reviewers),
    "user": lambda i, login: i.repo.split("/")[0].lower() == login,
    "org": lambda i, login: i.repo.split("/")[0].lower() == login,
}


def _is(value: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "pr": lambda i: i.is_pr,
        "issue": lambda i: not i.is_pr,
        "open": lambda i: i.state == "open",
        "closed": lambda i: i.state == "closed",
        "merged": lambda i: i.merged_at is not None,
        "unmerged": lambda i: i.is_pr and i.state == "closed" and i.merged_at is None,
        "draft": lambda i: i.draft,
        "public": lambda i: True,
    }
    if value.lower() not in checks:
        raise SearchError(f"unknown is:{value}")
    return checks[value.lower()]


def _type(value: str) -> Predicate:
    if value.lower() not in ("pr", "issue"):
        raise SearchError(f"unknown type:{value}")
    return _is(value)


def _state(value: str) -> Predicate:
    if value.lower() not in ("open", "closed"):
        raise SearchError(f"unknown state:{value}")
    return _is(value)


def _label(value: str) -> Predicate:
    # `label:a,b` means either label; separate `label:` terms are AND-ed.
    wanted = {name.strip().lower() for name in value.split(",")}
    return lambda i: any(name.lower() in wanted for name in i.labels)


def _missing(value: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "assignee": lambda i: not i.assignees,
        "label": lambda i: not i.labels,
        "milestone": lambda i: True,
    }
    if value.lower() not in checks:
        raise SearchError(f"unknown no:{value}")
    return checks[value.lower()]


def _linked(value: str) -> Predicate:
    if value.lower() not in ("pr", "issue"):
        raise SearchError(f"unknown linked:{value}")
    want_pr = value.lower() == "pr"
    return lambda i: any(
        e.kind == "cross-referenced" and e.source is not None and e.source.is_pr == want_pr
        for e in i.timeline
    )


def _repo(value: str) -> Predicate:
    wanted = value.lower()
    return lambda i: i.repo.lower() == wanted


def _comments(value: str) -> Predicate:
    low, high = number_range(value)
    return lambda i: low <= len(i.comments) <= high


def _in(value: str) -> Predicate:
    # `in:title` only narrows where free text is looked for; text matching covers both.
    if not {part.lower() for part in value.split(",")} <= {"title", "body", "comments"}:
        raise SearchError(f"unknown in:{value}")
    return lambda i: True


QUALIFIERS: dict[str, Callable[[str], Predicate]] = {
    "is": _is,
    "type": _type,
    "state": _state,
    "label": _label,
    "no": _missing,
    "linked": _linked,
    "repo": _repo,
    "comments": _comments,
    "in": _in,
}


def _dated(key: str, within: Callable[[datetime], bool]) -> Predicate:
    def matches(issue: Issue) -> bool:
        moment = {
            "created": issue.created_at,
            "updated": issue.updated_at,
            "closed": issue.closed_at,
            "merged": issue.merged_at,
        }[key]
        return moment is not None and within(moment)

    return matches


def _bounds(text: str) -> tuple[datetime, datetime, bool]:
    """(start, end, whole_day) of a date or datetime; a date covers its whole UTC day."""
    try:
        if DATE_ONLY.match(text):
            start = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
            return start, start + timedelta(days=1), True
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise SearchError(f"bad date {text!r}") from err
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment, moment, False


def time_range(value: str) -> Callable[[datetime], bool]:
    """A test for `>=D`, `<=D`, `>D`, `<D`, `A..B` (either side may be `*`) or `D`."""
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            return _compare(op, *_bounds(value[len(op) :]))
    if ".." in value:
        first, last = value.split("..", 1)
        after = time_range(f">={first}") if first != "*" else (lambda t: True)
        before = time_range(f"<={last}") if last != "*" else (lambda t: True)
        return lambda t: after(t) and before(t)
    start, end, whole_day = _bounds(value)
    return (lambda t: start <= t < end) if whole_day else (lambda t: t == start)


def _compare(
    op: str, start: datetime, end: datetime, whole_day: bool
) -> Callable[[datetime], bool]:
    """One bound; a date-only bound covers its whole day (`<=D` includes D's evening)."""
    if op == ">=":
        return lambda t: t >= start
    if op == "<":
        return lambda t: t < start
    if op == "<=":
        return (lambda t: t < end) if whole_day else (lambda t: t <= end)
    return (lambda t: t >= end) if whole_day else (lambda t: t > end)


def number_range(value: str) -> tuple[float, float]:
    """Inclusive bounds of `N`, `>N`, `>=N`, `<N`, `<=N` or `A..B`."""
    inf = float("inf")
    try:
        if value.startswith(">="):
            return float(int(value[2:])), inf
        if value.startswith("<="):
            return -inf, float(int(value[2:]))
        if value.startswith(">"):
            return float(int(value[1:]) + 1), inf
        if value.startswith("<"):
            return -inf, float(int(value[1:]) - 1)
        if ".." in value:
            low, high = value.split("..", 1)
            return (
                -inf if low == "*" else float(int(low)),
                inf if high == "*" else float(int(high)),
            )
        return float(int(value)), float(int(value))
    except ValueError as err:
        raise SearchError(f"bad number {value!r}") from err
