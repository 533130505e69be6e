"""`IdentifyGate`: slots reserved in storage, so processes sharing it take turns per bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime.identify import IdentifyGate, IdentifySlotUnavailable
from bot.runtime.identify_slots import SPACING, slot_key
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


class Sleeper:
    """Records each sleep and moves the clock by it, as the real wait would."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)


class Limits:
    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self.asked = 0

    async def __call__(self) -> int:
        self.asked += 1
        return self.max_concurrency


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "backbone.db")
    try:
        yield opened
    finally:
        await opened.close()


def gate(
    storage: SqliteStorage, clock: FakeClock, max_concurrency: int = 1
) -> tuple[IdentifyGate, Sleeper, Limits]:
    sleeper, limits = Sleeper(clock), Limits(max_concurrency)
    return IdentifyGate(storage, clock, limits, sleep=sleeper), sleeper, limits


async def test_the_first_identify_goes_at_once_and_books_the_next_slot(
    storage: SqliteStorage,
) -> None:
    clock = FakeClock(NOW)
    first, sleeper, _ = gate(storage, clock)
    assert await first.wait(0) == NOW
    assert sleeper.slept == []
    stored = await storage.read(lambda tx: tx.state.get_state(slot_key(0)))
    assert stored == (NOW + SPACING).isoformat()


async def test_shards_of_one_bucket_take_turns(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    shards, sleeper, limits = gate(storage, clock, max_concurrency=1)
    slots = [await shards.wait(shard) for shard in (0, 1, 2)]
    assert slots == [NOW, NOW + SPACING, NOW + 2 * SPACING]
    assert sleeper.slept == [SPACING.total_seconds()] * 2
    assert limits.asked == 1, "max_concurrency is asked for once"


async def test_shards_of_different_buckets_identify_together(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    shards, sleeper, _ = gate(storage, clock, max_concurrency=2)
    assert [await shards.wait(shard) for shard in (0, 1)] == [NOW, NOW]
    assert sleeper.slept == []
    assert await shards.wait(2) == NOW + SPACING  # bucket 0 again


async def test_another_process_sharing_the_storage_waits_for_the_slot_taken(
    storage: SqliteStorage,
) -> None:
    clock = FakeClock(NOW)
    this, _, _ = gate(storage, clock)
    other, other_sleeper, _ = gate(storage, clock)  # a second process: its own gate
    await this.wait(0)
    clock.advance(seconds=1)
    assert await other.wait(1) == NOW + SPACING
    assert other_sleeper.slept == [(SPACING - timedelta(seconds=1)).total_seconds()]


async def test_a_slot_booked_long_ago_does_not_delay(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    shards, sleeper, _ = gate(storage, clock)
    await shards.wait(0)
    clock.advance(hours=2)
    assert await shards.wait(0) == clock.now
    assert sleeper.slept == []


async def test_a_storage_failure_is_a_connection_error_discord_py_retries(
    storage: SqliteStorage,
) -> None:
    clock = FakeClock(NOW)
    shards, sleeper, _ = gate(storage, clock)
    await storage.close()
    with pytest.raises(IdentifySlotUnavailable) as info:
        await shards.wait(0)
    assert isinstance(info.value, OSError), "discord.py reconnects on OSError"
    assert sleeper.slept == []
