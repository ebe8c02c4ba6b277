"""The report's JSON contract as text: what `json.dumps(report_to_json(r), indent=2,
ensure_ascii=False)` prints, byte for byte, in a fraction of the time.

*Pure*. With `indent`, the standard library encodes in Python, a generator per level
(0.15 s for a 500-user report); only its compact mode runs in C. Here the C encoder
takes every container whose values are all scalars (a totals dict, a list of weeks),
and every list of such dicts (a user's PRs), in one call each: its item separator
carries the newline and the indent of their depth. Only the levels above are joined
here.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from functools import cache
from typing import Any

from contribbot.report.model import WeeklyReport, report_to_json

INDENT = 2
# exact types: a subclass (an IntEnum, say) takes the general path, as json.dumps would
SCALARS = frozenset({str, int, float, bool, type(None)})
LITERALS: dict[Any, str] = {None: "null", True: "true", False: "false"}

Encode = Callable[[Any], str]


def render_json(report: WeeklyReport) -> str:
    """The report as indented JSON (`contrib report --format json`)."""
    return dumps(report_to_json(report))


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte."""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def _write(value: Any, depth: int, out: list[str]) -> None:
    if type(value) is dict:
        if not value:
            out.append("{}")
        elif SCALARS.issuperset(map(type, value.values())):
            out.append(_flat(value, depth))
        else:
            _write_dict(value, depth, out)
    elif type(value) is list or type(value) is tuple:
        if not value:
            out.append("[]")
        elif SCALARS.issuperset(map(type, value)):
            out.append(_flat(value, depth))
        elif all(map(_is_flat_dict, value)):
            out.append(_flat_dicts(value, depth))
        else:
            _write_list(value, depth, out)
    else:
        out.append(_scalar(value))


def _write_dict(value: dict[Any, Any], depth: int, out: list[str]) -> None:
    inner = _pad(depth + 1)
    out.append("{")
    for index, (key, item) in enumerate(value.items()):
        out.append(f"{',' if index else ''}{inner}{_key(key)}: ")
        _write(item, depth + 1, out)
    out.append(f"{_pad(depth)}}}")


def _write_list(value: list[Any] | tuple[Any, ...], depth: int, out: list[str]) -> None:
    inner = _pad(depth + 1)
    out.append("[")
    for index, item in enumerate(value):
        out.append(f",{inner}" if index else inner)
        _write(item, depth + 1, out)
    out.append(f"{_pad(depth)}]")


def _is_flat_dict(value: Any) -> bool:
    return type(value) is dict and bool(value) and SCALARS.issuperset(map(type, value.values()))


def _flat(value: Any, depth: int) -> str:
    """A non-empty container of scalars: `[1,\\n    2]` from C, opened and closed here."""
    text = _compact(depth + 1)(value)
    return f"{text[0]}{_pad(depth + 1)}{text[1:-1]}{_pad(depth)}{text[-1]}"


def _flat_dicts(value: list[Any] | tuple[Any, ...], depth: int) -> str:
    """A list of non-empty dicts of scalars, in one C call at the keys' depth.

    Between two dicts C writes `},` + the keys' separator + `{`, which nothing else can
    be: inside a dict the separator is followed by a key's quote, and a newline inside
    a string is escaped. That boundary is re-indented to the dicts' depth.
    """
    keys, items = _pad(depth + 2), _pad(depth + 1)
    text = _compact(depth + 2)(value)[2:-2].replace(f"}},{keys}{{", f"{items}}},{items}{{{keys}")
    return f"[{items}{{{keys}{text}{items}}}{_pad(depth)}]"


def _key(key: Any) -> str:
    if type(key) is str:
        return json.encoder.encode_basestring(key)
    return _compact(0)({key: 0})[1:-4]  # '{"1": 0}': json's own reading of an odd key


def _scalar(value: Any) -> str:
    if type(value) is str:
        return json.encoder.encode_basestring(value)
    if value is None or type(value) is bool:
        return LITERALS[value]
    return _compact(0)(value)


@cache
def _pad(depth: int) -> str:
    return "\n" + " " * (INDENT * depth)


@cache
def _compact(depth: int) -> Encode:
    """Compact JSON (C, when the interpreter has it) with items on lines at `depth`."""
    separator = "," + _pad(depth)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no _json accelerator: the standard library's own Python path
        return json.JSONEncoder(ensure_ascii=False, separators=(separator, ": ")).encode
    encoder = make(
        {},  # markers: a cycle raises, as json.dumps does
        json.JSONEncoder().default,
        json.encoder.encode_basestring,
        None,  # no indent: the separator carries it
        ": ",
        separator,
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return lambda value: "".join(encoder(value, 0))
