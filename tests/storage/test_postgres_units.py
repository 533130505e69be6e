"""Units on PostgreSQL where they differ from SQLite's: they run at once, and in
pipeline mode.

Two `/backday log`s of one member race here, interleaved on purpose.
`StreakService.log` reads the member's streak, then writes the log and the stats it
computed from that read without reading anything back (`StreakStore`). That is right only
because, at REPEATABLE READ, a unit whose snapshot predates a concurrent unit's commit
cannot write the same log row (ON CONFLICT DO NOTHING included) or the same stats row:
PostgreSQL refuses it with a serialization failure and the unit re-runs on a fresh
snapshot. Here both units are held after their read until both have read, so they
always overlap; the outcome must be what running them one after the other gives.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from bot.features.streaks.service import LogResult, StreakService, When
from bot.storage import Transaction
from bot.storage.base import T, Unit
from bot.storage.postgres import PostgresStorage
from bot.storage.postgres.connection import PostgresDatabase
from bot.storage.streaks import MemberStreak, RankedStanding, Standing
from tests.postgres import fresh_database

GUILD = 1_000_001
ALICE = 11
NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)  # a Wednesday
TODAY = date(2024, 3, 6)


class _HeldStreaks:
    """A streak store whose first `member_streak` reads wait for each other."""

    def __init__(self, inner: Any, race: _Race) -> None:
        self._inner = inner
        self._race = race

    def member_streak(self, guild_id: int, user_id: int) -> MemberStreak:
        found: MemberStreak = self._inner.member_streak(guild_id, user_id)
        self._race.after_read()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _HeldTransaction:
    def __init__(self, inner: Transaction, race: _Race) -> None:
        self._inner = inner
        self.streaks = _HeldStreaks(inner.streaks, race)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Race:
    """PostgresStorage whose first `parties` reads of a member's streak (each in its own
    worker thread) each wait until all of them have read, and which counts the reads
    (a re-run unit reads again)."""

    def __init__(self, storage: PostgresStorage, parties: int) -> None:
        self.storage = storage
        self.reads = 0
        self._parties = parties
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(parties, timeout=10)

    def after_read(self) -> None:
        with self._lock:
            self.reads += 1
            held = self.reads <= self._parties
        if held:
            self._barrier.wait()

    async def read(self, work: Unit[T]) -> T:
        return await self.storage.read(lambda tx: work(_HeldTransaction(tx, self)))

    async def write(self, work: Unit[T]) -> T:
        return await self.storage.write(lambda tx: work(_HeldTransaction(tx, self)))

    async def close(self) -> None:
        await self.storage.close()


@pytest.fixture
async def storage() -> AsyncIterator[PostgresStorage]:
    opened = await PostgresStorage.open(fresh_database())
    try:
        yield opened
    finally:
        await opened.close()


async def _race(storage: PostgresStorage, *when: When) -> tuple[list[LogResult], int]:
    race = _Race(storage, len(when))
    service = StreakService(race, clock=lambda: NOW)
    results = await asyncio.gather(*(service.log(GUILD, ALICE, w) for w in when))
    return list(results), race.reads


async def _standing(storage: PostgresStorage) -> RankedStanding | None:
    return await storage.read(lambda tx: tx.streaks.standing_of(GUILD, ALICE))


async def test_two_logs_of_the_same_day_at_once_give_one_log(storage: PostgresStorage) -> None:
    results, reads = await _race(storage, "today", "today")
    assert reads == 3  # both read, one was refused and re-ran
    assert sorted(r.logged for r in results) == [False, True]
    assert {(r.stats.current, r.stats.best, r.stats.total) for r in results} == {(1, 1, 1)}
    assert await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE)) == [TODAY]
    assert await _standing(storage) == RankedStanding(1, Standing(ALICE, 1, 1, 1))


async def test_two_logs_of_different_days_at_once_both_count(storage: PostgresStorage) -> None:
    results, reads = await _race(storage, "today", "yesterday")
    assert reads == 3
    assert [r.logged for r in results] == [True, True]
    # The unit that ran second saw the first one's log: its streak counts both days.
    assert sorted(r.stats.total for r in results) == [1, 2]
    days = await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE))
    assert days == [date(2024, 3, 5), TODAY]
    assert await _standing(storage) == RankedStanding(1, Standing(ALICE, 1, 1, 2))


async def test_a_log_racing_an_undo_leaves_the_stats_of_what_remains(
    storage: PostgresStorage,
) -> None:
    await StreakService(storage, clock=lambda: NOW).log(GUILD, ALICE, "yesterday")
    race = _Race(storage, 2)
    service = StreakService(race, clock=lambda: NOW)
    logged, undone = await asyncio.gather(
        service.log(GUILD, ALICE, "today"), service.undo(GUILD, ALICE)
    )
    assert race.reads == 3
    assert logged.logged and undone.removed is not None
    days = await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE))
    assert len(days) == 1
    assert await _standing(storage) == RankedStanding(1, Standing(ALICE, 1, 1, 1))


async def test_a_statement_prepared_in_a_failed_pipeline_still_runs_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit's statements are sent without waiting, so some may follow one that fails.
    The server skips them, including a PREPARE psycopg sent on a statement's sixth run
    and already counts as done; the connection must not be left believing it (every
    later run would fail with "prepared statement does not exist"), nor log about the
    aborted pipeline."""
    database = await PostgresDatabase.open(fresh_database(), size=1)  # one connection
    statement = b"SELECT %s::int + 1"

    def warm(conn: psycopg.Connection[Any]) -> None:
        for _ in range(conn.prepare_threshold or 0):  # the next run prepares it
            conn.execute(statement, (1,)).fetchone()

    def fail_then_prepare(conn: psycopg.Connection[Any]) -> None:
        conn.execute(b"SELECT 1 / %s", (0,))
        conn.execute(statement, (2,))

    def fail(conn: psycopg.Connection[Any]) -> None:
        conn.execute(b"SELECT 1 / %s", (0,)).fetchone()

    try:
        # A first failure: psycopg happens to forget its prepared statements on the
        # first ROLLBACK a connection runs, and only then.
        with pytest.raises(psycopg.errors.DivisionByZero):
            await database.write(fail)
        await database.write(warm)
        with (
            caplog.at_level(logging.WARNING, logger="psycopg"),
            pytest.raises(psycopg.errors.DivisionByZero),
        ):
            await database.write(fail_then_prepare)
        assert not caplog.records
        again = await database.write(lambda conn: conn.execute(statement, (3,)).fetchone())
        assert again == (4,)
    finally:
        await database.close()
