"""`contrib report` reads: it never imports the save path (store.save, whose upserts load
SQLAlchemy's PostgreSQL dialect) nor, on SQLite, that dialect. A behaviour test of which
modules got imported, never of how long they took."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_cli_imports
from conftest import Standin, copy_standin, load

# test_cli_imports' runner, recording every module instead of the top-level packages
FULL_NAMES = test_cli_imports.RUN.replace('{m.split(".")[0] for m in sys.modules}', "sys.modules")


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html", "json"])
def test_a_report_does_not_import_the_save_path(
    standin: Standin, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
):
    assert FULL_NAMES != test_cli_imports.RUN
    monkeypatch.setattr(test_cli_imports, "RUN", FULL_NAMES)
    config = copy_standin(standin, tmp_path)
    args = ("report", "--week", "2026-W46", "--format", fmt, "--config", str(config))
    modules = test_cli_imports.imported(tmp_path, *args)
    assert {"contribbot.report.queries", "contribbot.candidates.service"} <= modules
    assert "contribbot.store.save" not in modules
    assert "contribbot.store.upsert" not in modules
    if load(config).database_url().startswith("sqlite"):
        assert "sqlalchemy.dialects.postgresql" not in modules
