"""Chat text: GitHub text made inert for Slack and Zulip, and secrets kept out of text.

Everything that came from GitHub (titles, logins, labels, review states, reasons)
goes through `slack_text` / `zulip_text` before it reaches a message, and every
link through `slack_link` / `zulip_link`. Text is capped *before* escaping, so no
later cut can land inside an escape sequence or a link. The wording itself comes
from ``contribbot.report.text``, shared with every other format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

MAX_TITLE_CHARS = 200
MAX_REF_CHARS = 120
MAX_URL_CHARS = 500
ELLIPSIS = "…"
REDACTED = "[redacted]"

_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029]+")
# Direction overrides can make a title display as something else entirely.
_BIDI_CONTROLS = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Slack: `<!here>`-style mentions need `<`, which we escape; the word joiner only
# guards against clients that still link bare "@here" / "@channel".
_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "@\u2060"}
# Zulip renders no backslash escapes (its Markdown disables them), but it does
# render HTML entities, so every character that can start Zulip syntax becomes
# one: mentions (@), bold/stream links (*), code (`), links ([ ]), tables (|),
# strikethrough (~), TeX ($), linkifiers and headings (#), HTML/timestamps (< >),
# emoji and "http://" autolinks (:).
_ZULIP_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "&#64;",
    "*": "&#42;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "|": "&#124;",
    "~": "&#126;",
    "$": "&#36;",
    "#": "&#35;",
    ":": "&#58;",
}
_SLACK_TABLE = str.maketrans(_SLACK_ESCAPES)
_ZULIP_TABLE = str.maketrans(_ZULIP_ESCAPES)
# Characters a URL keeps as they are; the rest is percent-encoded, so nothing in it can
# close `<url|text>` or `[text](url)`, split a table row or start Zulip syntax.
_URL_SAFE = "/:?#!&'+,;=%-._"


def clean(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """One line of at most `limit` characters: newlines and controls become spaces, bidi goes."""
    flat = _WHITESPACE.sub(" ", _BIDI_CONTROLS.sub("", text)).strip()
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def slack_text(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Untrusted text for Slack mrkdwn: capped, then `&`, `<`, `>` escaped and mentions broken."""
    return clean(text, limit).translate(_SLACK_TABLE)


def zulip_text(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Untrusted text for Zulip Markdown: capped, then every syntax character as an entity."""
    return clean(text, limit).translate(_ZULIP_TABLE)


def safe_url(url: str) -> str | None:
    """An http(s) URL with nothing that could end a chat link early, or None if unusable."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL_CHARS:
        return None
    return quote(url.strip(), safe=_URL_SAFE)


def slack_link(url: str, text: str) -> str:
    """A Slack link `<url|text>`, text escaped; just the escaped text if the URL is unusable."""
    label = slack_text(text, MAX_REF_CHARS)
    target = safe_url(url)
    if target is None:
        return label
    return f"<{target.replace('&', '&amp;')}|{label}>"


def zulip_link(url: str, text: str) -> str:
    """A Zulip link `[text](url)`, text escaped; just the escaped text if the URL is unusable."""
    label = zulip_text(text, MAX_REF_CHARS)
    target = safe_url(url)
    if target is None:
        return label
    return f"[{label}]({target})"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced by a marker, longest secrets first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
