"""`contrib report` reads: it never imports the save path (store.save, whose upserts load
SQLAlchemy's PostgreSQL dialect) nor, on SQLite, that dialect. A behaviour test of which
modules got imported, never of how long they took."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Standin, copy_standin, load

RUN = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["contrib", *args]
from contribbot.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html", "json"])
def test_a_report_does_not_import_the_save_path(standin: Standin, tmp_path: Path, fmt: str):
    config = copy_standin(standin, tmp_path)
    args = ["report", "--week", "2026-W46", "--format", fmt, "--config", str(config)]
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["code"] in (0, None), done.stderr[-2000:]
    modules = set(result["modules"])
    assert {"contribbot.report.queries", "contribbot.candidates.service"} <= modules
    assert "contribbot.store.save" not in modules
    assert "contribbot.store.upsert" not in modules
    if load(config).database_url().startswith("sqlite"):
        assert "sqlalchemy.dialects.postgresql" not in modules
