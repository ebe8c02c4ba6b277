"""Pure: the good-first-issue digest for Slack and Zulip (each user's `candidates`)."""

from __future__ import annotations

from collections.abc import Callable

from contribbot.deliver.escape import slack_link, slack_text, zulip_link, zulip_text
from contribbot.deliver.slack import Payload, context, split_blocks, text_sections
from contribbot.deliver.zulip import MarkdownBlock, ZulipMessage, render_topic, split_markdown
from contribbot.report.model import CandidateRef, UserReport, WeeklyReport

TITLE = "Good first issues you can pick up"
NONE_FREE = "No free candidates right now."
FOOTER = "Still free when checked: no fresh PR, claim or assignee. Ranked for you by contribbot."


def _lines(user: UserReport, line: Callable[[CandidateRef, str], str]) -> list[str]:
    """A line per candidate (given its reasons), or a note that none is free."""
    return [line(c, "; ".join(c.reasons)) for c in user.candidates] or [NONE_FREE]


def _slack_line(c: CandidateRef, reasons: str) -> str:
    link = slack_link(c.url, f"{c.repo}#{c.number}")
    new = " *new*" if c.new else ""
    return f"• {link} {slack_text(c.title)}{new}\n    _{slack_text(reasons, 400)}_"


def _zulip_line(c: CandidateRef, reasons: str) -> str:
    link = zulip_link(c.url, f"{c.repo}#{c.number}")
    new = " **new**" if c.new else ""
    return f"- {link} {zulip_text(c.title)}{new}\n  {zulip_text(reasons, 400)}"


def slack_digest(report: WeeklyReport) -> list[Payload]:
    """One section group per user; GitHub text escaped, links checked."""
    groups = []
    for user in report.users:
        lines = _lines(user, _slack_line)
        groups.append(text_sections(f"*{slack_text(user.login, 100)}*", lines))
    return split_blocks(
        groups, title=f"{TITLE} · {report.generated_at:%Y-%m-%d}", footer=context(FOOTER)
    )


def zulip_digest(report: WeeklyReport, *, topic_template: str) -> list[ZulipMessage]:
    """One topic per user, mentions and markup in GitHub text neutralised."""
    messages: list[ZulipMessage] = []
    title = f"**{TITLE}** · {report.generated_at:%Y-%m-%d}"
    for user in report.users:
        blocks = [
            MarkdownBlock(lines=(title, "")),
            MarkdownBlock(lines=tuple(_lines(user, _zulip_line))),
            MarkdownBlock(lines=("", FOOTER)),
        ]
        topic = render_topic(topic_template, login=user.login, week=report.week or "")
        contents = split_markdown(blocks, continued=lambda i, n: f"{title} (continued {i}/{n})")
        messages.extend(ZulipMessage(topic=topic, content=content) for content in contents)
    return messages
