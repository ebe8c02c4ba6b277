"""The wheel ships every package: pyproject lists packages by hand (migrations are mapped in)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(project["tool"]["setuptools"]["packages"])


def test_every_package_under_contribbot_is_declared_for_the_wheel():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "contribbot").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    missing = sorted(found - _declared())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_declared_packages_exist():
    stale = sorted(
        name
        for name in _declared()
        if not name.startswith("contribbot.migrations")
        and not (ROOT / name.replace(".", "/") / "__init__.py").exists()
    )
    assert not stale, f"listed in pyproject.toml but gone: {stale}"
