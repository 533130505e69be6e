"""Storage: a real SQLite file, migrated by PRAGMA user_version, refusing newer files and
explaining paths that cannot hold it."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.posture import Reminder
from bot.storage.sqlite import SqliteStorage, connection, files, migrations
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.files import DatabaseFileError
from bot.storage.sqlite.migrations import (
    DatabaseTooNewError,
    Migration,
    available_migrations,
    migrate,
)
from bot.storage.sqlite.state import SqliteState

KINDS = ("posture",)


async def test_new_database_is_created_migrated_and_configured(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "backbone.db"
    db = await Database.open(path)
    try:
        assert path.exists()
        assert await migrations.schema_version(db.conn) == available_migrations()[-1].version
        async with db.conn.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"
        async with db.conn.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "backbone.db"
    db = await Database.open(path)
    await db.write(lambda conn: SqliteState(conn).set_state("k", "v1"))
    await db.close()
    db = await Database.open(path)
    try:
        assert await db.read(lambda conn: SqliteState(conn).get_state("k")) == "v1"
        await db.write(lambda conn: SqliteState(conn).set_state("k", "v2"))
        assert await db.read(lambda conn: SqliteState(conn).get_state("k")) == "v2"
        assert await db.read(lambda conn: SqliteState(conn).get_state("missing")) is None
    finally:
        await db.close()


async def test_a_failed_write_rolls_back_and_the_next_one_works(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "backbone.db")

    def half_then_fail(conn: sqlite3.Connection) -> None:
        SqliteState(conn).set_state("k", "half")
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            await db.write(half_then_fail)
        assert await db.read(lambda conn: SqliteState(conn).get_state("k")) is None
        assert not await db.read(lambda conn: conn.in_transaction)
        await db.write(lambda conn: SqliteState(conn).set_state("k", "whole"))
        assert await db.read(lambda conn: SqliteState(conn).get_state("k")) == "whole"
    finally:
        await db.close()


async def test_checkpoints_run_off_the_main_connection(tmp_path: Path) -> None:
    path = tmp_path / "backbone.db"
    db = await Database.open(path)
    try:
        assert await db.read(
            lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        ) == (connection.WAL_FRAMES_BOUND)
        for n in range(50):
            await db.write(lambda conn, n=n: SqliteState(conn).set_state(f"k{n}", "v" * 1000))
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 0
        size_before = path.stat().st_size
        await db.checkpoint()
        assert path.stat().st_size > size_before  # the frames reached the database file
        with sqlite3.connect(path) as other:
            busy, frames, done = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert (busy, frames) == (0, done)  # nothing left to copy
        assert await db.read(lambda conn: SqliteState(conn).get_state("k49")) == "v" * 1000
    finally:
        await db.close()


async def test_the_wal_stays_bounded_when_background_checkpoints_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "CHECKPOINT_INTERVAL", 3600.0)  # a core never idle
    monkeypatch.setattr(connection, "WAL_FRAMES_BOUND", 20)
    path = tmp_path / "backbone.db"
    db = await Database.open(path)
    try:
        for n in range(300):
            await db.write(lambda conn, n=n: SqliteState(conn).set_state(f"k{n}", "v" * 1000))
        page = await db.read(lambda conn: conn.execute("PRAGMA page_size").fetchone()[0])
        # 300 commits of a page or more each; the WAL restarts after each bound's copy.
        assert path.with_name(path.name + "-wal").stat().st_size < 40 * (page + 24)
        assert await db.read(lambda conn: SqliteState(conn).get_state("k299")) == "v" * 1000
    finally:
        await db.close()


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "backbone.db"
    async with aiosqlite.connect(path) as raw:
        await raw.execute("PRAGMA user_version = 999")
        await raw.commit()
    with pytest.raises(DatabaseTooNewError, match="schema version 999"):
        await Database.open(path)


@pytest.mark.parametrize("start", range(len(available_migrations()) + 1))
async def test_every_historic_version_upgrades(tmp_path: Path, start: int) -> None:
    path = tmp_path / "backbone.db"
    async with aiosqlite.connect(path) as raw:
        assert await migrate(raw, target=start) == start
    db = await Database.open(path)
    try:
        assert await migrations.schema_version(db.conn) == available_migrations()[-1].version
    finally:
        await db.close()


async def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = available_migrations()
    broken = Migration(len(good) + 1, "broken", "CREATE TABLE half (x INTEGER);\nNOT SQL;")
    monkeypatch.setattr(migrations, "available_migrations", lambda: [*good, broken])
    async with aiosqlite.connect(tmp_path / "backbone.db") as raw:
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(raw)
        assert await migrations.schema_version(raw) == len(good)
        async with raw.execute("SELECT name FROM sqlite_master WHERE name = 'half'") as cursor:
            assert await cursor.fetchone() is None


# --- a path or file that cannot hold the database ------------------------------------------


async def test_a_file_that_is_not_a_database_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database at all\n" * 100)
    with pytest.raises(DatabaseFileError) as raised:
        await Database.open(path)
    assert raised.value.path == path
    assert raised.value.problem.startswith("this file is not a SQLite database")
    assert raised.value.describe("DATABASE_PATH").startswith(f"DATABASE_PATH={str(path)!r}: ")
    assert isinstance(raised.value.__cause__, sqlite3.DatabaseError)


async def test_a_path_under_a_regular_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("x")
    with pytest.raises(DatabaseFileError, match="is a regular file, not a folder"):
        await Database.open(tmp_path / "data" / "sub" / "backbone.db")


async def test_unopenable_path_leaves_no_thread(tmp_path: Path) -> None:
    """aiosqlite stops its worker thread without waiting when connecting fails; `open`
    waits for it, so a CLI that ends its event loop right after the error prints nothing
    more (the thread would otherwise die with "Event loop is closed")."""

    def workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}

    before = workers()
    with pytest.raises(DatabaseFileError, match="this is a directory"):
        await Database.open(tmp_path)  # a directory: sqlite3.connect itself fails
    assert workers() <= before


async def test_an_unwritable_folder_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the user sees when SQLite may not create its files (root may write anywhere,
    so the refusal is simulated; tests/test_cli.py runs it for real as another user)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: p != folder and real_access(p, mode))
    error = sqlite3.OperationalError("attempt to write a readonly database")
    error.sqlite_errorcode = 1544  # type: ignore[attr-defined]  # SQLITE_READONLY_DIRECTORY
    assert files.explains(error)
    explained = files.explain(folder / "backbone.db", error)
    assert explained.problem.startswith("the user the bot runs as")
    assert f"may not write to {folder} (permission denied)" in explained.problem
    nested = files.explain(folder / "data" / "backbone.db", PermissionError(13, "denied"))
    assert f"may not create folders in {folder}" in nested.problem


async def test_a_bug_in_a_migration_is_not_dressed_up_as_a_path_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = available_migrations()
    broken = Migration(len(good) + 1, "broken", "NOT SQL;")
    monkeypatch.setattr(migrations, "available_migrations", lambda: [*good, broken])
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        await Database.open(tmp_path / "backbone.db")


async def test_coach_queries_go_through_an_index(tmp_path: Path) -> None:
    """/coach insights, the recap's logs and retention's pruning never scan a table."""
    from datetime import date

    from bot.storage.retention import RETAINED
    from bot.storage.sqlite.insights import SqliteInsights
    from bot.storage.sqlite.retention import SqliteRetention
    from bot.storage.sqlite.streaks import SqliteStreaks

    await (await Database.open(tmp_path / "backbone.db")).close()
    conn = sqlite3.connect(tmp_path / "backbone.db", isolation_level=None)
    try:
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        insights, since = SqliteInsights(conn), date(2026, 1, 1)
        insights.top_misses(1, since, 10)
        insights.miss_totals(1, since)
        insights.top_opens(1, since, 10)
        insights.open_totals(1, since)
        insights.nudge_outcomes(1, 5)
        insights.reminder_outcomes(1, 5)
        insights.posture_members(1)
        insights.reminder_members(1)
        insights.members_logged(1, since)
        insights.streak_spread(1)
        SqliteStreaks(conn).logs_between(1, since, since)
        conn.execute("BEGIN")
        for table in RETAINED:
            SqliteRetention(conn).prune(table, 1_800_000_000, 10)
        conn.execute("ROLLBACK")
        conn.set_trace_callback(None)
        queries = [s for s in statements if s.split()[0] in ("SELECT", "DELETE")]
        assert len(queries) == 11 + len(RETAINED)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        for sql in queries:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            scanned = [step.split()[1] for step in plan if step.startswith("SCAN ")]
            assert not set(scanned) & tables, (sql, plan)
            assert any(step.startswith("SEARCH") for step in plan), (sql, plan)
    finally:
        conn.close()


# --- the schedule's leases, held in the process's memory ------------------------------


def _reminder(user_id: int, due_at: int) -> Reminder:
    return Reminder(user_id, 1, "09:00", "every day", due_at, None, None, due_at, None, None, 0)


async def test_a_lease_keeps_the_process_from_taking_a_row_twice(tmp_path: Path) -> None:
    """The scheduler leases its next batch while one is sent: rows in flight are skipped
    until their due instant changes (the job ran) or the lease ends."""
    storage = await SqliteStorage.open(tmp_path / "backbone.db")
    try:
        await storage.write(
            lambda tx: [tx.posture.save_reminder(_reminder(u, 100 + u)) for u in (1, 2, 3)]
        )

        async def lease(now: int, until: int, limit: int = 10) -> list[int]:
            rows = await storage.write(lambda tx: tx.schedule.lease(now, until, limit, KINDS))
            return [key for _kind, key in rows]

        assert await lease(200, 230, limit=2) == [1, 2]
        assert await lease(200, 230) == [3]  # past the rows in flight
        assert await lease(200, 230) == []
        await storage.write(lambda tx: tx.posture.defer_reminder(1, 210))  # 1 ran (moved on)
        assert await lease(210, 240) == [1]
        assert await lease(230, 260) == [2, 3]  # their leases ended
    finally:
        await storage.close()
    restarted = await SqliteStorage.open(tmp_path / "backbone.db")  # a new process
    try:
        rows = await restarted.write(lambda tx: tx.schedule.lease(231, 261, 10, KINDS))
        assert rows == [("posture", 2), ("posture", 3), ("posture", 1)]  # soonest first
    finally:
        await restarted.close()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread scheduling policies are Linux's")
async def test_checkpoints_run_only_when_commands_leave_the_cpu_idle(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "backbone.db")
    try:

        async def policy(conn: aiosqlite.Connection) -> int:
            tid: int = await conn._execute(threading.get_native_id)  # type: ignore[no-untyped-call]
            return os.sched_getscheduler(tid)

        assert await policy(db.conn) == os.SCHED_OTHER
        assert await policy(db._checkpointer) == os.SCHED_IDLE
        await db.conn.execute("CREATE TABLE t (x)")
        before = (tmp_path / "backbone.db").stat().st_size
        await db.checkpoint()  # and it still checkpoints: the new table reaches the file
        assert (tmp_path / "backbone.db").stat().st_size > before
    finally:
        await db.close()
