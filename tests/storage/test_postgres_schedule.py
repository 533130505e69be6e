"""Schedule leases on PostgreSQL, where several bot processes share one schedule.

A process takes due rows with `lease` and holds them until the lease ends or the row's
due instant moves; the others skip them meanwhile, and `next_due_at` tells them when they
could take them. Each storage here stands for one process (its own pool); the contract
suite covers what every backend's schedule does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, cast

import psycopg
import pytest

from bot.storage import Transaction
from bot.storage.backday_reminders import BackdayReminder
from bot.storage.postgres import PostgresStorage
from bot.storage.postgres.schedule import PostgresSchedule
from bot.storage.posture import Reminder, ServerNudge
from bot.storage.recaps import ServerRecap
from bot.storage.retention import RetentionRun
from tests.postgres import fresh_database

KINDS = ("posture", "channel", "backday", "recap", "retention")
ALICE = 11
BOB = 12
GUILD = 1_000_001


def reminder(user_id: int, due_at: int) -> Reminder:
    return Reminder(user_id, GUILD, "09:00", "every day", due_at, None, None, due_at, None, None, 1)


def backday(due_at: int) -> BackdayReminder:
    return BackdayReminder(BOB, 6, "18:00", due_at, None, None, 1)


@pytest.fixture
async def url() -> str:
    """A fresh database at the latest schema, whose retention row is moved out of the way."""
    database = fresh_database()
    storage = await PostgresStorage.open(database)
    try:
        await storage.write(lambda tx: tx.retention.save(RetentionRun(due_at=10**9)))
    finally:
        await storage.close()
    return database


@pytest.fixture
async def first(url: str) -> AsyncIterator[PostgresStorage]:
    storage = await PostgresStorage.open(url)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def second(url: str) -> AsyncIterator[PostgresStorage]:
    """Another process on the same database."""
    storage = await PostgresStorage.open(url)
    try:
        yield storage
    finally:
        await storage.close()


async def lease(
    storage: PostgresStorage, now: int, until: int, limit: int = 100
) -> list[tuple[str, int]]:
    return await storage.write(lambda tx: tx.schedule.lease(now, until, limit, KINDS))


async def next_due(storage: PostgresStorage) -> int | None:
    return await storage.read(lambda tx: tx.schedule.next_due_at(KINDS))


async def seed_reminders(storage: PostgresStorage, count: int, due_at: int) -> None:
    """`count` posture reminders (user ids 1..count) due at `due_at`, in one statement."""

    def work(conn: psycopg.Connection[Any]) -> None:
        conn.execute(
            "INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, due_at,"
            " opted_in_at) SELECT n, 1, '09:00', 'every day', %s, %s, 0"
            " FROM generate_series(1, %s) AS n",
            (due_at, due_at, count),
        )

    await storage.database.write(work)


async def test_a_leased_row_is_not_leased_again_before_its_lease_ends(
    first: PostgresStorage, second: PostgresStorage
) -> None:
    await first.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE, 100)),
            tx.posture.save_reminder(reminder(BOB, 200)),
        )
    )
    assert await lease(first, 300, 330) == [("posture", ALICE), ("posture", BOB)]
    assert await lease(first, 300, 330) == []
    assert await lease(second, 329, 359) == []
    # The lease is over at `until`: the rows of a process that died are taken over.
    assert await lease(second, 330, 360) == [("posture", ALICE), ("posture", BOB)]
    assert await lease(first, 340, 370) == []


async def test_lease_takes_the_soonest_rows_up_to_the_limit(first: PostgresStorage) -> None:
    await first.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE, 300)),
            tx.posture.save_reminder(reminder(BOB, 100)),
            tx.posture.save_server_nudge(ServerNudge(GUILD, 200, None, None)),
        )
    )
    assert await lease(first, 1_000, 2_000, limit=2) == [("posture", BOB), ("channel", GUILD)]
    assert await lease(first, 1_000, 2_000, limit=2) == [("posture", ALICE)]


# Per kind: (save its row due at an instant, move its row's due instant to another).
Move = Callable[[Transaction, int], object]
KIND_ROWS: dict[str, tuple[int, Move, Move]] = {
    "posture": (
        ALICE,
        lambda tx, due: tx.posture.save_reminder(reminder(ALICE, due)),
        lambda tx, due: tx.posture.defer_reminder(ALICE, due),
    ),
    "channel": (
        GUILD,
        lambda tx, due: tx.posture.save_server_nudge(ServerNudge(GUILD, due, None, None)),
        lambda tx, due: tx.posture.defer_server_nudge(GUILD, due),
    ),
    "backday": (
        BOB,
        lambda tx, due: tx.backday_reminders.save(backday(due)),
        lambda tx, due: tx.backday_reminders.save(replace(backday(due), weekday=4)),
    ),
    "recap": (
        GUILD,
        lambda tx, due: tx.recaps.save(ServerRecap(GUILD, 77, due)),
        lambda tx, due: tx.recaps.save(ServerRecap(GUILD, 77, due, "2024-03-04", "channel", 5)),
    ),
    "retention": (
        0,
        lambda tx, due: tx.retention.save(RetentionRun(due)),
        lambda tx, due: tx.retention.save(RetentionRun(due, last_run_at=due, last_pruned=3)),
    ),
}


@pytest.mark.parametrize("kind", KIND_ROWS)
async def test_moving_a_rows_due_instant_through_its_store_ends_the_lease(
    first: PostgresStorage, second: PostgresStorage, kind: str
) -> None:
    key, save, move = KIND_ROWS[kind]
    await first.write(lambda tx: save(tx, 100))
    assert await lease(first, 100, 1_000) == [(kind, key)]
    # Moved to another instant: the job ran, or pushed its row back.
    await first.write(lambda tx: move(tx, 150))
    assert await next_due(second) == 150
    assert await lease(second, 150, 1_000) == [(kind, key)]


async def test_saving_a_row_with_the_same_due_instant_keeps_the_lease(
    first: PostgresStorage, second: PostgresStorage
) -> None:
    await first.write(lambda tx: tx.posture.save_reminder(reminder(ALICE, 100)))
    assert await lease(first, 100, 1_000) == [("posture", ALICE)]
    changed = replace(reminder(ALICE, 100), dm_channel_id=55)
    await first.write(lambda tx: tx.posture.save_reminder(changed))
    await first.write(lambda tx: tx.posture.defer_reminder(ALICE, 50))  # never earlier
    assert await lease(second, 500, 1_500) == []
    assert await next_due(second) == 1_000


async def test_next_due_at_is_a_held_rows_lease_end_and_a_free_rows_due_instant(
    first: PostgresStorage, second: PostgresStorage
) -> None:
    await first.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE, 100)),
            tx.posture.save_reminder(reminder(BOB, 500)),
        )
    )
    assert await next_due(second) == 100
    assert await lease(first, 100, 130, limit=1) == [("posture", ALICE)]
    # Another process holds Alice's row until 130: the second sleeps until then.
    assert await next_due(second) == 130
    assert await lease(second, 129, 159) == []
    assert await lease(second, 130, 600) == [("posture", ALICE)]
    assert await next_due(first) == 500  # Bob's free row comes before the lease ends
    await first.write(lambda tx: tx.posture.delete_reminder(BOB))
    assert await next_due(first) == 600


async def test_concurrent_leases_of_two_processes_take_disjoint_rows_and_all_of_them(
    first: PostgresStorage, second: PostgresStorage
) -> None:
    await seed_reminders(first, 1_000, due_at=100)
    batches = await asyncio.gather(
        *(lease(first if n % 2 else second, 100, 10_000, limit=50) for n in range(20))
    )
    taken = [row for batch in batches for row in batch]
    assert len(taken) == len(set(taken)), "a row was leased twice"
    assert set(taken) == {("posture", user_id) for user_id in range(1, 1_001)}
    assert await lease(first, 100, 10_000) == []
    assert await next_due(second) == 10_000


class Planner:
    """Stands in for a connection: EXPLAINs each statement a store runs, runs nothing."""

    class _Nothing:
        def fetchone(self) -> tuple[None]:
            return (None,)

        def __iter__(self) -> Any:
            return iter(())

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.plans: list[str] = []

    def execute(self, query: str, params: object = None) -> _Nothing:
        rows = self.conn.execute(f"EXPLAIN {query}".encode(), cast(Any, params))
        self.plans.append("\n".join(str(row[0]) for row in rows))
        return self._Nothing()


async def test_lease_and_next_due_at_are_index_searches(first: PostgresStorage) -> None:
    await seed_reminders(first, 5_000, due_at=100)
    # A batch in flight: the leased rows are few, as in a running bot.
    assert len(await lease(first, 100, 1_000, limit=200)) == 200

    def plans(conn: psycopg.Connection[Any]) -> list[str]:
        conn.execute(b"ANALYZE")
        planner = Planner(conn)
        schedule = PostgresSchedule(cast(Any, planner))
        schedule.lease(100, 130, 500, KINDS)
        schedule.next_due_at(KINDS)
        return planner.plans

    with first.database.pool.connection() as conn:
        lease_plan, next_plan = plans(conn)
    for plan in (lease_plan, next_plan):
        assert "Seq Scan" not in plan, plan
    assert "Index Scan using schedule_due" in lease_plan, lease_plan
    assert "using schedule_free" in next_plan, next_plan
    assert "using schedule_leased" in next_plan, next_plan
