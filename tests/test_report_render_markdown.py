"""escape_markdown, character by character: what each special character becomes."""

from __future__ import annotations

import random

from contribbot.report.render_markdown import BACKSLASHED, ENTITIES, escape_markdown


def _one_by_one(text: str) -> str:
    """The rule, read literally: entities first, then backslashes, whitespace collapsed."""
    out = []
    for char in " ".join(text.split()):
        out.append(ENTITIES.get(char) or ("\\" + char if char in BACKSLASHED else char))
    return "".join(out)


def test_every_special_character_is_escaped_its_own_way():
    assert escape_markdown("a<b>&{c}") == "a&lt;b&gt;&amp;&#123;c&#125;"
    assert escape_markdown("*x* _y_ `z` [l](u) |t| ~s~ $m$ \\") == (
        "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\|t\\| \\~s\\~ \\$m\\$ \\\\"
    )
    assert escape_markdown("  two\n lines\tand  spaces ") == "two lines and spaces"


def test_random_text_escapes_as_the_rule_reads():
    rnd = random.Random(5)
    alphabet = [*BACKSLASHED, *ENTITIES, " ", "\n", "\t", "a", "#", "!", "(", "é", "\u2028"]
    for _ in range(2000):
        text = "".join(rnd.choices(alphabet, k=rnd.randint(0, 20)))
        assert escape_markdown(text) == _one_by_one(text)
