"""docs/ARCHITECTURE.md lists every module: of contribbot/, migrations/ and bench/.

The layout is a code block of sections: a line at column 0 opens one (`report/`,
`config/`), indented lines continue it. A module `contribbot/a/b/c.py` must be named
as `b/c.py` in the `a/` section; `contribbot/x.py` opens a section of its own;
`migrations/...` and `bench/...` are named inside their own sections. Package
`__init__.py` files are not asked for: the package's section stands for them.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
SKIP_PARTS = {"__pycache__"}


def _sections(doc: str) -> dict[str, str]:
    """The layout block, as {section header: everything said in that section}."""
    block = doc.split("```")[1]
    sections: dict[str, str] = {}
    header: str | None = None
    for line in block.splitlines():
        if line and not line[0].isspace():
            header = line.split()[0]
            sections[header] = line[len(header) :]
        elif header is not None:
            sections[header] += "\n" + line
    return sections


def _modules() -> list[tuple[str, str]]:
    """(section, path within it) for every module the layout must name (not `__init__.py`)."""
    wanted: list[tuple[str, str]] = []
    for top in ("contribbot", "migrations", "bench"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT / top)
            if SKIP_PARTS & set(rel.parts) or rel.name == "__init__.py":
                continue
            if top == "contribbot" and len(rel.parts) == 1:
                wanted.append((rel.name, ""))
            elif top == "contribbot":
                wanted.append((f"{rel.parts[0]}/", "/".join(rel.parts[1:])))
            else:
                wanted.append((f"{top}/", rel.as_posix()))
    return wanted


def _named(text: str, path: str) -> bool:
    return re.search(rf"(?<![\w/.-]){re.escape(path)}(?![\w-])", text) is not None


def test_the_layout_is_found():
    sections = _sections(DOC.read_text(encoding="utf-8"))
    assert {"cli/", "app/", "report/", "config/", "migrations/", "bench/"} <= set(sections)
    assert len(_modules()) > 100


def test_every_module_is_in_the_layout():
    sections = _sections(DOC.read_text(encoding="utf-8"))
    missing = [
        f"{section}{path}"
        for section, path in _modules()
        if section not in sections or (path and not _named(sections[section], path))
    ]
    assert not missing, "docs/ARCHITECTURE.md does not name: " + ", ".join(missing)


def test_a_missing_module_is_noticed():
    sections = _sections("```\nreport/\n  model.py   pure: the model\n  queries.py  SQL\n```")
    assert _named(sections["report/"], "model.py")
    assert not _named(sections["report/"], "assemble.py")
    assert not _named(sections["report/"], "el.py")  # a suffix of model.py is not a name
    assert not _named("render/render_html.py", "render_html.py")  # nor one in another folder
