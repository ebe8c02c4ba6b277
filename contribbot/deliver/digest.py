"""Pure: the good-first-issue digest for Slack and Zulip (each user's `candidates`)."""

from __future__ import annotations

from contribbot.deliver.escape import slack_link, slack_text, zulip_link, zulip_text
from contribbot.deliver.slack import Payload, context, split_blocks, text_sections
from contribbot.deliver.zulip import MarkdownBlock, ZulipMessage, render_topic, split_markdown
from contribbot.report.model import CandidateRef, WeeklyReport

TITLE = "Good first issues you can pick up"
NONE_FREE = "No free candidates right now."
FOOTER = "Still free when checked: no fresh PR, claim or assignee. Ranked for you by contribbot."


def _reasons(candidate: CandidateRef) -> str:
    return "; ".join(candidate.reasons)


def slack_digest(report: WeeklyReport) -> list[Payload]:
    """One section group per user; GitHub text escaped, links checked."""
    groups = []
    for user in report.users:
        lines = [
            f"• {slack_link(c.url, f'{c.repo}#{c.number}')} {slack_text(c.title)}"
            + (" *new*" if c.new else "")
            + f"\n    _{slack_text(_reasons(c), 400)}_"
            for c in user.candidates
        ] or [NONE_FREE]
        groups.append(text_sections(f"*{slack_text(user.login, 100)}*", lines))
    return split_blocks(
        groups, title=f"{TITLE} · {report.generated_at:%Y-%m-%d}", footer=context(FOOTER)
    )


def zulip_digest(report: WeeklyReport, *, topic_template: str) -> list[ZulipMessage]:
    """One topic per user, mentions and markup in GitHub text neutralised."""
    messages: list[ZulipMessage] = []
    title = f"**{TITLE}** · {report.generated_at:%Y-%m-%d}"
    for user in report.users:
        lines = [
            f"- {zulip_link(c.url, f'{c.repo}#{c.number}')} {zulip_text(c.title)}"
            + (" **new**" if c.new else "")
            + f"\n  {zulip_text(_reasons(c), 400)}"
            for c in user.candidates
        ] or [NONE_FREE]
        blocks = [
            MarkdownBlock(lines=(title, "")),
            MarkdownBlock(lines=tuple(lines)),
            MarkdownBlock(lines=("", FOOTER)),
        ]
        topic = render_topic(topic_template, login=user.login, week=report.week or "")
        contents = split_markdown(blocks, continued=lambda i, n: f"{title} (continued {i}/{n})")
        messages.extend(ZulipMessage(topic=topic, content=content) for content in contents)
    return messages
