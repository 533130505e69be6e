"""Back-day logging end to end: the StreakService service over a real SQLite file, fake clock.

Every stored streak is checked against `streak_stats` recomputed from the raw rows of
`backday_logs`, read with our own SQL rather than the code under test.
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiosqlite
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core.clock import local_date
from bot.core.errors import UserFacingError
from bot.features.privacy import service as privacy_service
from bot.features.streaks.replies import logged_reply, streak_reply
from bot.features.streaks.rules import StreakStats, streak_expires_at, streak_stats, week_of
from bot.features.streaks.service import (
    LeaderboardPage,
    LogResult,
    StreakService,
    UndoResult,
    When,
)
from bot.features.streaks.views import CUSTOM_ID_LIMIT, PageTarget, parse_custom_id
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.migrations import migrate
from bot.storage.sqlite.settings import SqliteSettings
from bot.storage.sqlite.streaks import SqliteStreaks
from bot.storage.streaks import BoardRow, Hidden, RankedRow, RankedStanding, Standing
from tests.clock import FakeClock

GUILD = 1001
OTHER_GUILD = 2002
WEDNESDAY = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
T = TypeVar("T")


def at(zone: str, *wall: int) -> datetime:
    """The UTC instant of a wall-clock time in `zone` (year, month, day[, hour, minute])."""
    return datetime(*wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "backbone.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> StreakService:
    return StreakService(SqliteStorage(db), clock)


# --- raw reads and writes, independent of the code under test -------------------------


_STORES = {cls.__name__: cls for cls in (SqliteSettings, SqliteStreaks)}


def _bind(work: Callable[..., T], conn: Any, args: Any, kwargs: Any) -> T:
    store = _STORES[work.__qualname__.split(".")[0]](conn)
    return work(store, *args, **kwargs)


async def on(db: Database, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a SQLite store method (e.g. `SqliteStreaks.leaderboard_rows`) in a read unit."""
    return await db.read(lambda conn: _bind(work, conn, args, kwargs))


async def on_write(db: Database, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a SQLite store method in a write transaction."""
    return await db.write(lambda conn: _bind(work, conn, args, kwargs))


async def zone_of(db: Database, guild_id: int, user_id: int) -> ZoneInfo:
    name, _target = await on(db, SqliteSettings.member_context, guild_id, user_id)
    return ZoneInfo(name)


async def set_member_timezone(db: Database, user_id: int, zone: str) -> None:
    await db.write(
        lambda conn: conn.execute(
            "INSERT INTO member_settings (user_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, zone),
        )
    )


async def raw_days(db: Database, guild_id: int, user_id: int) -> list[date]:
    async with db.conn.execute(
        "SELECT day FROM backday_logs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    ) as cursor:
        return sorted(date.fromisoformat(row[0]) for row in await cursor.fetchall())


@dataclass(frozen=True)
class Row:
    current: int
    best: int
    total: int
    expires_at: str | None


async def stored(db: Database, guild_id: int, user_id: int) -> Row | None:
    async with db.conn.execute(
        "SELECT current_streak, best_streak, total_days, expires_at FROM member_stats"
        " WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else Row(*row)


async def count(db: Database, table: str, guild_id: int = GUILD) -> int:
    async with db.conn.execute(
        f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def recomputed(service: StreakService, guild_id: int, user_id: int) -> StreakStats:
    """What the stored row should say, from the raw logs, the clock and the settings."""
    zone = await zone_of(service.storage.database, guild_id, user_id)
    target = (
        await on(service.storage.database, SqliteSettings.get_guild_settings, guild_id)
    ).weekly_target
    today = local_date(service.clock(), zone)
    return streak_stats(await raw_days(service.storage.database, guild_id, user_id), today, target)


async def assert_consistent(service: StreakService, guild_id: int, user_id: int) -> None:
    """The stored row equals the recomputed streak (call after `expire()` at this clock),
    except that the stored best may be higher: the best streak never falls."""
    expected = await recomputed(service, guild_id, user_id)
    row = await stored(service.storage.database, guild_id, user_id)
    if expected.total == 0:
        assert row is None
        return
    assert row is not None
    assert row.best >= expected.best
    zone = await zone_of(service.storage.database, guild_id, user_id)
    lapse = streak_expires_at(expected.lapses_on, zone)
    assert row == Row(
        expected.current,
        row.best,
        expected.total,
        None if lapse is None else lapse.isoformat(),
    )


async def board(db: Database, guild_id: int) -> list[tuple[int, int, int]]:
    """The whole leaderboard as (rank, user, current streak)."""
    rows = await on(db, SqliteStreaks.leaderboard_rows, guild_id, 1000)
    return [
        (r.rank, r.standing.user_id, r.standing.current)
        for r in await on(db, SqliteStreaks.rank_rows, guild_id, rows)
    ]


async def assert_standing_counts(db: Database) -> None:
    """The standings histogram the ranks come from equals a GROUP BY over member_stats."""
    expected = await db.conn.execute_fetchall(
        "SELECT guild_id, current_streak, best_streak, total_days, COUNT(*) FROM member_stats"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )
    actual = await db.conn.execute_fetchall(
        "SELECT guild_id, current_streak, best_streak, total_days, members FROM standing_counts"
        " ORDER BY 1, 2, 3, 4"
    )
    assert [tuple(row) for row in actual] == [tuple(row) for row in expected]


# --- 1. logging ----------------------------------------------------------------------


async def test_log_today_and_yesterday_in_the_server_timezone(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await on_write(
        db,
        SqliteSettings.update_guild_settings,
        GUILD,
        timezone="America/New_York",
        weekly_target=3,
    )
    clock.now = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)  # 22:00 Tuesday 17th in New York

    today = await service.log(GUILD, 1)
    assert (today.logged, today.day) == (True, date(2026, 11, 17))
    yesterday = await service.log(GUILD, 1, "yesterday", note="rows and pull-ups")
    assert (yesterday.logged, yesterday.day) == (True, date(2026, 11, 16))

    assert await raw_days(db, GUILD, 1) == [date(2026, 11, 16), date(2026, 11, 17)]
    stats = yesterday.stats
    assert (stats.this_week, stats.target, stats.total) == (2, 3, 2)
    assert not stats.this_week_qualifies
    assert stats.current == 0
    assert await service.stats(GUILD, 1) == stats
    await assert_consistent(service, GUILD, 1)


async def test_member_timezone_overrides_the_server_one(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await on_write(db, SqliteSettings.update_guild_settings, GUILD, timezone="America/New_York")
    await set_member_timezone(db, 2, "Asia/Tokyo")
    clock.now = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)  # 12:00 Wednesday 18th in Tokyo

    assert (await service.log(GUILD, 1)).day == date(2026, 11, 17)
    assert (await service.log(GUILD, 2)).day == date(2026, 11, 18)
    assert (await service.log(GUILD, 2, "yesterday")).day == date(2026, 11, 17)
    for user in (1, 2):
        await assert_consistent(service, GUILD, user)


async def test_second_log_of_the_same_day_is_refused(service: StreakService, db: Database) -> None:
    first = await service.log(GUILD, 1, note="first")
    again = await service.log(GUILD, 1, note="second")
    assert first.logged
    assert not again.logged
    assert again.day == first.day
    assert again.stats == first.stats
    assert await count(db, "backday_logs") == 1
    async with db.conn.execute("SELECT note FROM backday_logs") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["first"]
    # Yesterday then "yesterday" again: also one row.
    assert (await service.log(GUILD, 1, "yesterday")).logged
    assert not (await service.log(GUILD, 1, "yesterday")).logged
    assert await count(db, "backday_logs") == 2


async def test_reply_stats_show_this_week_against_the_target(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await on_write(db, SqliteSettings.update_guild_settings, GUILD, weekly_target=2)
    clock.now = datetime(2026, 11, 9, 12, tzinfo=UTC)  # Monday of the previous week
    await service.log(GUILD, 1)
    clock.advance(days=1)
    last_week = await service.log(GUILD, 1)
    assert (last_week.stats.this_week, last_week.stats.current) == (2, 1)

    clock.now = WEDNESDAY
    result = await service.log(GUILD, 1)
    assert (result.stats.this_week, result.stats.target) == (1, 2)
    assert result.stats.current == 1  # this week is in progress: last week still counts
    assert result.stats.recent[-2:] == (2, 1)
    result = await service.log(GUILD, 1, "yesterday")
    assert (result.stats.this_week, result.stats.current, result.stats.best) == (2, 2, 2)
    await assert_consistent(service, GUILD, 1)


async def test_a_long_note_is_refused_before_anything_is_written(
    service: StreakService, db: Database
) -> None:
    with pytest.raises(UserFacingError, match="200 or fewer"):
        await service.log(GUILD, 1, note="x" * 201)
    assert await count(db, "backday_logs") == 0
    assert (await service.log(GUILD, 1, note="x" * 200)).logged


# --- 2. timezones --------------------------------------------------------------------


async def test_same_instant_is_different_days_across_the_date_line(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await set_member_timezone(db, 1, "Pacific/Kiritimati")  # UTC+14
    await set_member_timezone(db, 2, "Pacific/Pago_Pago")  # UTC-11
    clock.now = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)

    east = await service.log(GUILD, 1)
    west = await service.log(GUILD, 2)
    assert east.day == date(2026, 11, 23)  # 00:30 Monday
    assert west.day == date(2026, 11, 21)  # 23:30 Saturday
    assert week_of(east.day) == date(2026, 11, 23) != week_of(west.day) == date(2026, 11, 16)
    assert await raw_days(db, GUILD, 1) == [date(2026, 11, 23)]
    assert await raw_days(db, GUILD, 2) == [date(2026, 11, 21)]
    for user in (1, 2):
        await assert_consistent(service, GUILD, user)


@pytest.mark.parametrize(
    ("zone", "sunday"),
    [
        ("UTC", date(2026, 11, 22)),
        ("America/New_York", date(2026, 3, 8)),  # clocks go forward that Sunday
        ("America/New_York", date(2026, 11, 1)),  # and back
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
        ("Pacific/Kiritimati", date(2026, 11, 22)),
        ("Pacific/Pago_Pago", date(2026, 11, 22)),
        ("UTC", date(2027, 1, 3)),  # last day of ISO week 53
    ],
)
async def test_week_boundary_is_local_monday_midnight(
    service: StreakService, db: Database, clock: FakeClock, zone: str, sunday: date
) -> None:
    await set_member_timezone(db, 1, zone)
    clock.now = at(zone, sunday.year, sunday.month, sunday.day, 23, 59)
    last = await service.log(GUILD, 1)
    assert last.day == sunday
    assert last.stats.this_week == 1

    clock.advance(minutes=1)
    monday = sunday + timedelta(days=1)
    assert clock.now == at(zone, monday.year, monday.month, monday.day, 0, 0)
    first = await service.log(GUILD, 1)
    assert first.day == monday
    assert week_of(first.day) == monday != week_of(last.day)
    assert (first.stats.this_week, first.stats.current) == (1, 2)
    assert first.stats.recent[-2:] == (1, 1)
    await assert_consistent(service, GUILD, 1)


DST_DAYS = {
    "new-york-spring": (
        "America/New_York",
        [  # 02:00 EST jumps to 03:00 EDT at 07:00Z on Sunday 8 March
            (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), date(2026, 3, 7)),
            (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), date(2026, 3, 8)),
            (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), date(2026, 3, 8)),
            (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), date(2026, 3, 8)),
            (datetime(2026, 3, 9, 3, 59, tzinfo=UTC), date(2026, 3, 8)),
            (datetime(2026, 3, 9, 4, 0, tzinfo=UTC), date(2026, 3, 9)),
        ],
    ),
    "new-york-autumn": (
        "America/New_York",
        [  # 02:00 EDT falls back to 01:00 EST at 06:00Z on Sunday 1 November
            (datetime(2026, 11, 1, 3, 59, tzinfo=UTC), date(2026, 10, 31)),
            (datetime(2026, 11, 1, 4, 0, tzinfo=UTC), date(2026, 11, 1)),
            (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), date(2026, 11, 1)),  # 01:30 EDT
            (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), date(2026, 11, 1)),  # 01:30 EST
            (datetime(2026, 11, 2, 4, 59, tzinfo=UTC), date(2026, 11, 1)),
            (datetime(2026, 11, 2, 5, 0, tzinfo=UTC), date(2026, 11, 2)),
        ],
    ),
    "london-spring": (
        "Europe/London",
        [  # 01:00 GMT jumps to 02:00 BST on Sunday 29 March
            (datetime(2026, 3, 28, 23, 59, tzinfo=UTC), date(2026, 3, 28)),
            (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), date(2026, 3, 29)),
            (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),
            (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), date(2026, 3, 29)),
            (datetime(2026, 3, 29, 22, 59, tzinfo=UTC), date(2026, 3, 29)),
            (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), date(2026, 3, 30)),
        ],
    ),
    "london-autumn": (
        "Europe/London",
        [  # 02:00 BST falls back to 01:00 GMT on Sunday 25 October
            (datetime(2026, 10, 24, 22, 59, tzinfo=UTC), date(2026, 10, 24)),
            (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), date(2026, 10, 25)),
            (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),  # 01:30 BST
            (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 25)),  # 01:30 GMT
            (datetime(2026, 10, 25, 23, 59, tzinfo=UTC), date(2026, 10, 25)),
            (datetime(2026, 10, 26, 0, 0, tzinfo=UTC), date(2026, 10, 26)),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(DST_DAYS))
async def test_daylight_saving_days_are_one_local_day(
    service: StreakService, db: Database, clock: FakeClock, case: str
) -> None:
    zone, instants = DST_DAYS[case]
    await on_write(db, SqliteSettings.update_guild_settings, GUILD, timezone=zone)
    seen: set[date] = set()
    for instant, expected_day in instants:
        clock.now = instant
        result = await service.log(GUILD, 1)
        assert result.day == expected_day, instant
        assert result.logged == (expected_day not in seen), instant
        seen.add(expected_day)
        assert result.stats == streak_stats(seen, expected_day, 1)
    assert await raw_days(db, GUILD, 1) == sorted(seen)
    await assert_consistent(service, GUILD, 1)


@pytest.mark.parametrize(
    ("zone", "run_end", "lapse"),
    [
        ("America/New_York", date(2026, 2, 23), datetime(2026, 3, 9, 4, 0, tzinfo=UTC)),
        ("America/New_York", date(2026, 10, 19), datetime(2026, 11, 2, 5, 0, tzinfo=UTC)),
        ("Europe/London", date(2026, 3, 16), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
        ("Europe/London", date(2026, 10, 12), datetime(2026, 10, 26, 0, 0, tzinfo=UTC)),
    ],
)
async def test_streak_lapses_at_local_midnight_across_daylight_saving(
    service: StreakService,
    db: Database,
    clock: FakeClock,
    zone: str,
    run_end: date,
    lapse: datetime,
) -> None:
    await on_write(db, SqliteSettings.update_guild_settings, GUILD, timezone=zone)
    wednesday = run_end + timedelta(days=2)
    clock.now = at(zone, wednesday.year, wednesday.month, wednesday.day, 12, 0)
    assert (await service.log(GUILD, 1)).stats.run_end == run_end
    row = await stored(db, GUILD, 1)
    assert row is not None
    assert row.expires_at == lapse.isoformat()

    clock.now = lapse - timedelta(seconds=1)  # 23:59:59 on the Sunday after the week after
    assert await service.expire() == 0
    assert (await stored(db, GUILD, 1)) == row
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert stats.current == 1

    clock.now = lapse
    assert await service.expire() == 1
    assert (await stored(db, GUILD, 1)) == Row(0, 1, 1, None)
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert stats.current == 0


async def test_year_end_and_iso_week_53(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await on_write(
        db, SqliteSettings.update_guild_settings, GUILD, timezone="Europe/London", weekly_target=2
    )
    for day in (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 28)):
        clock.now = at("Europe/London", day.year, day.month, day.day, 20, 0)
        await service.log(GUILD, 1)

    clock.now = at("Europe/London", 2027, 1, 3, 23, 59)  # Sunday, still ISO week 2026-W53
    result = await service.log(GUILD, 1)
    assert result.day == date(2027, 1, 3)
    assert week_of(result.day) == date(2026, 12, 28)
    assert date(2026, 12, 28).isocalendar()[:2] == (2026, 53)
    assert (result.stats.this_week, result.stats.current) == (2, 2)
    assert result.stats.run_end == date(2026, 12, 28)
    row = await stored(db, GUILD, 1)
    assert row is not None
    assert row.expires_at == "2027-01-11T00:00:00+00:00"

    clock.advance(minutes=1)  # Monday 4 January 2027: week 1 begins, in progress
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert (stats.this_week, stats.current) == (0, 2)
    await service.log(GUILD, 1)
    clock.advance(days=1)
    result = await service.log(GUILD, 1)
    assert (result.stats.this_week, result.stats.current, result.stats.best) == (2, 3, 3)
    await service.expire()
    await assert_consistent(service, GUILD, 1)


# --- 3. undo -------------------------------------------------------------------------


async def test_undo_removes_the_most_recent_of_today_and_yesterday(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    clock.now = WEDNESDAY - timedelta(days=7)
    await service.log(GUILD, 1)  # last week: one qualifying week
    clock.now = WEDNESDAY
    await service.log(GUILD, 1, "yesterday")
    await service.log(GUILD, 1)

    undone = await service.undo(GUILD, 1)
    assert undone.removed == date(2026, 11, 18)
    assert (undone.stats.current, undone.stats.this_week, undone.stats.total) == (2, 1, 2)
    await assert_consistent(service, GUILD, 1)

    undone = await service.undo(GUILD, 1)
    assert undone.removed == date(2026, 11, 17)
    assert (undone.stats.current, undone.stats.this_week, undone.stats.total) == (1, 0, 1)
    await assert_consistent(service, GUILD, 1)

    undone = await service.undo(GUILD, 1)
    assert undone.removed is None
    assert undone.stats.total == 1
    assert await raw_days(db, GUILD, 1) == [date(2026, 11, 11)]


async def test_undo_with_only_yesterday_removes_yesterday(service: StreakService) -> None:
    await service.log(GUILD, 1, "yesterday")
    undone = await service.undo(GUILD, 1)
    assert undone.removed == date(2026, 11, 17)
    assert undone.stats.total == 0
    assert await stored(service.storage.database, GUILD, 1) is None


async def test_the_best_streak_never_falls(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    for offset in (14, 7, 0):  # three weeks in a row, ending this week
        clock.now = WEDNESDAY - timedelta(days=offset)
        await service.log(GUILD, 1)
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert (stats.current, stats.best) == (3, 3)

    undone = await service.undo(GUILD, 1)  # this week is empty again, still in progress
    assert (undone.stats.current, undone.stats.best) == (2, 3)
    await service.change_server_settings(GUILD, timezone=None, weekly_target=2)
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert (stats.current, stats.best) == (0, 3)  # recomputed from the logs, best is 0
    assert await stored(db, GUILD, 1) == Row(0, 3, 2, None)


async def test_undo_with_nothing_logged(service: StreakService, db: Database) -> None:
    undone = await service.undo(GUILD, 1)
    assert undone.removed is None
    assert (undone.stats.current, undone.stats.total) == (0, 0)
    assert await stored(db, GUILD, 1) is None


@pytest.mark.parametrize("days_ago", [2, 3])
async def test_undo_never_reaches_older_logs(
    service: StreakService, db: Database, clock: FakeClock, days_ago: int
) -> None:
    old = date(2026, 11, 18) - timedelta(days=days_ago)
    clock.advance(days=-days_ago)
    assert (await service.log(GUILD, 1)).day == old
    clock.advance(days=days_ago)

    undone = await service.undo(GUILD, 1)
    assert undone.removed is None
    assert undone.stats.total == 1
    assert await raw_days(db, GUILD, 1) == [old]
    await assert_consistent(service, GUILD, 1)


async def test_undo_only_touches_the_caller_in_the_caller_server(
    service: StreakService, db: Database
) -> None:
    await service.log(GUILD, 1)
    await service.log(GUILD, 2)
    await service.log(OTHER_GUILD, 1)
    assert (await service.undo(GUILD, 1)).removed == date(2026, 11, 18)
    assert await raw_days(db, GUILD, 1) == []
    assert await raw_days(db, GUILD, 2) == [date(2026, 11, 18)]
    assert await raw_days(db, OTHER_GUILD, 1) == [date(2026, 11, 18)]


# --- 4. expiry -----------------------------------------------------------------------


async def test_streak_expires_after_a_missed_week_and_the_leaderboard_follows(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 4, 12, tzinfo=UTC)  # Wednesday, week of 2 November
    for _ in range(3):
        result = await service.log(GUILD, 1)
        clock.advance(days=7)
    assert (result.stats.current, result.stats.best) == (3, 3)
    assert result.stats.run_end == date(2026, 11, 16)
    assert result.stats.lapses_on == date(2026, 11, 30)  # run end + 2 weeks: no freeze yet
    lapse = streak_expires_at(result.stats.lapses_on, ZoneInfo("UTC"))
    assert lapse == datetime(2026, 11, 30, tzinfo=UTC)
    row = await stored(db, GUILD, 1)
    assert row == Row(3, 3, 3, lapse.isoformat())

    # A member with a shorter streak, still alive.
    clock.now = datetime(2026, 11, 17, 12, tzinfo=UTC)
    await service.log(GUILD, 2)
    clock.advance(days=7)
    await service.log(GUILD, 2)
    assert await board(db, GUILD) == [(1, 1, 3), (2, 2, 2)]

    # The week of 23 November is in progress and empty: nothing lapses, even at its end.
    clock.now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert await service.expire() == 0
    clock.now = lapse - timedelta(microseconds=1)
    assert await service.expire() == 0
    assert await stored(db, GUILD, 1) == row
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert stats.current == 3

    clock.now = lapse
    assert await service.expire() == 1
    assert await stored(db, GUILD, 1) == Row(0, 3, 3, None)
    await assert_consistent(service, GUILD, 1)
    await assert_consistent(service, GUILD, 2)
    assert await service.expire() == 0  # idempotent

    assert await board(db, GUILD) == [(1, 2, 2), (2, 1, 0)]
    standing = await on(db, SqliteStreaks.standing_of, GUILD, 1)
    assert standing is not None
    assert (standing.rank, standing.standing.best) == (2, 3)
    await assert_standing_counts(db)


async def test_the_leaderboard_sweeps_lapsed_streaks_itself(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 4, 12, tzinfo=UTC)
    await service.log(GUILD, 1)
    await service.log(GUILD, 1, "yesterday")
    clock.now = datetime(2026, 11, 11, 12, tzinfo=UTC)
    await service.log(GUILD, 2)
    shown = await service.leaderboard(GUILD, 1, 10)
    assert [(r.rank, r.row.user_id) for r in shown.rows] == [(1, 1), (2, 2)]

    clock.now = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # member 1 lapses, 2 is in progress
    shown = await service.leaderboard(GUILD, 1, 10)
    assert [(r.rank, r.row.user_id, r.row.score) for r in shown.rows] == [
        (1, 2, 1),
        (2, 1, 0),
    ]
    assert isinstance(shown.me, RankedRow)
    assert (shown.me.rank, shown.me.row.best) == (2, 1)
    assert await service.expire() == 0  # already swept
    for user in (1, 2):
        await assert_consistent(service, GUILD, user)


async def test_logging_this_week_keeps_a_streak_alive(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 4, 12, tzinfo=UTC)
    await service.log(GUILD, 1)
    clock.advance(days=7)
    await service.log(GUILD, 1)
    row = await stored(db, GUILD, 1)
    assert row is not None
    assert row.expires_at == "2026-11-23T00:00:00+00:00"
    clock.now = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Sunday, last hour of the next week
    result = await service.log(GUILD, 1)
    assert result.stats.current == 3
    clock.now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # the old lapse instant
    assert await service.expire() == 0
    assert await stored(db, GUILD, 1) == Row(3, 3, 3, "2026-11-30T00:00:00+00:00")
    await assert_consistent(service, GUILD, 1)


# --- 5. target change ----------------------------------------------------------------


async def test_target_change_recomputes_every_member(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await on_write(db, SqliteSettings.update_guild_settings, GUILD, timezone="Europe/London")
    await set_member_timezone(db, 3, "Pacific/Kiritimati")
    patterns = {  # days before Wednesday 18 November logged, per member
        1: [0, 1, 7, 8, 14],
        2: [0, 7, 14, 21],
        3: [1, 2, 3, 9, 10, 15],
        4: [21, 22],
    }
    for user, offsets in patterns.items():
        for offset in sorted(offsets, reverse=True):
            clock.now = WEDNESDAY - timedelta(days=offset)
            await service.log(GUILD, user)
    clock.now = WEDNESDAY
    await service.log(OTHER_GUILD, 1)
    other_before = await stored(db, OTHER_GUILD, 1)

    await on_write(db, SqliteSettings.update_guild_settings, GUILD, weekly_target=2)
    row = await stored(db, GUILD, 2)
    assert row is not None
    assert row.current == 4  # stale until recomputed
    assert await service.recompute_guild(GUILD) == len(patterns)
    for user in patterns:
        await assert_consistent(service, GUILD, user)
    # No week holds two days any more, but the best of 4 was earned and never falls.
    assert await stored(db, GUILD, 2) == Row(0, 4, 4, None)
    assert await stored(db, OTHER_GUILD, 1) == other_before

    # The /coach settings path changes and recomputes in one call, timezone included.
    before, after = await service.change_server_settings(
        GUILD, timezone="America/Los_Angeles", weekly_target=1
    )
    assert (before.weekly_target, after.weekly_target) == (2, 1)
    assert after.timezone == "America/Los_Angeles"
    for user in patterns:
        await assert_consistent(service, GUILD, user)
    await assert_standing_counts(db)
    unchanged = await service.change_server_settings(GUILD, timezone=None, weekly_target=1)
    assert unchanged == (after, after)


# --- 6. property: stored stats always match the raw logs ------------------------------

MEMBERS = (1, 2, 3)
MEMBER_ZONES = {2: "Pacific/Kiritimati", 3: "America/New_York"}  # 1 uses the server's
SERVER_ZONE = "Pacific/Pago_Pago"
START = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # covers the New York change on 1 Nov

logs = st.tuples(st.just("log"), st.sampled_from(MEMBERS), st.sampled_from(["today", "yesterday"]))
actions = st.one_of(
    logs,
    logs,  # logging twice as often as anything else keeps streaks alive long enough to lapse
    st.tuples(st.just("undo"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("target"), st.integers(1, 7)),
    st.tuples(st.just("expire")),
)
# Each step first moves the clock by 0-3 days, then acts: 20-50 steps span about 60 days.
hours = st.one_of(st.sampled_from([0, 12, 24, 48, 72]), st.integers(0, 72))
steps = st.tuples(hours, actions)


ZONES = {user: ZoneInfo(MEMBER_ZONES.get(user, SERVER_ZONE)) for user in MEMBERS}


async def check_members(
    db: Database, now: datetime, target: int, best_seen: dict[int, int], *, swept: bool
) -> None:
    """Every member's stored row against `streak_stats` over their raw logs.

    The stored best is the highest best recomputed since the member last had no logs
    (`best_seen`, kept up to date here): it never falls, not on an undo nor on a raised
    target. Right after `expire()` (`swept`) the rows must match exactly. Otherwise only
    a current streak whose lapse instant has passed may still be stale (it will be
    swept): its best and total are exact, and the recomputed current is 0.
    """
    logs = await db.conn.execute_fetchall(
        "SELECT user_id, day FROM backday_logs WHERE guild_id = ?", (GUILD,)
    )
    rows = await db.conn.execute_fetchall(
        "SELECT user_id, current_streak, best_streak, total_days, expires_at"
        " FROM member_stats WHERE guild_id = ?",
        (GUILD,),
    )
    days: dict[int, list[date]] = {user: [] for user in MEMBERS}
    for user, day in logs:
        days[user].append(date.fromisoformat(day))
    stored_rows = {row[0]: Row(*row[1:]) for row in rows}
    assert set(stored_rows) == {user for user in MEMBERS if days[user]}  # no logs, no row
    for user in MEMBERS:
        if days[user]:
            best = streak_stats(days[user], local_date(now, ZONES[user]), target).best
            best_seen[user] = max(best_seen.get(user, 0), best)
        else:
            best_seen.pop(user, None)
    for user, row in stored_rows.items():
        zone = ZONES[user]
        expected = replace(
            streak_stats(days[user], local_date(now, zone), target), best=best_seen[user]
        )
        lapse = streak_expires_at(expected.lapses_on, zone)
        if not swept and row.expires_at is not None and row.expires_at <= now.isoformat():
            event("a lapse was pending")
            assert (row.best, row.total, expected.current) == (expected.best, expected.total, 0)
            continue
        assert row == Row(
            expected.current,
            expected.best,
            expected.total,
            None if lapse is None else lapse.isoformat(),
        ), (user, days[user], now)


async def run_operations(ops: list[tuple[int, tuple[object, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "backbone.db")
        try:
            clock = FakeClock(START)
            service = StreakService(SqliteStorage(db), clock)
            target = 1
            best_seen: dict[int, int] = {}
            await on_write(db, SqliteSettings.update_guild_settings, GUILD, timezone=SERVER_ZONE)
            for user, zone in MEMBER_ZONES.items():
                await set_member_timezone(db, user, zone)
            for hours, action in ops:
                clock.advance(hours=hours)
                match action:
                    case ("log", int(user), "today" | "yesterday" as when):
                        await service.log(GUILD, user, when)
                    case ("undo", int(user)):
                        await service.undo(GUILD, user)
                    case ("target", int(target)):
                        await on_write(
                            db, SqliteSettings.update_guild_settings, GUILD, weekly_target=target
                        )
                        await service.recompute_guild(GUILD)
                    case ("expire",):
                        event(f"expire() zeroed {await service.expire()}")
                await check_members(db, clock.now, target, best_seen, swept=action[0] == "expire")
                await assert_standing_counts(db)
            event(f"{(clock.now - START).days // 14 * 14}+ days simulated")
            await service.expire()
            await check_members(db, clock.now, target, best_seen, swept=True)
            for user in MEMBERS:  # and once more through the service's own reading
                await assert_consistent(service, GUILD, user)
            logged = [user for user in MEMBERS if await raw_days(db, GUILD, user)]
            assert await on(db, SqliteStreaks.member_count, GUILD) == len(logged)
            await assert_standing_counts(db)
        finally:
            await db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(steps, min_size=20, max_size=50))
def test_stored_streaks_always_match_the_raw_logs(
    ops: list[tuple[int, tuple[object, ...]]],
) -> None:
    asyncio.run(run_operations(ops))


# --- 7. concurrency ------------------------------------------------------------------


async def test_fifty_members_logging_at_once(service: StreakService, db: Database) -> None:
    results = await asyncio.gather(*(service.log(GUILD, user) for user in range(1, 51)))
    assert all(r.logged for r in results)
    assert all(r.stats.total == 1 and r.stats.current == 1 for r in results)
    assert await count(db, "backday_logs") == 50
    assert await count(db, "member_stats") == 50
    assert await on(db, SqliteStreaks.member_count, GUILD) == 50
    await assert_standing_counts(db)
    for user in range(1, 51):
        await assert_consistent(service, GUILD, user)


async def test_same_day_twice_at_once_logs_once(service: StreakService, db: Database) -> None:
    results = await asyncio.gather(service.log(GUILD, 1), service.log(GUILD, 1))
    assert sorted(r.logged for r in results) == [False, True]
    assert {r.day for r in results} == {date(2026, 11, 18)}
    assert await count(db, "backday_logs") == 1
    assert await stored(db, GUILD, 1) == Row(1, 1, 1, "2026-11-30T00:00:00+00:00")
    await assert_standing_counts(db)


def kind_when(kind: int) -> When:
    return "today" if kind % 2 else "yesterday"


@pytest.mark.parametrize("seed", range(5))
async def test_concurrent_log_and_undo_stay_consistent(
    service: StreakService, db: Database, clock: FakeClock, seed: int
) -> None:
    clock.now = WEDNESDAY - timedelta(days=7)
    await service.log(GUILD, 1)
    clock.now = WEDNESDAY
    pattern = [(seed * 7 + n * 3) % 4 for n in range(24)]
    calls = [
        service.undo(GUILD, 1) if kind == 0 else service.log(GUILD, 1, kind_when(kind))
        for kind in pattern
    ]
    results = await asyncio.gather(*calls, service.expire(), service.log(GUILD, 2))
    await assert_consistent(service, GUILD, 1)
    await assert_consistent(service, GUILD, 2)
    await assert_standing_counts(db)
    # Every reply is a state the member really passed through: last week's log kept,
    # and at most today and yesterday added.
    for result in results[: len(pattern)]:
        assert isinstance(result, LogResult | UndoResult)
        assert 1 <= result.stats.total <= 3
        assert result.stats.current >= 1


async def test_a_first_log_racing_a_target_change_is_stored_under_the_new_target(
    service: StreakService, db: Database
) -> None:
    """Regression: `log` read the target before taking the write lock, so a first log
    queued behind a target change was saved under the old target, after `recompute_guild`
    had listed the members without it."""
    await service.log(GUILD, 1)
    # Another command's write holds the database thread while both are queued behind it.
    busy = asyncio.create_task(db.write(lambda conn: time.sleep(0.1)))
    await asyncio.sleep(0.01)
    change = asyncio.create_task(
        service.change_server_settings(GUILD, timezone=None, weekly_target=3)
    )
    first_log = asyncio.create_task(service.log(GUILD, 2))
    await asyncio.gather(busy, change, first_log)
    assert (await on(db, SqliteSettings.get_guild_settings, GUILD)).weekly_target == 3
    await assert_consistent(service, GUILD, 1)
    await assert_consistent(service, GUILD, 2)  # was stored (1, 1, 1), under target 1


# --- 8. leaderboard ------------------------------------------------------------------

# (user_id, current, best, total) in rank order: ties on all three numbers are listed by
# user_id descending, the index's tie-break order that keeps pages stable.
BOARD = [
    (70, 3, 5, 20),
    (40, 3, 5, 20),
    (10, 3, 4, 30),
    (90, 2, 9, 50),
    (60, 2, 9, 40),
    (50, 2, 9, 40),
    (20, 2, 9, 40),
    (30, 0, 1, 1),
]
RANKS = [1, 1, 3, 4, 5, 5, 5, 8]
EXPECTED = [(rank, entry[0]) for rank, entry in zip(RANKS, BOARD, strict=True)]


async def seed_board(db: Database) -> None:
    rows = [(GUILD, *entry) for entry in sorted(BOARD)]
    rows += [(OTHER_GUILD, 99, 50, 50, 50), (OTHER_GUILD, 40, 9, 9, 9)]
    await db.write(
        lambda conn: conn.executemany(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    )


def pairs(ranked: list[RankedStanding]) -> list[tuple[int, int]]:
    return [(r.rank, r.standing.user_id) for r in ranked]


def row_pairs(ranked: list[RankedRow]) -> list[tuple[int, int]]:
    return [(r.rank, r.row.user_id) for r in ranked]


async def test_leaderboard_order_and_shared_ranks(db: Database) -> None:
    await seed_board(db)
    rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, 10)
    ranked = await on(db, SqliteStreaks.rank_rows, GUILD, rows)
    assert [
        (r.rank, r.standing.user_id, r.standing.current, r.standing.best, r.standing.total)
        for r in ranked
    ] == [(rank, *entry) for rank, entry in zip(RANKS, BOARD, strict=True)]
    assert await on(db, SqliteStreaks.member_count, GUILD) == len(BOARD)
    await assert_standing_counts(db)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 10])
async def test_leaderboard_pages_keep_ranks_across_boundaries(db: Database, size: int) -> None:
    await seed_board(db)
    pages = [EXPECTED[n : n + size] for n in range(0, len(EXPECTED), size)]

    forward = []
    rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, size)
    while rows:
        forward.append(pairs(await on(db, SqliteStreaks.rank_rows, GUILD, rows)))
        rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, size, after=rows[-1])
    assert forward == pages

    # And back again from the last page, each page read from the first row of the next.
    whole = await on(db, SqliteStreaks.leaderboard_rows, GUILD, len(BOARD))
    rows = whole[(len(pages) - 1) * size :]
    backward = []
    while rows:
        backward.append(pairs(await on(db, SqliteStreaks.rank_rows, GUILD, rows)))
        rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, size, before=rows[0])
    assert backward == pages[::-1]


async def test_the_service_pages_the_board(service: StreakService, db: Database) -> None:
    await seed_board(db)
    first = await service.leaderboard(GUILD, 20, 3)
    assert (first.page, first.pages) == (0, 3)
    assert row_pairs(first.rows) == EXPECTED[:3]
    assert isinstance(first.me, RankedRow)
    assert (first.me.rank, first.me.row.user_id) == (5, 20)

    second = await service.leaderboard(GUILD, 20, 3, page=1, after=first.rows[-1].row)
    assert (second.page, row_pairs(second.rows)) == (1, EXPECTED[3:6])
    third = await service.leaderboard(GUILD, 20, 3, page=2, after=second.rows[-1].row)
    assert (third.page, row_pairs(third.rows)) == (2, EXPECTED[6:])
    back = await service.leaderboard(GUILD, 20, 3, page=1, before=third.rows[0].row)
    assert (back.page, row_pairs(back.rows)) == (1, EXPECTED[3:6])

    # A button from a board that has since changed: past the end starts again at the top.
    stale = BoardRow(user_id=1, score=-1, best=0, total=0)
    restarted = await service.leaderboard(GUILD, 20, 3, page=7, after=stale)
    assert (restarted.page, row_pairs(restarted.rows)) == (0, EXPECTED[:3])
    outsider = await service.leaderboard(GUILD, 12345, 3)
    assert outsider.me is None


async def test_standing_of_each_member(db: Database) -> None:
    await seed_board(db)
    for rank, (user, current, best, total) in zip(RANKS, BOARD, strict=True):
        standing = await on(db, SqliteStreaks.standing_of, GUILD, user)
        assert standing is not None
        assert standing.rank == rank
        assert (standing.standing.current, standing.standing.best) == (current, best)
        assert standing.standing.total == total
    assert await on(db, SqliteStreaks.standing_of, GUILD, 99) is None  # only in the other server
    assert await on(db, SqliteStreaks.standing_of, GUILD, 12345) is None
    other = await on(db, SqliteStreaks.standing_of, OTHER_GUILD, 40)
    assert other is not None
    assert (other.rank, other.standing.current) == (2, 9)


async def test_other_servers_never_appear(db: Database) -> None:
    await seed_board(db)
    rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, 100)
    assert 99 not in {r.user_id for r in rows}
    assert all(r.current <= 3 for r in rows)
    after_top = await on(db, SqliteStreaks.leaderboard_rows, GUILD, 100, after=rows[0])
    assert len(after_top) == len(BOARD) - 1
    assert await on(db, SqliteStreaks.leaderboard_rows, 3003, 10) == []
    assert await on(db, SqliteStreaks.member_count, 3003) == 0
    assert await on(db, SqliteStreaks.member_count, OTHER_GUILD) == 2


# --- 9. query plans ------------------------------------------------------------------


async def traced(db: Database, run: Awaitable[object]) -> list[str]:
    """The statements `run` executes, with their parameters inlined, each listed once."""
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        await run
    finally:
        await db.conn.set_trace_callback(None)
    return list(dict.fromkeys(statements))


async def plan(db: Database, sql: str) -> str:
    async with db.conn.execute("EXPLAIN QUERY PLAN " + sql) as cursor:
        return "\n".join(row[3] for row in await cursor.fetchall())


def assert_indexed(plan_text: str) -> None:
    assert (
        "USING INDEX" in plan_text
        or "USING COVERING INDEX" in plan_text
        or ("USING PRIMARY KEY" in plan_text)
    ), plan_text
    for line in plan_text.splitlines():
        assert not (line.startswith("SCAN") and "INDEX" not in line), plan_text
    assert "TEMP B-TREE" not in plan_text, plan_text  # the index gives the order, no sort


async def seed_many(db: Database) -> None:
    rows = [
        (
            guild,
            user,
            user % 5,
            user % 7,
            user % 11,
            f"2026-11-{1 + user % 28:02d}T00:00:00+00:00" if user % 3 else None,
        )
        for guild in (GUILD, OTHER_GUILD, 3003)
        for user in range(300)
    ]
    await db.write(
        lambda conn: conn.executemany(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    )


@pytest.mark.parametrize("cursor", ["top", "after", "before"])
async def test_leaderboard_queries_use_the_rank_index(db: Database, cursor: str) -> None:
    await seed_many(db)
    edge = Standing(user_id=150, current=2, best=3, total=7)
    after = edge if cursor == "after" else None
    before = edge if cursor == "before" else None
    statements = await traced(
        db, on(db, SqliteStreaks.leaderboard_rows, GUILD, 10, after=after, before=before)
    )
    assert len(statements) == 1
    page_plan = await plan(db, statements[0])
    assert "member_stats_rank" in page_plan, page_plan
    assert_indexed(page_plan)


async def test_ranks_and_counts_are_read_by_key(db: Database) -> None:
    await seed_many(db)
    rows = await on(db, SqliteStreaks.leaderboard_rows, GUILD, 10, after=Standing(150, 2, 3, 7))

    async def everything() -> None:
        await on(db, SqliteStreaks.rank_rows, GUILD, rows)
        await on(db, SqliteStreaks.standing_of, GUILD, 42)
        await on(db, SqliteStreaks.member_count, GUILD)

    statements = await traced(db, everything())
    assert statements
    for sql in statements:
        assert_indexed(await plan(db, sql))


async def test_expiry_update_uses_the_expiry_index(db: Database) -> None:
    await seed_many(db)
    statements = await traced(
        db, on(db, SqliteStreaks.expire_streaks, datetime(2026, 11, 10, tzinfo=UTC))
    )
    updates = [s for s in statements if s.startswith("UPDATE member_stats")]
    assert len(updates) == 1
    update_plan = await plan(db, updates[0])
    assert "member_stats_expiry" in update_plan, update_plan
    assert_indexed(update_plan)
    await assert_standing_counts(db)


# --- freezes -------------------------------------------------------------------------


async def test_the_fourth_qualifying_week_earns_a_freeze_and_moves_the_lapse(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 3, 12, tzinfo=UTC)  # Tuesday of the week of 2 November
    results = []
    for _ in range(4):
        results.append(await service.log(GUILD, 1))
        clock.advance(days=7)
    assert [r.earned_freeze for r in results] == [False, False, False, True]
    fourth = results[-1].stats
    assert (fourth.current, fourth.freezes) == (4, 1)
    # Without the freeze the streak would lapse two weeks after its last week (7 Dec).
    assert fourth.lapses_on == date(2026, 12, 14)
    row = await stored(db, GUILD, 1)
    assert row is not None and row.expires_at == datetime(2026, 12, 14, tzinfo=UTC).isoformat()
    reply = logged_reply(results[-1].day, results[-1].today, fourth, earned_freeze=True)
    assert reply.content is not None and "earned a streak freeze" in reply.content

    # The week of 30 November passes with no log: the freeze carries it.
    clock.now = datetime(2026, 12, 8, 12, tzinfo=UTC)
    assert await service.expire() == 0
    stats = await service.stats(GUILD, 1)
    assert stats is not None
    assert (stats.current, stats.freezes) == (4, 0)
    assert date(2026, 11, 30) in stats.frozen_weeks
    assert "🧊" in streak_reply("Sam", stats).embed.fields[-1].value  # type: ignore[union-attr]
    # The week of 7 December passes too: no freeze left, the streak lapses on 14 December.
    clock.now = datetime(2026, 12, 14, tzinfo=UTC)
    assert await service.expire() == 1
    await assert_consistent(service, GUILD, 1)


async def test_an_earned_freeze_is_not_announced_twice(
    service: StreakService, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 11, 3, 12, tzinfo=UTC)
    for _ in range(4):
        result = await service.log(GUILD, 1)
        clock.advance(days=7)
    assert result.earned_freeze
    clock.advance(days=-6)  # back to Wednesday of the fourth week: a second day that week
    assert not (await service.log(GUILD, 1)).earned_freeze


# --- 10. three boards, hidden members and page buttons (v2) ----------------------------
# /leaderboard board:streak|month|all-time over real logs and a pinned clock; members who
# hide themselves (/privacy leaderboard); the month in the caller's own zone; a page deep
# in a large month board; the histograms and month rows checked against GROUP BYs of the
# raw tables; every statement (the triggers' included) an index search; migration 0004
# on a database with data; and the page buttons' custom ids.

KINDS = ("streak", "month", "all-time")


async def show(storage: SqliteStorage, user_id: int, shown: bool) -> bool:
    return await privacy_service.show_on_leaderboards(storage, user_id, shown)


def ranks_of(page: LeaderboardPage) -> list[tuple[int, int]]:
    return [(r.rank, r.row.user_id) for r in page.rows]


async def assert_boards_consistent(db: Database) -> None:
    """Month rows, both histograms and the hidden flags against the raw tables."""

    async def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await db.conn.execute_fetchall(sql)]

    assert await rows(
        "SELECT guild_id, user_id, month, days FROM monthly_days ORDER BY 1, 2, 3"
    ) == await rows(
        "SELECT guild_id, user_id, substr(day, 1, 7), COUNT(*) FROM backday_logs"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    assert await rows(
        "SELECT guild_id, month, days, best_streak, total_days, members FROM month_counts"
        " ORDER BY 1, 2, 3, 4, 5"
    ) == await rows(
        "SELECT guild_id, month, days, best_streak, total_days, COUNT(*) FROM monthly_days"
        " WHERE hidden = 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
    )
    assert await rows(
        "SELECT guild_id, current_streak, best_streak, total_days, members FROM standing_counts"
        " ORDER BY 1, 2, 3, 4"
    ) == await rows(
        "SELECT guild_id, current_streak, best_streak, total_days, COUNT(*) FROM member_stats"
        " WHERE hidden = 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    )
    # Every ranked row carries its member's choice, and the tie-break copies of every
    # month someone can be in now (from the member's latest day minus two days) equal
    # their streak row.
    assert not await rows(
        "SELECT 1 FROM member_stats s WHERE s.hidden IS NOT COALESCE((SELECT leaderboard_hidden"
        " FROM member_settings m WHERE m.user_id = s.user_id), 0)"
        " UNION ALL SELECT 1 FROM monthly_days d WHERE d.hidden IS NOT COALESCE((SELECT"
        " leaderboard_hidden FROM member_settings m WHERE m.user_id = d.user_id), 0)"
    )
    assert not await rows(
        "SELECT d.* FROM monthly_days d JOIN member_stats s USING (guild_id, user_id)"
        " WHERE (d.best_streak, d.total_days) IS NOT (s.best_streak, s.total_days)"
        " AND d.month >= strftime('%Y-%m', (SELECT MAX(day) FROM backday_logs l"
        " WHERE l.user_id = d.user_id AND l.guild_id = d.guild_id), '-2 days')"
    )


async def test_a_log_writes_its_month_row_once(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    """Every write of a month row moves its rank index entry and runs the month_counts
    trigger, so a log writes its row once: new, or the day counted together with the new
    tie-break copies. Last month's row is written too only while it is still on show."""
    await db.conn.executescript(
        "CREATE TEMP TABLE month_writes (month TEXT NOT NULL);"
        "CREATE TEMP TRIGGER month_row_inserted AFTER INSERT ON main.monthly_days"
        " BEGIN INSERT INTO month_writes VALUES (new.month); END;"
        "CREATE TEMP TRIGGER month_row_updated AFTER UPDATE ON main.monthly_days"
        " BEGIN INSERT INTO month_writes VALUES (new.month); END;"
    )

    async def months_written(when: When) -> list[str]:
        await db.conn.execute("DELETE FROM month_writes")
        await service.log(GUILD, 1, when)
        return [row[0] for row in await db.conn.execute_fetchall("SELECT month FROM month_writes")]

    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert await months_written("yesterday") == ["2026-11"]  # a new row
    assert await months_written("today") == ["2026-11"]  # once, not twice
    clock.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert await months_written("today") == ["2026-12", "2026-11"]  # November is on show
    clock.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert await months_written("today") == ["2026-12"]
    await assert_boards_consistent(db)


async def test_every_board_shares_ranks_on_ties(service: StreakService, db: Database) -> None:
    # Wednesday 18 November: 1 and 2 log yesterday and today, 3 only today.
    for user in (1, 2):
        await service.log(GUILD, user, "yesterday")
    for user in (1, 2, 3):
        await service.log(GUILD, user)
    for kind in KINDS:
        page = await service.leaderboard(GUILD, 3, 10, board=kind)
        assert ranks_of(page) == [(1, 2), (1, 1), (3, 3)], kind
        assert (page.board, page.page, page.pages) == (kind, 0, 1)
        assert page.me == page.rows[-1]
    month = await service.leaderboard(GUILD, 1, 10, board="month")
    assert month.month == "2026-11"
    assert [(r.row.score, r.row.best, r.row.total) for r in month.rows] == [
        (2, 1, 2),
        (2, 1, 2),
        (1, 1, 1),
    ]
    alltime = await service.leaderboard(GUILD, 1, 10, board="all-time")
    assert [r.row.score for r in alltime.rows] == [2, 2, 1]
    await assert_boards_consistent(db)


async def test_the_month_is_the_callers_local_month(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    await set_member_timezone(db, 2, "Asia/Tokyo")
    await set_member_timezone(db, 4, "Asia/Tokyo")
    clock.now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # Monday 1 December in Tokyo
    assert (await service.log(GUILD, 1)).day == date(2026, 11, 30)
    assert (await service.log(GUILD, 2)).day == date(2026, 12, 1)
    assert (await service.log(GUILD, 2, "yesterday")).day == date(2026, 11, 30)

    utc_caller = await service.leaderboard(GUILD, 3, 10, board="month")
    tokyo_caller = await service.leaderboard(GUILD, 4, 10, board="month")
    # Member 2's 30 November (in Tokyo) counts in November; more days in all rank them first.
    assert (utc_caller.month, ranks_of(utc_caller)) == ("2026-11", [(1, 2), (2, 1)])
    assert (tokyo_caller.month, ranks_of(tokyo_caller)) == ("2026-12", [(1, 2)])
    mine = await service.leaderboard(GUILD, 2, 10, board="month")
    assert mine.me == RankedRow(1, BoardRow(2, 1, 1, 2))

    # One minute before UTC midnight, then past it: the UTC caller's board turns over.
    clock.now = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    before = await service.leaderboard(GUILD, 1, 1, board="month")
    assert (before.month, before.pages, before.me) == (
        "2026-11",
        2,
        RankedRow(2, BoardRow(1, 1, 1, 1)),
    )
    clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    # An old November button (page 2, after member 2) starts again atop December's board.
    edge = before.rows[-1].row
    turned = await service.leaderboard(
        GUILD, 1, 1, board="month", page=1, after=edge, month="2026-11"
    )
    assert (turned.month, turned.page, ranks_of(turned)) == ("2026-12", 0, [(1, 2)])
    assert turned.me is None  # member 1 has not logged in December yet
    await assert_boards_consistent(db)


async def test_hidden_members_leave_every_board_and_come_back(
    service: StreakService, db: Database
) -> None:
    storage = service.storage
    assert isinstance(storage, SqliteStorage)
    for user in (1, 2):
        await service.log(GUILD, user, "yesterday")
        await service.log(OTHER_GUILD, user)
    for user in (1, 2, 3):
        await service.log(GUILD, user)
    assert await show(storage, 2, False) is True
    assert await show(storage, 2, False) is False

    for kind in KINDS:
        page = await service.leaderboard(GUILD, 2, 10, board=kind)
        assert ranks_of(page) == [(1, 1), (2, 3)], kind
        assert isinstance(page.me, Hidden), kind
        others = await service.leaderboard(GUILD, 3, 1, board=kind)
        assert (others.pages, ranks_of(others)) == (2, [(1, 1)]), kind  # 2 left the count
        assert isinstance(others.me, RankedRow), kind
        assert (others.me.rank, others.me.row.user_id) == (2, 3), kind
        elsewhere = await service.leaderboard(OTHER_GUILD, 1, 10, board=kind)
        assert ranks_of(elsewhere) == [(1, 1)], kind
    # Their streak goes on as usual, and /streak still shows it.
    stats = await service.stats(GUILD, 2)
    assert stats is not None and (stats.total, stats.current) == (2, 1)
    assert (await service.undo(GUILD, 2)).removed == date(2026, 11, 18)
    assert (await service.log(GUILD, 2)).logged
    await assert_boards_consistent(db)

    assert await show(storage, 2, True) is True
    for kind in KINDS:
        page = await service.leaderboard(GUILD, 2, 10, board=kind)
        assert ranks_of(page) == [(1, 2), (1, 1), (3, 3)], kind
        assert isinstance(page.me, RankedRow) and page.me.rank == 1
    await assert_boards_consistent(db)


async def test_an_unknown_board_is_refused_clearly(service: StreakService) -> None:
    for bad in ("weekly", "", "Streak", "month " * 100, 7):
        with pytest.raises(UserFacingError, match="is not a leaderboard") as refused:
            await service.leaderboard(GUILD, 1, 10, board=bad)  # type: ignore[arg-type]
        assert "streak, month, all-time" in refused.value.message
        assert len(refused.value.message) < 200


async def test_a_month_board_page_deep_in_a_large_board(
    service: StreakService, db: Database, clock: FakeClock
) -> None:
    """3,000 members logging in November (and some in October), paged from a cursor deep
    in the board: the rows and board-wide ranks of a brute-force sort."""
    rng = random.Random(11)
    logs: list[tuple[int, int, str, None, str]] = []
    stats: list[tuple[int, int, int, int, int]] = []
    for user in range(1, 3001):
        days = rng.sample(range(1, 19), rng.randint(1, 6))  # 1-18 November
        older = rng.sample(range(1, 32), rng.randint(0, 3))  # October
        logs += [(GUILD, user, f"2026-11-{d:02d}", None, "x") for d in days]
        logs += [(GUILD, user, f"2026-10-{d:02d}", None, "x") for d in older]
        best = rng.randint(1, 3)
        stats.append((GUILD, user, rng.randint(0, best), best, len(days) + len(older)))

    def seed(conn: Any) -> None:
        # Streak rows first, as /backday log saves them: the logs' trigger copies them.
        conn.executemany(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days) VALUES (?, ?, ?, ?, ?)",
            stats,
        )
        conn.executemany("INSERT INTO backday_logs VALUES (?, ?, ?, ?, ?)", logs)

    await db.write(seed)
    await assert_boards_consistent(db)
    november = Counter((u, d[:7]) for _g, u, d, _n, _l in logs)
    order = sorted(
        ((november[(u, "2026-11")], best, total, u) for _g, u, _c, best, total in stats),
        reverse=True,
    )
    expected_ranks = []
    for n, entry in enumerate(order):
        tied = n and order[n - 1][:3] == entry[:3]
        expected_ranks.append(expected_ranks[-1] if tied else n + 1)

    deep = 2_000
    edge = BoardRow(order[deep][3], *order[deep][:3])
    page = await service.leaderboard(
        GUILD, 7, 10, board="month", page=201, after=edge, month="2026-11"
    )
    assert page.pages == 300
    assert [(r.rank, r.row.user_id) for r in page.rows] == [
        (expected_ranks[n], order[n][3]) for n in range(deep + 1, deep + 11)
    ]
    back = await service.leaderboard(
        GUILD, 7, 10, board="month", page=199, before=edge, month="2026-11"
    )
    assert [(r.rank, r.row.user_id) for r in back.rows] == [
        (expected_ranks[n], order[n][3]) for n in range(deep - 10, deep)
    ]
    me = order.index(next(e for e in order if e[3] == 7))
    assert page.me == RankedRow(expected_ranks[me], BoardRow(7, *order[me][:3]))


@pytest.mark.parametrize("seed", range(3))
async def test_histograms_and_month_rows_stay_exact_through_everything(
    service: StreakService, db: Database, clock: FakeClock, seed: int
) -> None:
    """Random logs, undos, target changes, zone changes, expiry sweeps, hiding and
    showing, and a member deleting their data, over two months and two servers."""
    storage = service.storage
    assert isinstance(storage, SqliteStorage)
    rng = random.Random(seed)
    clock.now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    for _ in range(160):
        clock.advance(hours=rng.choice([0, 5, 13, 24, 30]))
        user, guild = rng.randint(1, 6), rng.choice([GUILD, OTHER_GUILD])
        action = rng.random()
        if action < 0.55:
            await service.log(guild, user, rng.choice(["today", "yesterday"]))
        elif action < 0.7:
            await service.undo(guild, user)
        elif action < 0.8:
            await show(storage, user, rng.random() < 0.5)
        elif action < 0.85:
            await service.change_server_settings(guild, weekly_target=rng.randint(1, 3))
        elif action < 0.9:
            await set_member_timezone(db, user, rng.choice(["Asia/Tokyo", "America/New_York"]))
            await service.recompute_member(user)
        elif action < 0.95:
            await service.expire()
        else:
            await privacy_service.delete_everything(storage, user)
    await assert_boards_consistent(db)
    for guild in (GUILD, OTHER_GUILD):
        for kind in KINDS:
            await service.leaderboard(guild, 1, 3, board=kind)


# --- query plans of the boards and of every trigger ------------------------------------


def trigger_statements(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Each trigger's WHEN clause (as a SELECT) and body statements, with `new.x` and
    `old.x` replaced by sample values, ready for EXPLAIN QUERY PLAN."""
    samples = {"day": "'2026-11-18'", "month": "'2026-11'"}

    def concrete(sql: str) -> str:
        return re.sub(
            r"\b(?:new|old)\.(\w+)",
            lambda m: samples.get(m.group(1), "0"),
            sql.strip(),
            flags=re.IGNORECASE,
        )

    found: dict[str, list[str]] = {}
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"):
        head, _, body = sql.partition("BEGIN")
        statements = [concrete(s) for s in body.rsplit("END", 1)[0].split(";") if s.strip()]
        when = re.search(r"\bWHEN\b(.*)$", head, re.S)
        if when:
            statements.insert(0, "SELECT " + concrete(when.group(1)))
        found[name] = statements
    return found


def plan_lines(conn: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def assert_searches_only(sql: str, plan: list[str]) -> None:
    for line in plan:
        assert not line.startswith("SCAN") or line == "SCAN CONSTANT ROW", (sql, plan)
        assert "TEMP B-TREE" not in line, (sql, plan)
        if line.startswith("SEARCH"):
            assert "INDEX" in line or "PRIMARY KEY" in line, (sql, plan)


async def test_every_trigger_statement_is_an_index_search(db: Database) -> None:
    await seed_many(db)
    triggers = await db.read(trigger_statements)
    assert len(triggers) == 11 + 9 + 6  # boards, schedule (posture, reminders), recaps+retention
    for name, statements in triggers.items():
        for sql in statements:
            plan = await db.read(lambda conn, sql=sql: plan_lines(conn, sql))
            assert_searches_only(f"{name}: {sql}", plan)


@pytest.mark.parametrize("kind", KINDS)
async def test_every_board_query_is_an_index_search(
    service: StreakService, db: Database, kind: str
) -> None:
    await seed_many(db)
    await service.log(GUILD, 42)
    edge = BoardRow(user_id=150, score=2, best=3, total=7)
    statements = await traced(
        db,
        asyncio.gather(
            service.leaderboard(GUILD, 42, 10, board=kind),
            service.leaderboard(GUILD, 42, 10, board=kind, page=3, after=edge, month="2026-11"),
            service.leaderboard(GUILD, 42, 10, board=kind, page=3, before=edge, month="2026-11"),
            service.leaderboard(GUILD, 12345, 10, board=kind),
        ),
    )
    assert len(statements) >= 6
    for sql in statements:
        plan = await db.read(lambda conn, sql=sql: plan_lines(conn, sql))
        assert_searches_only(sql, plan)
        assert any(line.startswith("SEARCH") for line in plan) or "member_settings" not in sql


# --- migration 0004 on a database with data --------------------------------------------


async def test_migration_0004_backfills_month_rows_and_keeps_the_boards(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as raw:
        assert await migrate(raw, target=3) == 3
        await raw.executemany(
            "INSERT INTO backday_logs VALUES (?, ?, ?, NULL, 'x')",
            [
                (GUILD, 1, "2026-10-30"),
                (GUILD, 1, "2026-11-02"),
                (GUILD, 1, "2026-11-03"),
                (GUILD, 2, "2026-11-03"),
                (OTHER_GUILD, 1, "2026-11-05"),
                (GUILD, 3, "2026-11-04"),  # a log without a streak row
            ],
        )
        await raw.executemany(
            "INSERT INTO member_stats VALUES (?, ?, ?, ?, ?, NULL)",
            [(GUILD, 1, 1, 2, 3), (GUILD, 2, 1, 1, 1), (OTHER_GUILD, 1, 1, 1, 1)],
        )
        await raw.execute("INSERT INTO member_settings VALUES (1, 'Europe/Paris')")
        await raw.commit()
    db = await Database.open(path)
    try:
        await assert_boards_consistent(db)
        month_rows = await db.conn.execute_fetchall(
            "SELECT user_id, guild_id, month, days, best_streak, total_days, hidden"
            " FROM monthly_days ORDER BY 1, 2, 3"
        )
        assert [tuple(r) for r in month_rows] == [
            (1, GUILD, "2026-10", 1, 2, 3, 0),
            (1, GUILD, "2026-11", 2, 2, 3, 0),
            (1, OTHER_GUILD, "2026-11", 1, 1, 1, 0),
            (2, GUILD, "2026-11", 1, 1, 1, 0),
            (3, GUILD, "2026-11", 1, 0, 0, 0),
        ]
        service = StreakService(SqliteStorage(db), FakeClock(WEDNESDAY))
        month = await service.leaderboard(GUILD, 2, 10, board="month")
        assert ranks_of(month) == [(1, 1), (2, 2), (3, 3)]
        assert month.me == RankedRow(2, BoardRow(2, 1, 1, 1))
        assert (await service.leaderboard(GUILD, 1, 10)).me == RankedRow(1, BoardRow(1, 1, 2, 3))
        settings_row = await db.conn.execute_fetchall("SELECT * FROM member_settings")
        assert [tuple(r) for r in settings_row] == [(1, "Europe/Paris", 0)]
    finally:
        await db.close()


async def test_migration_0007_keeps_the_month_rows_of_a_database_in_use(tmp_path: Path) -> None:
    """Version 6 kept month rows with triggers on member_stats; 0007 replaces them, and
    logs, undos and recomputes on the upgraded file keep the boards exact."""
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as raw:
        assert await migrate(raw, target=6) == 6
        await raw.executemany(
            "INSERT INTO backday_logs VALUES (?, ?, ?, NULL, 'x')",
            [(GUILD, 1, "2026-10-30"), (GUILD, 1, "2026-11-16"), (GUILD, 2, "2026-11-17")],
        )
        await raw.executemany(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days) VALUES (?, ?, ?, ?, ?)",
            [(GUILD, 1, 1, 2, 2), (GUILD, 2, 1, 1, 1)],
        )
        await raw.commit()
    db = await Database.open(path)
    try:
        await assert_boards_consistent(db)
        service = StreakService(SqliteStorage(db), FakeClock(WEDNESDAY))
        for user in (1, 2, 3):
            await service.log(GUILD, user)
            await assert_boards_consistent(db)
        await service.undo(GUILD, 2)
        await assert_boards_consistent(db)
        await on_write(db, SqliteSettings.update_guild_settings, GUILD, weekly_target=3)
        assert await service.recompute_guild(GUILD) == 3
        await assert_boards_consistent(db)
        month = await service.leaderboard(GUILD, 1, 10, board="month")
        assert [(r.row.user_id, r.row.score) for r in month.rows] == [(1, 2), (3, 1), (2, 1)]
    finally:
        await db.close()


# --- page buttons -------------------------------------------------------------------------

CALLER = 900_000_000_000_000_001  # a real-sized snowflake
USER = 800_000_000_000_000_002


@pytest.mark.parametrize(
    "target",
    [
        PageTarget("streak", 3, "next", BoardRow(USER, 4, 9, 120), CALLER),
        PageTarget("month", 0, "prev", BoardRow(USER, 17, 9, 120), CALLER, "2026-11"),
        PageTarget("all-time", 99_999, "next", BoardRow(USER, 36_500, 999, 36_500), CALLER),
    ],
    ids=lambda t: t.board,
)
def test_a_page_buttons_custom_id_round_trips(target: PageTarget) -> None:
    custom_id = target.custom_id()
    assert custom_id.startswith(f"leaderboard:{target.page}:{target.side}:")
    assert parse_custom_id(custom_id) == target


def test_the_longest_custom_ids_fit_discords_limit() -> None:
    big = 2**63 - 1  # SQLite's largest integer: no id is longer
    for kind, month in (("streak", None), ("month", "2026-11"), ("all-time", None)):
        edge = BoardRow(big, 36_500 if kind != "month" else 31, 5_000, 36_500)
        target = PageTarget(kind, 999_999, "next", edge, big, month)  # type: ignore[arg-type]
        assert len(target.custom_id()) <= CUSTOM_ID_LIMIT, target.custom_id()


def test_a_first_version_button_is_the_streak_board_with_no_caller() -> None:
    assert parse_custom_id(f"leaderboard:2:next:3:5:20:{USER}") == PageTarget(
        "streak", 2, "next", BoardRow(USER, 3, 5, 20), None
    )


@pytest.mark.parametrize(
    "custom_id",
    [
        f"leaderboard:1:next:streak:3:5:20:{USER}:{'9' * 30}",  # a caller past 64 bits
        f"leaderboard:1:next:streak:3:5:20:{2**63}:{CALLER}",  # one past SQLite's largest
        f"leaderboard:{'1' * 25}:next:streak:3:5:20:{USER}:{CALLER}",
        f"leaderboard:1:next:weekly:3:5:20:{USER}:{CALLER}",  # no such board
        f"leaderboard:1:sideways:streak:3:5:20:{USER}:{CALLER}",
        f"leaderboard:1:next:month:3:5:20:{USER}:{CALLER}",  # a month board needs its month
        f"leaderboard:1:next:month:3:5:20:{USER}:{CALLER}:2026-13",
        f"leaderboard:1:next:streak:3:5:20:{USER}:{CALLER}:2026-11",  # only the month board
        f"leaderboard:1:next:streak:-3:5:20:{USER}:{CALLER}",
        f"leaderboard:1:next:streak:3:5:20:{USER}:",
        f"leaderboard:1:next:streak:3:5:2x:{USER}:{CALLER}",
        "leaderboard:",
        "leaderboard:1:next",
        f"leaderboard:2:next:3:5:20:{'9' * 30}",  # a first-version id, past 64 bits
        f"board:1:next:streak:3:5:20:{USER}:{CALLER}",
    ],
)
def test_a_damaged_custom_id_is_rejected(custom_id: str) -> None:
    assert parse_custom_id(custom_id) is None
