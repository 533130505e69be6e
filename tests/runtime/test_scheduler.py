"""The one scheduler: every registered kind, soonest first, failures pushed back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime.scheduler import CLAIM_BATCH, RETRY_AFTER_ERROR, BatchedJob, Scheduler
from bot.storage.backday_reminders import BackdayReminder
from bot.storage.posture import Reminder
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())


class RecordingJob:
    def __init__(self, kind: str, storage: SqliteStorage, *, fail: set[int] = frozenset()) -> None:
        self.kind = kind
        self.storage = storage
        self.fail = set(fail)
        self.ran: list[int] = []
        self.retried: list[tuple[int, timedelta]] = []

    async def run(self, key: int) -> None:
        self.ran.append(key)
        if key in self.fail:
            raise RuntimeError("boom")
        await self.done(key)

    async def done(self, key: int) -> None:
        """Move the row on, as a real job records its delivery and next slot."""
        if self.kind == "posture":
            await self.storage.write(lambda tx: tx.posture.defer_reminder(key, T + 86_400))
        else:
            await self.storage.write(lambda tx: tx.backday_reminders.delete(key))

    async def retry_later(self, key: int, delay: timedelta) -> None:
        self.retried.append((key, delay))
        await self.done(key)


class RecordingBatchJob(RecordingJob):
    """A job that takes its rows a batch at a time; a batch holding a key in `fail`
    raises as a whole (it could not be claimed)."""

    def __init__(self, kind: str, storage: SqliteStorage, *, fail: set[int] = frozenset()) -> None:
        super().__init__(kind, storage, fail=fail)
        self.batches: list[list[int]] = []

    async def run_batch(self, keys: Sequence[int]) -> None:
        self.batches.append(sorted(keys))
        if self.fail & set(keys):
            raise RuntimeError("boom")
        for key in keys:
            await self.done(key)


def reminder(user_id: int, due_at: int) -> Reminder:
    return Reminder(user_id, 1, "12:00", "every day", due_at, None, None, due_at, None, None, 0)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "backbone.db")
    try:
        yield opened
    finally:
        await opened.close()


async def test_everything_due_runs_once_whatever_its_kind(storage: SqliteStorage) -> None:
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(7, T - 60)),
            tx.posture.save_reminder(reminder(8, T + 60)),  # not yet
            tx.backday_reminders.save(BackdayReminder(9, 6, "18:00", T - 10, None, None, 0)),
        )
    )
    posture, backday = RecordingJob("posture", storage), RecordingJob("backday", storage)
    scheduler = Scheduler(storage, FakeClock(NOW), [posture, backday])
    assert await scheduler.run_due() == 2
    assert (posture.ran, backday.ran) == ([7], [9])
    assert await scheduler.run_due() == 0
    assert await scheduler.next_due_at() == T + 60


async def test_a_failing_job_is_pushed_back_and_the_others_still_run(
    storage: SqliteStorage,
) -> None:
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(7, T - 60)),
            tx.posture.save_reminder(reminder(8, T - 30)),
        )
    )
    job = RecordingJob("posture", storage, fail={7})
    assert await Scheduler(storage, FakeClock(NOW), [job]).run_due() == 2
    assert job.ran == [7, 8]
    assert job.retried == [(7, RETRY_AFTER_ERROR)]


async def test_rows_of_a_kind_nobody_registered_wait_and_block_nothing(
    storage: SqliteStorage,
) -> None:
    await storage.write(
        lambda tx: (
            tx.backday_reminders.save(BackdayReminder(9, 6, "18:00", T - 100, None, None, 0)),
            tx.posture.save_reminder(reminder(7, T - 60)),
        )
    )
    job = RecordingJob("posture", storage)
    scheduler = Scheduler(storage, FakeClock(NOW), [job])
    assert await scheduler.run_due() == 1
    assert job.ran == [7]
    assert await scheduler.next_due_at() == T + 86_400  # the backday row is not its business


async def test_a_batched_job_gets_its_rows_a_claim_batch_at_a_time(
    storage: SqliteStorage,
) -> None:
    members = range(1, 2 * CLAIM_BATCH + 2)
    await storage.write(lambda tx: [tx.posture.save_reminder(reminder(m, T - m)) for m in members])
    job = RecordingBatchJob("posture", storage)
    assert isinstance(job, BatchedJob)
    assert await Scheduler(storage, FakeClock(NOW), [job]).run_due() == len(members)
    assert sorted(len(b) for b in job.batches) == [1, CLAIM_BATCH, CLAIM_BATCH]
    assert sorted(k for b in job.batches for k in b) == list(members)
    assert job.ran == []  # never one row at a time


async def test_a_batch_that_fails_pushes_back_each_of_its_rows(storage: SqliteStorage) -> None:
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(7, T - 60)),
            tx.posture.save_reminder(reminder(8, T - 30)),
        )
    )
    job = RecordingBatchJob("posture", storage, fail={7})
    assert await Scheduler(storage, FakeClock(NOW), [job]).run_due() == 2
    assert job.batches == [[7, 8]]
    assert sorted(job.retried) == [(7, RETRY_AFTER_ERROR), (8, RETRY_AFTER_ERROR)]


def test_one_job_per_kind() -> None:
    scheduler = Scheduler(None, FakeClock(NOW))  # type: ignore[arg-type]
    scheduler.register(RecordingJob("posture", None))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="posture"):
        scheduler.register(RecordingJob("posture", None))  # type: ignore[arg-type]
    scheduler.unregister("posture")
    scheduler.register(RecordingJob("posture", None))  # type: ignore[arg-type]


class BlockingBatchJob(RecordingBatchJob):
    """Each batch waits until released; `two_started` is set once two batches run, and
    `cancelled` counts the batches cancelled while waiting."""

    def __init__(self, storage: SqliteStorage) -> None:
        super().__init__("posture", storage)
        self.release = asyncio.Event()
        self.two_started = asyncio.Event()
        self.cancelled = 0

    async def run_batch(self, keys: Sequence[int]) -> None:
        self.batches.append(sorted(keys))
        if len(self.batches) == 2:
            self.two_started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        for key in keys:
            await self.done(key)


async def six_due(storage: SqliteStorage) -> None:
    await storage.write(
        lambda tx: [tx.posture.save_reminder(reminder(m, T - m)) for m in range(1, 7)]
    )


async def test_the_next_batch_is_leased_while_one_is_sent(storage: SqliteStorage) -> None:
    await six_due(storage)
    job = BlockingBatchJob(storage)
    scheduler = Scheduler(storage, FakeClock(NOW), [job], batch=2)
    running = asyncio.create_task(scheduler.run_due())
    await job.two_started.wait()  # the first still blocked: the second was leased anyway
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(job.batches) == 2  # but never a third while the first is in flight
    job.release.set()
    assert await running == 6
    assert sorted(k for b in job.batches for k in b) == list(range(1, 7))  # none twice


async def test_stopping_midway_leaves_no_batch_running(storage: SqliteStorage) -> None:
    await six_due(storage)
    job = BlockingBatchJob(storage)
    scheduler = Scheduler(storage, FakeClock(NOW), [job], batch=2)
    running = asyncio.create_task(scheduler.run_due())
    await job.two_started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await asyncio.sleep(0)
    assert job.cancelled == 2
