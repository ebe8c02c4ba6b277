"""Reading a comment as its author meant it: visible lines, phrases, who it addresses.

Pure: text in, text out.
"""

from __future__ import annotations

import re
from functools import lru_cache

EXCERPT_CHARS = 60  # how much of a claim comment a reason quotes

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_ADDRESSED = re.compile(r"^\s*((?:@[A-Za-z0-9][A-Za-z0-9-]*[\s,:]*)+)")
_LOGIN = re.compile(r"@([A-Za-z0-9][A-Za-z0-9-]*)")
_NEVER = re.compile(r"(?!)")


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


def addressed(body: str) -> set[str]:
    """Casefolded logins a comment starts by addressing ("@dan @eve sorry, ...")."""
    first = next((line for line in visible_lines(body) if line.strip()), "")
    run = _ADDRESSED.match(first)
    return {login.casefold() for login in _LOGIN.findall(run.group(1))} if run else set()


def excerpt(line: str) -> str:
    """`line` on one line, without control characters, cut to EXCERPT_CHARS."""
    # control characters could drive a terminal; renderers escape the rest
    text = " ".join("".join(ch for ch in line if ch.isprintable() or ch.isspace()).split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rstrip() + "…"
