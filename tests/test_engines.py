"""The tests' own rule: every test database comes from engines.db_url, so CONTRIBBOT_TEST_DB
moves the whole suite to PostgreSQL. Only tests of SQLite itself may build a SQLite URL."""

from __future__ import annotations

import re
from pathlib import Path

SQLITE_ONLY = {  # file -> why its SQLite URLs are SQLite's on either engine
    "test_cli.py": "a missing directory for the file; the demo refuses a user's SQLite file",
    "test_config.py": "relative SQLite paths resolve against the config; a junk file",
    "test_store_db.py": "SQLite's pragmas (WAL, foreign keys)",
    "engines.py": "db_url itself",
}


def test_test_databases_come_from_db_url():
    built = re.compile(r"sqlite:///\{")  # an f-string turning a path into a SQLite URL
    offenders = [
        path.name
        for path in sorted(Path(__file__).parent.glob("*.py"))
        if path.name not in SQLITE_ONLY and built.search(path.read_text())
    ]
    assert offenders == [], "use engines.db_url(path) for a test database"
