"""The JSON text of a report: json.dumps(indent=2) byte for byte, whatever the shape."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from report_fixtures import (
    cohort_report,
    empty_week_report,
    no_users_report,
    reverted_week_report,
    single_report,
)

from contribbot.report.model import report_to_json
from contribbot.report.render_json import dumps, render_json
from contribbot.report.service import render

HOSTILE = ["", "}", "},\n    {", '"', "\\", "\n", "\u2028", "é", "\x00", "\ud800", "😀", "[1]"]
SHAPES: list[Any] = [
    {},
    [],
    (),
    0,
    -1.5,
    1e300,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    None,
    "text",
    {"a": {}},
    {"a": []},
    [[]],
    [{}],
    [{}, {"a": 1}],
    [{"a": 1}, {}],
    [{"a": 1}, {"b": [1]}],
    [{"a": "},\n    {"}, {"b": 2}],
    [{"a": 1}, 2],
    {"x": (1, 2), "y": [(), ((),)]},
    {3: "int key", 2.5: "float key", True: "bool key", None: "null key"},
    {3: [1], False: {"a": 1}, 2.5: [], None: {}},
    {"deep": {"deeper": {"deepest": [{"k": [1, {"l": None}]}]}}},
]


def _random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth > 4 or pick < 0.45:
        return rng.choice([*HOSTILE, 0, 7, -3, 2.25, 1e-7, True, False, None])
    size = rng.randrange(0, 5)
    if pick < 0.75:
        keys = rng.sample(HOSTILE, k=min(size, len(HOSTILE)))
        return {key: _random_value(rng, depth + 1) for key in keys}
    return [_random_value(rng, depth + 1) for _ in range(size)]


@pytest.mark.parametrize("value", SHAPES, ids=repr)
def test_dumps_prints_what_json_dumps_prints(value):
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("seed", range(40))
def test_dumps_matches_json_dumps_on_random_nesting(seed):
    value = _random_value(random.Random(seed), 0)
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_refuses_is_refused():
    with pytest.raises(TypeError):
        dumps({"a": [object()], "b": [1]})
    with pytest.raises(TypeError):
        dumps({(1, 2): "a tuple key", "b": [1]})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises((ValueError, RecursionError)):
        dumps([loop, {"a": [1]}])


@pytest.mark.parametrize(
    "make",
    [cohort_report, single_report, empty_week_report, no_users_report, reverted_week_report],
)
def test_the_report_is_the_json_contract_indented(make):
    report = make()
    expected = json.dumps(report_to_json(report), indent=2, ensure_ascii=False)
    assert render_json(report) == expected
    assert render(report, fmt="json") == expected
