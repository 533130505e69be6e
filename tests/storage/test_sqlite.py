"""Storage: a real SQLite file, migrated by PRAGMA user_version, refusing newer files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.sqlite import migrations
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.migrations import (
    DatabaseTooNewError,
    Migration,
    available_migrations,
    migrate,
)
from bot.storage.sqlite.state import SqliteState


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
        assert (
            await db.read(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        )
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
