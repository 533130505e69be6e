"""`backbone migrate-db --to URL`: a SQLite database copied into PostgreSQL, run for real.

A SQLite database is filled through the services members use (back days over weeks in
two servers with a hidden member, posture nudges, a streak reminder, a recap, /ask
misses), copied by the real command line into a new PostgreSQL database, and then:
every table holds exactly the same rows; the boards, ranks and schedule read the same
through the storage interface; and the copy keeps working (the triggers are back on: a
new log moves the ranks the same way on both).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.features.coach.recap import RecapService
from bot.features.posture.service import PostureService
from bot.features.streaks.reminders import BackdayReminderService
from bot.features.streaks.service import StreakService
from bot.storage import Storage
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock
from tests.conftest import REPO_ROOT, SHIPPED_KNOWLEDGE
from tests.postgres import cluster, fresh_database

GUILDS = (1_000_001, 1_000_002)
MEMBERS = range(101, 131)
HIDDEN = 107
START = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)  # a Monday


async def fill(path: Path) -> None:
    """Ten weeks of a small server's life, through the services."""
    clock = FakeClock(START)
    storage = await SqliteStorage.open(path)
    try:
        streaks = StreakService(storage, clock)
        posture = PostureService(storage, lambda: ["neck", "hips"], clock)
        reminders = BackdayReminderService(storage, clock)
        recaps = RecapService(storage, clock)
        await streaks.change_server_settings(GUILDS[1], weekly_target=2)
        for week in range(10):
            for member in MEMBERS:
                for guild in GUILDS:
                    if (member + week) % 3 and (member + guild) % 4:
                        await streaks.log(guild, member, "today")
            clock.advance(days=3)
            for member in MEMBERS[::4]:
                await streaks.log(GUILDS[1], member, "yesterday", note=f"week {week}")
            clock.advance(days=4)
        for member in MEMBERS[:12]:
            await posture.opt_in(
                GUILDS[0], member, time_text="07:30", timezone_text="Europe/London", days=None
            )
        await reminders.set(GUILDS[0], MEMBERS[0], "sunday", "18:00")
        await recaps.set_channel(GUILDS[0], 555)
        await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(HIDDEN, True))
        for question in ("does deadlifting fix sciatica", "is rowing on a machine ok"):
            await storage.write(
                lambda tx, q=question: tx.insights.record_miss(GUILDS[0], START.date(), q)
            )
        await storage.write(lambda tx: tx.state.set_state("tree", "abc"))
    finally:
        await storage.close()


def migrate_db(path: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DISCORD_"))}
    env.update(DATABASE_PATH=str(path), KNOWLEDGE_DIR=str(SHIPPED_KNOWLEDGE))
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate-db", "--to", url],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in tables
        }


def postgres_rows(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """The same tables, the same columns in the same order (PostgreSQL-only columns,
    such as the schedule's lease, left out)."""
    with psycopg.connect(url) as conn:
        return {
            table: sorted(
                conn.execute(f"SELECT {', '.join(names)} FROM {table}".encode()).fetchall(),
                key=repr,
            )
            for table, names in columns.items()
        }


def sqlite_columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        return {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for table in sqlite_rows(path)
        }


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "backbone.db"
    asyncio.run(fill(path))
    return path


async def reads(storage: Storage) -> tuple[object, ...]:
    """What members and the scheduler would read: every board's first page with its ranks,
    each member's standing, the schedule's next instant, a member's export."""

    def unit(tx: Any) -> tuple[object, ...]:
        boards = []
        for guild in GUILDS:
            boards.append(tx.streaks.standing_of(guild, MEMBERS[3]))
            boards.append(tx.streaks.standing_of(guild, HIDDEN))
        kinds = ("posture", "channel", "backday", "recap", "retention")
        return (
            boards,
            tx.schedule.next_due_at(kinds),
            tx.privacy.export_member(MEMBERS[0]),
            tx.settings.get_guild_settings(GUILDS[1]),
        )

    return await storage.read(unit)


def test_migrate_db_copies_every_row_and_the_copy_keeps_working(filled: Path) -> None:
    url = fresh_database(migrated=False)
    result = migrate_db(filled, url)
    assert result.returncode == 0, result.stderr
    assert "every table's count matches" in result.stdout
    assert "backday_logs" in result.stdout

    expected = sqlite_rows(filled)
    assert sum(map(len, expected.values())) > 500, "the fixture should fill the database"
    assert postgres_rows(url, sqlite_columns(filled)) == expected

    async def compare_and_log() -> None:
        lite = await SqliteStorage.open(filled)
        pg = await PostgresStorage.open(url)
        try:
            assert await reads(pg) == await reads(lite)
            # The copy keeps working: the triggers are back on, so a new log moves the
            # histograms (ranks) the same way on both.
            clock = FakeClock(START + timedelta(weeks=10))
            for storage in (lite, pg):
                service = StreakService(storage, clock)
                await service.log(GUILDS[0], MEMBERS[5], "today")
                await service.log(GUILDS[0], 999, "today")
            assert await reads(pg) == await reads(lite)
            pages = [
                await StreakService(s, clock).leaderboard(GUILDS[0], MEMBERS[5], 10, board=b)
                for s in (lite, pg)
                for b in ("streak", "month", "all-time")
            ]
            assert pages[:3] == pages[3:]
        finally:
            await lite.close()
            await pg.close()

    asyncio.run(compare_and_log())


def test_migrate_db_refuses_a_database_that_holds_data(filled: Path) -> None:
    url = fresh_database(migrated=False)
    assert migrate_db(filled, url).returncode == 0
    with psycopg.connect(url) as conn:
        before = conn.execute(b"SELECT COUNT(*) FROM backday_logs").fetchone()
    again = migrate_db(filled, url)
    assert again.returncode == 2
    assert "already holds Backbone data" in again.stderr
    assert "Traceback" not in again.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute(b"SELECT COUNT(*) FROM backday_logs").fetchone() == before


def test_migrate_db_explains_a_bad_target_or_source(tmp_path: Path, filled: Path) -> None:
    bad_url = migrate_db(filled, "mysql://x@y/z")
    assert bad_url.returncode == 2
    assert "--to must start with postgresql://" in bad_url.stderr

    server = cluster()
    missing = server.url("no_such_database").replace("postgres@", "postgres:hunter2@")
    unreachable = migrate_db(filled, missing)
    assert unreachable.returncode == 2
    assert "cannot connect to the PostgreSQL server in --to" in unreachable.stderr
    assert "hunter2" not in unreachable.stderr + unreachable.stdout

    no_source = migrate_db(tmp_path / "nothing.db", fresh_database(migrated=False))
    assert no_source.returncode == 2
    assert "DATABASE_PATH=" in no_source.stderr and "does not exist" in no_source.stderr


def test_an_already_migrated_empty_database_is_accepted(tmp_path: Path) -> None:
    """A database the bot started on once (its schema and the retention job's own row, but
    no data) is empty enough: the copy replaces the prefilled rows with the file's."""
    source = tmp_path / "fresh.db"
    asyncio.run(_create(source))
    url = fresh_database(migrated=True)
    result = migrate_db(source, url)
    assert result.returncode == 0, result.stderr
    assert postgres_rows(url, sqlite_columns(source)) == sqlite_rows(source)


async def _create(path: Path) -> None:
    await (await SqliteStorage.open(path)).close()
