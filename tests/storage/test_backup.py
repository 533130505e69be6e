"""`bot.storage.sqlite.backup`: SQLite's backup API, checked, never half-written.

The command line around it, and a backup while another connection writes, are in
tests/test_cli.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.sqlite.backup import BackupError, BackupTargetError, backup
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.files import DatabaseFileError
from bot.storage.sqlite.migrations import available_migrations
from bot.storage.sqlite.state import SqliteState


@pytest.fixture
async def source(tmp_path: Path) -> Path:
    """A migrated database the bot's connection still holds open (its rows in the WAL)."""
    path = tmp_path / "data" / "backbone.db"
    db = await Database.open(path)
    await db.write(lambda conn: SqliteState(conn).set_state("k", "in the WAL"))
    yield path
    await db.close()


def value(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT value FROM bot_state WHERE key = 'k'").fetchone()[0])


def test_backup_copies_committed_rows_and_reports_the_copy(source: Path, tmp_path: Path) -> None:
    result = backup(source, tmp_path / "copy.db")
    assert result.path == tmp_path / "copy.db"
    assert result.size == result.path.stat().st_size > 0
    assert result.schema_version == available_migrations()[-1].version
    assert value(result.path) == "in the WAL"


def test_a_failed_check_leaves_the_existing_target_alone(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.db"
    target.write_text("yesterday's backup")
    versions = iter([4, 7])  # the source's, then the copy's
    monkeypatch.setattr("bot.storage.sqlite.backup._user_version", lambda conn: next(versions))
    with pytest.raises(BackupError, match="schema version 7, the database at 4"):
        backup(source, target, force=True)
    assert target.read_text() == "yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "data"]


def test_a_damaged_database_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    with sqlite3.connect(damaged) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.execute("CREATE INDEX t_x ON t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(f"row {n}" * 20,) for n in range(2000)])
    conn.close()
    page_size = 4096
    with damaged.open("r+b") as raw:  # scribble over an index page in the middle
        raw.seek(page_size * 40 + 100)
        raw.write(b"\xff" * 2000)
    with pytest.raises(BackupError, match=r"malformed|integrity check") as raised:
        backup(damaged, tmp_path / "copy.db")
    assert not isinstance(raised.value, BackupTargetError)
    assert not (tmp_path / "copy.db").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["damaged.db"]


def test_a_missing_source_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileError, match="there is no database here"):
        backup(tmp_path / "nothing.db", tmp_path / "copy.db")
    assert list(tmp_path.iterdir()) == []
