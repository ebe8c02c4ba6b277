"""The weekly report as one self-contained HTML page: inline CSS, inline SVG, no script.

*Pure*. Every string goes through `html.escape`; only http(s) URLs become links.
A Content-Security-Policy forbids scripts and remote loads as a second line of
defence should an escape ever be missed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from contribbot.report import text as t
from contribbot.report.charts import history_svg
from contribbot.report.model import CandidateRef, ItemRef, OpenPR, UserReport, WeeklyReport

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SUMMARY_HEADERS = ("User", *t.TOTAL_LABELS.values(), "Total (change)", "Streak")
STYLE = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --accent: #0969da; --good: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif,
    "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; }
.meta, .note, .ref, figcaption { color: var(--muted); }
.ref, .note { font-size: .85em; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: .25rem 0 1rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line);
  text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
.summary td { white-space: nowrap; }
.scroll { overflow-x: auto; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.open-prs { width: 100%; }
.open-prs td:first-child { overflow-wrap: anywhere; }
.user { margin-top: 2rem; padding-top: .25rem; border-top: 3px solid var(--accent); }
.overview { display: flex; flex-wrap: wrap; gap: 1rem 2.5rem; align-items: flex-start; }
figure.chart { margin: .25rem 0 0; }
svg.history { max-width: 100%; height: auto; }
.facts, .items { padding-left: 1.25rem; }
.items li { margin: .2rem 0; }
.up { color: var(--good); } .down { color: var(--bad); }
.stale { color: var(--bad); font-weight: 600; }
.ball { white-space: nowrap; }
.ball-approved { color: var(--good); } .ball-changes_requested { color: var(--warn); }
.badge { display: inline-block; padding: 0 .4em; border-radius: .6em; font-size: .8em;
  font-weight: 600; color: #fff; background: var(--good); }
.empty { font-style: italic; color: var(--muted); }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  th { background: none; }
  .user { border-top: 1px solid #000; }
  .user + .user { break-before: page; }
  table, figure, li, h3 { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""


def render_html(report: WeeklyReport) -> str:
    """The whole report as one HTML document."""
    body = [_header(report)]
    if not report.users:
        body.append(f'<p class="empty">{escape(t.EMPTY_REPORT)}</p>')
    if len(report.users) > 1:
        body.append(_summary(report.users))
    body.extend(_user_section(report, user, i) for i, user in enumerate(report.users))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            f"<title>{escape(t.heading(report))}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def html_link(label: str, url: str) -> str:
    """An escaped `<a>` for http(s) URLs; just the escaped label for anything else."""
    if not t.is_web_url(url):
        return escape(label)
    return f'<a href="{escape(url.strip(), quote=True)}">{escape(label)}</a>'


def _header(report: WeeklyReport) -> str:
    meta = f"{t.window_text(report)} \N{MIDDLE DOT} {t.freshness_text(report)}"
    return (
        f'<header><h1>{escape(t.heading(report))}</h1><p class="meta">{escape(meta)}</p></header>'
    )


def _slug(login: str, index: int) -> str:
    # ids must be unique and plain even if two logins differ only in odd characters
    return f"u{index}-" + re.sub(r"[^A-Za-z0-9_-]", "-", login)


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int, cls: str
) -> str:
    """A table whose cells are already HTML; columns from `numeric_from` on align right."""

    def cell(tag: str, col: int, content: str) -> str:
        attr = ' class="num"' if col >= numeric_from else ""
        scope = ' scope="col"' if tag == "th" else ""
        return f"<{tag}{attr}{scope}>{content}</{tag}>"

    head = "".join(cell("th", i, escape(h)) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _summary(users: Sequence[UserReport]) -> str:
    rows = [
        [
            f'<a href="#{_slug(user.login, i)}">{escape(user.login)}</a>',
            *(str(v) for v in t.totals_values(user.totals)),
            escape(t.total_with_delta(user)),
            escape(t.weeks_text(user.streak_weeks)),
        ]
        for i, user in enumerate(users)
    ]
    table = _table(SUMMARY_HEADERS, rows, numeric_from=1, cls="summary")
    # a wide table scrolls on its own instead of widening a phone's page
    return f'<section><h2>Summary</h2><div class="scroll">{table}</div></section>'


def _user_section(report: WeeklyReport, user: UserReport, index: int) -> str:
    slug = _slug(user.login, index)
    parts = [
        f'<section class="user" id="{slug}">',
        f"<h2>{escape(user.login)}</h2>",
        f'<div class="overview">{_totals(user)}{_chart(user, slug)}</div>',
        _facts(user),
    ]
    if not t.has_week_items(user):
        parts.append(f'<p class="empty">{escape(t.EMPTY_WEEK)}</p>')
    for title, items in (
        ("Merged this week", user.merged_prs),
        ("Opened this week", user.opened_prs),
    ):
        if items:
            parts.append(_item_list(title, items, report))
    parts.append(_open_prs(user.open_prs))
    if user.goals:
        parts.append(_goals(user))
    if user.candidates:
        parts.append(_candidates(user.candidates[: t.MAX_CANDIDATES]))
    for title, items in (("Reviews given", user.reviews), ("Issues", user.issues)):
        if items:
            parts.append(_item_list(title, items, report))
    parts.append("</section>")
    return "\n".join(parts)


def _change(now: int, before: int) -> str:
    cls = "up" if now > before else "down" if now < before else "same"
    return f'<span class="{cls}">{escape(t.delta(now, before))}</span>'


def _totals(user: UserReport) -> str:
    rows = [
        [escape(label), str(now), str(before), _change(now, before)]
        for label, now, before, _ in t.totals_rows(user)
    ]
    now, before = user.totals.total(), user.previous_totals.total()
    rows.append(
        ["<strong>Total</strong>", f"<strong>{now}</strong>", str(before), _change(now, before)]
    )
    return _table(("This week", "Count", "Last week", "Change"), rows, numeric_from=1, cls="totals")


def _chart(user: UserReport, slug: str) -> str:
    if not user.history:
        return f'<p class="chart empty">{escape(t.NO_HISTORY)}</p>'
    span = t.history_span(user)
    title = f"Contributions per week by {user.login}" + (f", {span}" if span else "")
    svg = history_svg(user.history, user.history_weeks, title=title, chart_id=f"{slug}-chart")
    caption = "Contributions per week, last 12 weeks (this week in red)"
    return f'<figure class="chart">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _facts(user: UserReport) -> str:
    items = "".join(
        f"<li><strong>{escape(k)}:</strong> {escape(v)}</li>" for k, v in t.user_facts(user)
    )
    return f'<ul class="facts">{items}</ul>'


def _ref(repo: str, number: int, title: str, url: str) -> str:
    ref = f"{repo}#{number}"
    link = html_link(title.strip() or ref, url)
    return f'{link} <span class="ref">{escape(ref)}</span>'


def _item_list(title: str, items: Sequence[ItemRef], report: WeeklyReport) -> str:
    lines = "".join(f"<li>{_item_line(item, report)}</li>" for item in items)
    return f'<h3>{escape(title)}</h3><ul class="items">{lines}</ul>'


def _item_line(item: ItemRef, report: WeeklyReport) -> str:
    note = escape(f"\N{MIDDLE DOT} {t.item_notes(report, item)}")
    return f'{_ref(item.repo, item.number, item.title, item.url)} <span class="note">{note}</span>'


def _open_prs(prs: Sequence[OpenPR]) -> str:
    if not prs:
        return f"<h3>Open PRs</h3><p>{escape(t.NO_OPEN_PRS)}</p>"
    rows = []
    for pr in prs:
        ball = re.sub(r"[^a-z_]", "", pr.ball)
        move = f'<span class="ball ball-{ball}">{escape(t.ball_text(pr))}</span>'
        if pr.stale:
            move += f'<br><span class="stale">\N{WARNING SIGN} {escape(t.stale_text(pr))}</span>'
        rows.append([_ref(pr.repo, pr.number, pr.title, pr.url), move])
    table = _table(("PR", "Whose move"), rows, numeric_from=2, cls="open-prs")
    return f"<h3>Open PRs</h3>{table}"


def _goals(user: UserReport) -> str:
    rows = []
    for goal in user.goals:
        mark, cls = ("\N{CHECK MARK}", "up") if goal.met else ("\N{BALLOT X}", "down")
        outcome = f'<span class="{cls}">{mark} {escape(t.goal_outcome(goal))}</span>'
        rows.append([escape(t.goal_label(goal)), outcome, escape(t.hit_rate_text(goal))])
    table = _table(("Goal", "This week", "Hit rate"), rows, numeric_from=3, cls="goals")
    return f"<h3>Goals</h3>{table}"


def _candidates(candidates: Sequence[CandidateRef]) -> str:
    lines = []
    for cand in candidates:
        badge = '<span class="badge">new</span> ' if cand.new else ""
        reasons = escape("; ".join(cand.reasons))
        note = f' <span class="note">\N{MIDDLE DOT} {reasons}</span>' if reasons else ""
        lines.append(f"<li>{badge}{_ref(cand.repo, cand.number, cand.title, cand.url)}{note}</li>")
    return f'<h3>Good first issues for next week</h3><ul class="items">{"".join(lines)}</ul>'
