"""The daily retention job, on real SQLite with a pinned clock, through the one
scheduler: history 89 and 90 days old stays, 91 days old goes; big backlogs go in
bounded batches; the job comes back every day at 04:00 UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.features.coach.retention import Retention, next_run
from bot.runtime.scheduler import Scheduler
from bot.storage import Transaction
from bot.storage.backday_reminders import ReminderDelivery
from bot.storage.insights import Totals
from bot.storage.posture import Delivery
from bot.storage.retention import RetentionRun
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock

GUILD = 1001
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # a Monday, at the job's hour
DAY = 86_400


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "backbone.db")
    try:
        yield opened
    finally:
        await opened.close()


def seed_ages(ages: list[int]) -> object:
    """One row per age (days before NOW) in every retained table."""
    now = int(NOW.timestamp())

    def work(tx: Transaction) -> None:
        for age in ages:
            day = NOW.date() - timedelta(days=age)
            tx.insights.record_miss(GUILD, day, f"asked {age} days ago")
            tx.insights.record_open(GUILD, day, "exercise", f"entry-{age}")
            tx.posture.save_delivery(Delivery(1, day.isoformat(), "t", "n", "dm", now - age * DAY))
            tx.backday_reminders.save_delivery(
                ReminderDelivery(1, day.isoformat(), "n", "dm", now - age * DAY)
            )

    return work


async def remaining(storage: SqliteStorage) -> dict[str, list[int]]:
    """The ages (days) still stored in each table."""
    since = date(2000, 1, 1)

    def work(tx: Transaction) -> dict[str, list[int]]:
        misses = tx.insights.top_misses(GUILD, since, 1000)
        opens = tx.insights.top_opens(GUILD, since, 1000)
        ages = range(0, 200)
        days = {(NOW.date() - timedelta(days=a)).isoformat(): a for a in ages}
        return {
            "ask_misses": sorted(int(m.question.split()[1]) for m in misses),
            "entry_opens": sorted(int(o.entry_id.split("-")[1]) for o in opens),
            "nudge_deliveries": sorted(
                days[d] for d in days if tx.posture.get_delivery(1, d) is not None
            ),
            "backday_reminder_deliveries": sorted(
                days[d] for d in days if tx.backday_reminders.get_delivery(1, d) is not None
            ),
        }

    return await storage.read(work)


async def test_rows_older_than_90_days_go_89_and_90_stay(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    await storage.write(seed_ages([0, 89, 90, 91, 150]))  # type: ignore[arg-type]
    scheduler = Scheduler(storage, clock, [Retention(storage, clock)])
    assert await scheduler.run_due() == 1  # due since the migration
    left = await remaining(storage)
    assert left == {table: [0, 89, 90] for table in left}
    run = await storage.read(lambda tx: tx.retention.get())
    assert run == RetentionRun(int((NOW + timedelta(days=1)).timestamp()), int(NOW.timestamp()), 8)

    # Not again until tomorrow at 04:00 UTC; then the 90-day-old rows are 91 days old.
    clock.advance(hours=23, minutes=59)
    assert await scheduler.run_due() == 0
    clock.advance(minutes=1)
    assert await scheduler.run_due() == 1
    left = await remaining(storage)
    assert left == {table: [0, 89] for table in left}


async def test_a_large_backlog_goes_in_bounded_batches(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    await storage.write(seed_ages(list(range(91, 121))))  # type: ignore[arg-type]
    await storage.write(seed_ages([10]))  # type: ignore[arg-type]
    writes: list[int] = []
    real_write = storage.write

    async def counting_write(work):  # type: ignore[no-untyped-def]
        writes.append(1)
        return await real_write(work)

    storage.write = counting_write  # type: ignore[method-assign]
    pruned = await Retention(storage, clock, batch=7).prune(NOW)
    assert pruned == {
        "ask_misses": 30,
        "entry_opens": 30,
        "nudge_deliveries": 30,
        "backday_reminder_deliveries": 30,
    }
    assert len(writes) == 4 * 5  # 7 + 7 + 7 + 7 + 2 per table, one write unit each
    left = await remaining(storage)
    assert left == {table: [10] for table in left}
    since = date(2000, 1, 1)
    totals = await storage.read(lambda tx: tx.insights.miss_totals(GUILD, since))
    assert totals == Totals(1, 1)


async def test_a_failed_run_is_pushed_back_and_never_spins(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    job = Retention(storage, clock)
    await job.retry_later(0, timedelta(minutes=5))
    run = await storage.read(lambda tx: tx.retention.get())
    assert run is not None and run.due_at == int(NOW.timestamp()) + 300


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (datetime(2026, 6, 15, 3, 59, tzinfo=UTC), datetime(2026, 6, 15, 4, tzinfo=UTC)),
        (datetime(2026, 6, 15, 4, tzinfo=UTC), datetime(2026, 6, 16, 4, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, tzinfo=UTC), datetime(2027, 1, 1, 4, tzinfo=UTC)),
    ],
)
def test_the_job_runs_daily_at_four_utc(after: datetime, expected: datetime) -> None:
    assert next_run(after) == expected
