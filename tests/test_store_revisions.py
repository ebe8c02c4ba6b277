"""Opening a database: the revision check without Alembic, and what is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from conftest import cli, write_config
from engines import ON_POSTGRES

from contribbot.store.revisions import parse_chain, shipped_chain

SQLITE_ONLY = pytest.mark.skipif(ON_POSTGRES, reason="SQLite files")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_chain_is_read_from_the_scripts_text():
    chain = parse_chain(
        [
            'revision: str = "0002"\ndown_revision: str | None = "0001"\n',
            "revision = '0001'\ndown_revision = None\n",
        ]
    )
    assert chain.known == {"0001", "0002"} and chain.head == "0002"
    with pytest.raises(ValueError, match="several heads"):
        parse_chain(
            ['revision = "a"\ndown_revision = None\n', 'revision = "b"\ndown_revision = None\n']
        )


def test_the_shipped_head_is_alembics_head(tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from contribbot.store.revisions import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    script = ScriptDirectory.from_config(config)
    assert shipped_chain().head == script.get_current_head()
    assert shipped_chain().known == {s.revision for s in script.walk_revisions()}


@SQLITE_ONLY
@pytest.mark.parametrize("command", [["status"], ["activity"], ["db", "upgrade"]])
def test_a_database_from_a_newer_contribbot_is_refused_untouched(tmp_path, command):
    path = write_config(tmp_path, "http://127.0.0.1:9")
    assert cli("status", "--config", str(path))[0] == 0  # creates it at our head
    db = tmp_path / "contrib.db"
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    before = digest(db)
    code, out, err = cli(*command, "--config", str(path))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: database {db}: this database was written by a newer contribbot "
        "(revision 0999_from_the_future); upgrade contribbot"
    )
    assert digest(db) == before


@SQLITE_ONLY
def test_someone_elses_sqlite_file_is_refused_untouched(tmp_path):
    db = tmp_path / "contrib.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO recipes (name) VALUES ('bread')")
    before = digest(db)
    path = write_config(tmp_path, "http://127.0.0.1:9")
    code, _, err = cli("status", "--config", str(path))
    assert code == 2
    assert err.strip() == (
        f"error: database {db} holds other tables than contribbot's (recipes); "
        "point [database] url at a new file"
    )
    assert digest(db) == before


@SQLITE_ONLY
def test_cannot_open_names_the_path(tmp_path):
    (tmp_path / "contrib.db").mkdir()  # a directory where the file should be
    path = write_config(tmp_path, "http://127.0.0.1:9")
    code, _, err = cli("status", "--config", str(path))
    assert code == 1
    line = err.strip()
    assert "\n" not in line
    assert line.startswith(f"error: database {tmp_path / 'contrib.db'}: cannot open or upgrade: ")
