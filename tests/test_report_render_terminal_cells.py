"""The terminal renderer measures text as rich does, measuring fewer characters itself.

(Text reaches it through one_line, so no control characters: pure ASCII is its length.)
"""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len

from contribbot.report.render_terminal import _cells

SAMPLES = [
    "\N{BULLET} org/repo#12 Fix the thing \N{MIDDLE DOT} merged",
    "\u2581\u2583\u2588 this week 4, peak 9",
    "\N{CHECK MARK} met \N{BALLOT X} missed \N{WARNING SIGN} stale",
    "日本語のタイトル",
    "e\u0301 combining accent",
    "\N{THUMBS UP SIGN}\N{EMOJI MODIFIER FITZPATRICK TYPE-4} skin tone",
    "\N{MAN}\u200d\N{WOMAN}\u200d\N{GIRL} a family (joined)",
    "\N{HEAVY BLACK HEART}\ufe0f emoji style",
    "soft\xadhyphen",
    "\u200b zero width space",
    "\N{GREEK CAPITAL LETTER OMEGA} and \N{CYRILLIC CAPITAL LETTER ZHE}",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_known_strings_measure_as_rich_measures_them(text):
    assert _cells(text) == cell_len(text)


def test_random_strings_measure_as_rich_measures_them():
    rnd = random.Random(12)
    alphabet = [chr(c) for c in range(0x20, 0x3100)]
    alphabet += ["\N{THUMBS UP SIGN}", "\U0001f3fd", "\u200d", "\ufe0f", "\u0301"]
    texts = ["".join(rnd.choices(alphabet, k=rnd.randint(1, 16))) for _ in range(5000)]
    assert [_cells(t) for t in texts] == [cell_len(t) for t in texts]
