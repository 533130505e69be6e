"""The storage contract: what every backend of `bot.storage.Storage` must do.

These tests speak only the interface features use: `await storage.read(unit)` and
`await storage.write(unit)`, where a unit is a plain function over a `Transaction` and
its typed stores (`tx.settings`, `tx.streaks`, `tx.posture`, `tx.privacy`, `tx.state`),
plus the records declared in `bot.storage.*`. They never touch SQL, a connection or a
backend module, so the same suite judges every backend.

How a backend joins: write one factory, `async def open_x(tmp_path: Path) -> Storage`,
that opens a fresh, empty, fully migrated store (a file under `tmp_path`, or a throwaway
database or schema on a server), and add `pytest.param(open_x, id="x")` to `BACKENDS`.
Every test below then runs against it too; `close()` is called after each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Storage, Transaction
from bot.storage.backday_reminders import BackdayReminder, ReminderDelivery
from bot.storage.insights import AskMiss, EntryOpen, Totals
from bot.storage.posture import Delivery, DeliveryOutcome, Reminder, ServerNudge, TopicSeen
from bot.storage.privacy import MEMBER_TABLES
from bot.storage.recaps import ServerRecap
from bot.storage.retention import RETAINED, RetentionRun
from bot.storage.settings import DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET, GuildSettings
from bot.storage.streaks import (
    Board,
    BoardPage,
    BoardRow,
    Hidden,
    MemberStreak,
    RankedRow,
    RankedStanding,
    Standing,
)

BackendFactory = Callable[[Path], Awaitable[Storage]]


async def open_sqlite(tmp_path: Path) -> Storage:
    """The embedded backend: a new SQLite file, migrated on open."""
    from bot.storage.sqlite import SqliteStorage  # the one place a backend is named

    return await SqliteStorage.open(tmp_path / "contract.db")


async def open_postgres(tmp_path: Path) -> Storage:
    """The shared backend: a new database on the test run's throwaway PostgreSQL."""
    from bot.storage.postgres import PostgresStorage
    from tests.postgres import fresh_database

    return await PostgresStorage.open(fresh_database())


BACKENDS = [pytest.param(open_sqlite, id="sqlite"), pytest.param(open_postgres, id="postgres")]


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty store of each backend, closed after the test."""
    factory: BackendFactory = request.param
    opened = await factory(tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


GUILD = 1_000_001
OTHER_GUILD = 1_000_002
THIRD_GUILD = 1_000_003
ALICE = 11
BOB = 12
CAROL = 13
DAVE = 14

NOW = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
MONDAY = date(2024, 3, 4)


def day(offset: int) -> date:
    return MONDAY + timedelta(days=offset)


def reminder(
    user_id: int,
    *,
    slot_at: int = 1_000,
    snooze_at: int | None = None,
    due_at: int | None = None,
    guild_id: int = GUILD,
) -> Reminder:
    """A member's reminder; `due_at` defaults to the sooner of slot and snooze."""
    if due_at is None:
        due_at = slot_at if snooze_at is None else min(slot_at, snooze_at)
    return Reminder(
        user_id=user_id,
        guild_id=guild_id,
        local_time="09:00",
        days="every day",
        slot_at=slot_at,
        snooze_at=snooze_at,
        snooze_topic=None if snooze_at is None else "shoulder-rolls",
        due_at=due_at,
        dm_channel_id=5_000 + user_id,
        dm_refused_at=None,
        opted_in_at=10,
    )


def delivery(user_id: int, local_day: str, status: str = "dm", at: int = 500) -> Delivery:
    return Delivery(user_id, local_day, "chin-tucks", f"nonce-{user_id}-{local_day}", status, at)


def nudge(guild_id: int, due_at: int) -> ServerNudge:
    return ServerNudge(guild_id, due_at, last_day=None, last_status=None)


async def seed_stats(storage: Storage, standings: list[Standing], guild_id: int = GUILD) -> None:
    """Store each standing as a member's streak row (no expiry)."""

    def work(tx: Transaction) -> None:
        for s in standings:
            tx.streaks.save_stats(
                guild_id, s.user_id, current=s.current, best=s.best, total=s.total, expires_at=None
            )

    await storage.write(work)


def best_of(tx: Transaction, user_id: int) -> int:
    """The member's stored best streak in GUILD."""
    return tx.streaks.member_streak(GUILD, user_id).best


def rank_order(standings: list[Standing]) -> list[Standing]:
    """The leaderboard's documented order: current, best, total, then user id, all desc."""
    return sorted(standings, key=lambda s: (s.current, s.best, s.total, s.user_id), reverse=True)


class Boom(Exception):
    """Raised by a unit on purpose."""


# --- units of work ------------------------------------------------------------------


async def test_write_commits_and_a_later_read_sees_it(storage: Storage) -> None:
    await storage.write(lambda tx: tx.state.set_state("tree", "abc"))
    assert await storage.read(lambda tx: tx.state.get_state("tree")) == "abc"


async def test_units_return_their_value(storage: Storage) -> None:
    def work(tx: Transaction) -> tuple[str, int]:
        tx.state.set_state("k", "v")
        return ("written", 42)

    assert await storage.write(work) == ("written", 42)
    assert await storage.read(lambda tx: (tx.state.get_state("k"), 7)) == ("v", 7)


async def test_a_unit_sees_its_own_writes_before_commit(storage: Storage) -> None:
    def work(tx: Transaction) -> tuple[str | None, list[date], int]:
        tx.state.set_state("k", "v")
        tx.streaks.insert_log(GUILD, ALICE, day(0), None, NOW)
        tx.streaks.save_stats(GUILD, ALICE, current=1, best=4, total=1, expires_at=None)
        return tx.state.get_state("k"), tx.streaks.logged_days(GUILD, ALICE), best_of(tx, ALICE)

    assert await storage.write(work) == ("v", [day(0)], 4)


async def test_a_raising_write_reraises_and_leaves_nothing_behind(storage: Storage) -> None:
    error = Boom("halfway")

    def half_then_fail(tx: Transaction) -> None:
        tx.state.set_state("k", "half")
        tx.settings.update_guild_settings(GUILD, timezone="Europe/Paris", weekly_target=3)
        tx.settings.set_member_timezone(ALICE, "Asia/Tokyo")
        tx.streaks.insert_log(GUILD, ALICE, day(0), "rows", NOW)
        tx.streaks.save_stats(GUILD, ALICE, current=1, best=1, total=1, expires_at=None)
        tx.posture.save_reminder(reminder(ALICE))
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
        raise error

    with pytest.raises(Boom) as raised:
        await storage.write(half_then_fail)
    assert raised.value is error

    def everything(tx: Transaction) -> tuple[object, ...]:
        return (
            tx.state.get_state("k"),
            tx.settings.get_guild_settings(GUILD),
            tx.settings.member_timezone(ALICE),
            tx.streaks.logged_days(GUILD, ALICE),
            tx.streaks.member_count(GUILD),
            tx.posture.get_reminder(ALICE),
            tx.posture.seen_topics(ALICE),
        )

    assert await storage.read(everything) == (None, GuildSettings(GUILD), None, [], 0, None, set())


async def test_a_raising_write_keeps_earlier_commits_and_the_next_write_works(
    storage: Storage,
) -> None:
    await storage.write(lambda tx: tx.state.set_state("k", "before"))

    def overwrite_then_fail(tx: Transaction) -> None:
        tx.state.set_state("k", "lost")
        raise Boom

    with pytest.raises(Boom):
        await storage.write(overwrite_then_fail)
    assert await storage.read(lambda tx: tx.state.get_state("k")) == "before"
    await storage.write(lambda tx: tx.state.set_state("k", "after"))
    assert await storage.read(lambda tx: tx.state.get_state("k")) == "after"


def log_unit(user_id: int, logged: date) -> Callable[[Transaction], bool]:
    """A unit shaped like /backday log: read the member's streak, then, if the day is
    new, log it with a streak computed from what was read, without reading back (here:
    current = best = total = the number of days)."""

    def work(tx: Transaction) -> bool:
        streak = tx.streaks.member_streak(GUILD, user_id)
        if logged in streak.days:
            return False
        total = len(streak.days) + 1
        tx.streaks.log_day(
            GUILD,
            user_id,
            logged,
            None,
            NOW,
            current=total,
            best=total,
            total=total,
            expires_at=None,
        )
        return True

    return work


async def test_concurrent_logs_of_the_same_day_have_exactly_one_winner(storage: Storage) -> None:
    results = await asyncio.gather(*(storage.write(log_unit(ALICE, day(0))) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE)) == [day(0)]
    assert await storage.read(lambda tx: tx.streaks.standing_of(GUILD, ALICE)) == RankedStanding(
        1, Standing(ALICE, 1, 1, 1)
    )


async def test_concurrent_logs_of_one_member_all_count(storage: Storage) -> None:
    """Units that read a member's streak and write what follows from it, for different
    days at once: each sees the others' logs (or re-runs), so the stored streak counts
    them all."""
    results = await asyncio.gather(*(storage.write(log_unit(ALICE, day(n))) for n in range(8)))
    assert results == [True] * 8
    assert await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE)) == [
        day(n) for n in range(8)
    ]
    assert await storage.read(lambda tx: tx.streaks.standing_of(GUILD, ALICE)) == RankedStanding(
        1, Standing(ALICE, 8, 8, 8)
    )


async def test_concurrent_writes_all_commit(storage: Storage) -> None:
    await asyncio.gather(
        *(storage.write(lambda tx, n=n: tx.state.set_state(f"k{n}", str(n))) for n in range(10))
    )
    values = await storage.read(lambda tx: [tx.state.get_state(f"k{n}") for n in range(10)])
    assert values == [str(n) for n in range(10)]


# --- state --------------------------------------------------------------------------


async def test_state_missing_key_is_none(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.state.get_state("never-set")) is None


async def test_state_set_overwrite_and_keys_are_independent(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        tx.state.set_state("a", "1")
        tx.state.set_state("b", "2")
        tx.state.set_state("a", "3")

    await storage.write(work)
    assert await storage.read(lambda tx: (tx.state.get_state("a"), tx.state.get_state("b"))) == (
        "3",
        "2",
    )


# --- settings -----------------------------------------------------------------------


async def test_unknown_server_gets_default_settings(storage: Storage) -> None:
    settings = await storage.read(lambda tx: tx.settings.get_guild_settings(GUILD))
    assert settings == GuildSettings(GUILD)
    assert settings.timezone == DEFAULT_TIMEZONE == "UTC"
    assert settings.weekly_target == DEFAULT_WEEKLY_TARGET
    assert settings.nudge_channel_id is None
    assert settings.nudge_time is None
    assert settings.default_reminder_time == "09:00"


async def test_update_changes_only_the_named_fields_and_returns_the_result(
    storage: Storage,
) -> None:
    after = await storage.write(
        lambda tx: tx.settings.update_guild_settings(
            GUILD, timezone="Europe/Paris", weekly_target=3
        )
    )
    expected = GuildSettings(GUILD, timezone="Europe/Paris", weekly_target=3)
    assert after == expected
    assert await storage.read(lambda tx: tx.settings.get_guild_settings(GUILD)) == expected
    assert await storage.read(lambda tx: tx.settings.get_guild_settings(OTHER_GUILD)) == (
        GuildSettings(OTHER_GUILD)
    )


async def test_updates_accumulate_and_can_clear_a_field(storage: Storage) -> None:
    await storage.write(
        lambda tx: tx.settings.update_guild_settings(
            GUILD, nudge_channel_id=777, nudge_time="08:30"
        )
    )
    await storage.write(lambda tx: tx.settings.update_guild_settings(GUILD, weekly_target=2))
    assert await storage.read(lambda tx: tx.settings.get_guild_settings(GUILD)) == GuildSettings(
        GUILD, weekly_target=2, nudge_channel_id=777, nudge_time="08:30"
    )
    cleared = await storage.write(
        lambda tx: tx.settings.update_guild_settings(GUILD, nudge_channel_id=None)
    )
    assert cleared == GuildSettings(GUILD, weekly_target=2, nudge_time="08:30")


async def test_update_with_an_unknown_field_raises_value_error_and_changes_nothing(
    storage: Storage,
) -> None:
    with pytest.raises(ValueError, match="colour"):
        await storage.write(
            lambda tx: tx.settings.update_guild_settings(GUILD, weekly_target=4, colour="blue")
        )
    assert await storage.read(lambda tx: tx.settings.get_guild_settings(GUILD)) == GuildSettings(
        GUILD
    )


async def test_member_context_falls_back_to_the_defaults(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.settings.member_context(GUILD, ALICE)) == (
        DEFAULT_TIMEZONE,
        DEFAULT_WEEKLY_TARGET,
    )


async def test_member_context_uses_the_server_settings(storage: Storage) -> None:
    await storage.write(
        lambda tx: tx.settings.update_guild_settings(
            GUILD, timezone="America/Chicago", weekly_target=3
        )
    )
    assert await storage.read(lambda tx: tx.settings.member_context(GUILD, ALICE)) == (
        "America/Chicago",
        3,
    )


async def test_member_context_prefers_the_members_own_timezone(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        tx.settings.update_guild_settings(GUILD, timezone="America/Chicago", weekly_target=3)
        tx.settings.set_member_timezone(ALICE, "Asia/Tokyo")

    await storage.write(work)
    contexts = await storage.read(
        lambda tx: (
            tx.settings.member_context(GUILD, ALICE),
            tx.settings.member_context(OTHER_GUILD, ALICE),
            tx.settings.member_context(GUILD, BOB),
        )
    )
    assert contexts == (
        ("Asia/Tokyo", 3),
        ("Asia/Tokyo", DEFAULT_WEEKLY_TARGET),
        ("America/Chicago", 3),
    )


async def test_member_timezone_set_replace_and_get(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.settings.member_timezone(ALICE)) is None
    await storage.write(lambda tx: tx.settings.set_member_timezone(ALICE, "Europe/Berlin"))
    assert await storage.read(lambda tx: tx.settings.member_timezone(ALICE)) == "Europe/Berlin"
    await storage.write(lambda tx: tx.settings.set_member_timezone(ALICE, "Australia/Perth"))
    zones = await storage.read(
        lambda tx: (tx.settings.member_timezone(ALICE), tx.settings.member_timezone(BOB))
    )
    assert zones == ("Australia/Perth", None)


async def test_reminder_zone_is_the_members_own_else_utc_never_the_servers(
    storage: Storage,
) -> None:
    await storage.write(
        lambda tx: tx.settings.update_guild_settings(GUILD, timezone="America/Chicago")
    )
    assert await storage.read(lambda tx: tx.settings.reminder_zone(ALICE)) == "UTC"
    await storage.write(lambda tx: tx.settings.set_member_timezone(ALICE, "Asia/Tokyo"))
    assert await storage.read(lambda tx: tx.settings.reminder_zone(ALICE)) == "Asia/Tokyo"


# --- streaks: logs ------------------------------------------------------------------


async def test_insert_log_of_a_logged_day_keeps_the_first_log(storage: Storage) -> None:
    await storage.write(lambda tx: tx.streaks.insert_log(GUILD, ALICE, day(0), "rows", NOW))
    await storage.write(lambda tx: tx.streaks.insert_log(GUILD, ALICE, day(0), "other", NOW))
    # The same day is a separate log for another server or another member.
    await storage.write(
        lambda tx: (
            tx.streaks.insert_log(OTHER_GUILD, ALICE, day(0), None, NOW),
            tx.streaks.insert_log(GUILD, BOB, day(0), None, NOW),
        )
    )
    logged = await storage.read(
        lambda tx: (
            tx.streaks.logged_days(GUILD, ALICE),
            tx.streaks.logged_days(OTHER_GUILD, ALICE),
            tx.streaks.logged_days(GUILD, BOB),
        )
    )
    assert logged == ([day(0)], [day(0)], [day(0)])
    exported = await storage.read(lambda tx: tx.privacy.export_member(ALICE))
    notes = [row["note"] for row in exported["backday_logs"] if row["guild_id"] == GUILD]
    assert notes == ["rows"]


async def test_logged_days_are_oldest_first_and_per_server_and_member(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        for offset in (5, -3, 0, 12):
            tx.streaks.insert_log(GUILD, ALICE, day(offset), None, NOW)
        tx.streaks.insert_log(GUILD, BOB, day(1), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(2), None, NOW)

    await storage.write(work)
    days = await storage.read(
        lambda tx: (
            tx.streaks.logged_days(GUILD, ALICE),
            tx.streaks.logged_days(GUILD, BOB),
            tx.streaks.logged_days(OTHER_GUILD, ALICE),
            tx.streaks.logged_days(OTHER_GUILD, BOB),
        )
    )
    assert days == ([day(-3), day(0), day(5), day(12)], [day(1)], [day(2)], [])


async def test_a_log_may_have_no_note(storage: Storage) -> None:
    await storage.write(lambda tx: tx.streaks.insert_log(GUILD, ALICE, day(0), None, NOW))
    assert await storage.read(lambda tx: tx.streaks.logged_days(GUILD, ALICE)) == [day(0)]


async def test_delete_log_removes_only_that_members_day_in_that_server(
    storage: Storage,
) -> None:
    def work(tx: Transaction) -> None:
        for offset in (1, 3, 5):
            tx.streaks.insert_log(GUILD, ALICE, day(offset), None, NOW)
        tx.streaks.insert_log(GUILD, BOB, day(3), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(3), None, NOW)

    await storage.write(work)
    await storage.write(lambda tx: tx.streaks.delete_log(GUILD, ALICE, day(3)))
    await storage.write(lambda tx: tx.streaks.delete_log(GUILD, ALICE, day(3)))  # gone: no-op
    await storage.write(lambda tx: tx.streaks.delete_log(GUILD, CAROL, day(3)))  # no logs
    remaining = await storage.read(
        lambda tx: (
            tx.streaks.logged_days(GUILD, ALICE),
            tx.streaks.logged_days(GUILD, BOB),
            tx.streaks.logged_days(OTHER_GUILD, ALICE),
        )
    )
    assert remaining == ([day(1), day(5)], [day(3)], [day(3)])


# --- streaks: a member's streak inputs ----------------------------------------------


async def test_member_streak_of_a_stranger_is_the_defaults_and_nothing_logged(
    storage: Storage,
) -> None:
    assert await storage.read(lambda tx: tx.streaks.member_streak(GUILD, ALICE)) == MemberStreak(
        DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET, [], 0
    )


async def test_member_streak_reads_zone_target_days_and_best_per_server(
    storage: Storage,
) -> None:
    def seed(tx: Transaction) -> None:
        tx.settings.update_guild_settings(GUILD, timezone="Europe/Paris", weekly_target=3)
        tx.settings.update_guild_settings(OTHER_GUILD, timezone="America/Chicago")
        tx.settings.set_member_timezone(BOB, "Asia/Tokyo")
        for offset in (5, -3, 0, 12):
            tx.streaks.insert_log(GUILD, ALICE, day(offset), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(2), None, NOW)
        tx.streaks.insert_log(GUILD, BOB, day(1), None, NOW)
        tx.streaks.save_stats(GUILD, ALICE, current=2, best=7, total=4, expires_at=None)

    await storage.write(seed)
    found = await storage.read(
        lambda tx: (
            tx.streaks.member_streak(GUILD, ALICE),
            tx.streaks.member_streak(OTHER_GUILD, ALICE),
            tx.streaks.member_streak(GUILD, BOB),
            tx.streaks.member_streak(THIRD_GUILD, BOB),
        )
    )
    assert found == (
        MemberStreak("Europe/Paris", 3, [day(-3), day(0), day(5), day(12)], 7),
        MemberStreak("America/Chicago", DEFAULT_WEEKLY_TARGET, [day(2)], 0),
        MemberStreak("Asia/Tokyo", 3, [day(1)], 0),
        MemberStreak("Asia/Tokyo", DEFAULT_WEEKLY_TARGET, [], 0),
    )


# --- streaks: stats -----------------------------------------------------------------


async def test_save_stats_keeps_the_stored_best_which_never_falls(storage: Storage) -> None:
    def save(best: int, current: int) -> Callable[[Transaction], None]:
        return lambda tx: tx.streaks.save_stats(
            GUILD, ALICE, current=current, best=best, total=9, expires_at=None
        )

    await storage.write(save(best=5, current=5))
    await storage.write(save(best=2, current=2))
    assert await storage.read(lambda tx: best_of(tx, ALICE)) == 5
    assert await storage.read(lambda tx: tx.streaks.standing_of(GUILD, ALICE)) == RankedStanding(
        1, Standing(ALICE, current=2, best=5, total=9)
    )
    await storage.write(save(best=8, current=8))
    assert await storage.read(lambda tx: best_of(tx, ALICE)) == 8


async def test_the_stored_best_is_zero_without_a_row_and_per_server(storage: Storage) -> None:
    await seed_stats(storage, [Standing(ALICE, 3, 4, 6)])
    bests = await storage.read(
        lambda tx: (
            best_of(tx, ALICE),
            tx.streaks.member_streak(OTHER_GUILD, ALICE).best,
            best_of(tx, BOB),
        )
    )
    assert bests == (4, 0, 0)


async def test_saving_total_zero_removes_the_member(storage: Storage) -> None:
    await seed_stats(storage, [Standing(ALICE, 3, 6, 6), Standing(BOB, 1, 1, 1)])
    await storage.write(
        lambda tx: tx.streaks.save_stats(GUILD, ALICE, current=0, best=0, total=0, expires_at=None)
    )
    after = await storage.read(
        lambda tx: (
            tx.streaks.member_count(GUILD),
            tx.streaks.standing_of(GUILD, ALICE),
            best_of(tx, ALICE),
            tx.streaks.guild_members(GUILD),
            tx.streaks.member_guilds(ALICE),
        )
    )
    assert after == (1, None, 0, [BOB], [])
    # With no row left the member starts again from nothing: the old best is gone.
    await storage.write(
        lambda tx: tx.streaks.save_stats(GUILD, ALICE, current=1, best=1, total=1, expires_at=None)
    )
    assert await storage.read(lambda tx: best_of(tx, ALICE)) == 1


async def test_guild_members_and_member_guilds(storage: Storage) -> None:
    await seed_stats(storage, [Standing(ALICE, 1, 1, 1), Standing(BOB, 2, 2, 2)], GUILD)
    await seed_stats(storage, [Standing(ALICE, 1, 1, 1)], OTHER_GUILD)
    found = await storage.read(
        lambda tx: (
            sorted(tx.streaks.guild_members(GUILD)),
            sorted(tx.streaks.guild_members(OTHER_GUILD)),
            tx.streaks.guild_members(THIRD_GUILD),
            sorted(tx.streaks.member_guilds(ALICE)),
            sorted(tx.streaks.member_guilds(BOB)),
            tx.streaks.member_guilds(CAROL),
        )
    )
    assert found == ([ALICE, BOB], [ALICE], [], [GUILD, OTHER_GUILD], [GUILD], [])


# --- streaks: leaderboard -----------------------------------------------------------

BOARD = [
    Standing(21, current=3, best=3, total=5),
    Standing(22, current=3, best=3, total=5),  # tied with 21: the higher id comes first
    Standing(23, current=3, best=4, total=1),  # same current, better best
    Standing(24, current=2, best=9, total=9),
    Standing(25, current=0, best=2, total=2),
    Standing(26, current=3, best=3, total=6),  # same current and best, more days
    Standing(27, current=1, best=1, total=1),
    Standing(28, current=0, best=2, total=2),  # tied with 25
]


async def test_leaderboard_rows_are_in_rank_order_per_server(storage: Storage) -> None:
    await seed_stats(storage, BOARD)
    await seed_stats(storage, [Standing(99, 50, 50, 50)], OTHER_GUILD)
    rows = await storage.read(lambda tx: tx.streaks.leaderboard_rows(GUILD, 100))
    assert rows == rank_order(BOARD)
    assert [s.user_id for s in rows] == [23, 26, 22, 21, 24, 27, 28, 25]
    assert await storage.read(lambda tx: tx.streaks.leaderboard_rows(GUILD, 3)) == rows[:3]
    assert await storage.read(lambda tx: tx.streaks.leaderboard_rows(THIRD_GUILD, 10)) == []


async def test_paging_forward_with_after_reproduces_the_full_order(storage: Storage) -> None:
    await seed_stats(storage, BOARD)
    collected: list[Standing] = []
    cursor: Standing | None = None
    while True:
        page = await storage.read(
            lambda tx, after=cursor: tx.streaks.leaderboard_rows(GUILD, 3, after=after)
        )
        if not page:
            break
        assert len(page) <= 3
        collected += page
        cursor = page[-1]
    assert collected == rank_order(BOARD)


async def test_paging_backward_with_before_reproduces_the_full_order(storage: Storage) -> None:
    await seed_stats(storage, BOARD)
    full = rank_order(BOARD)
    collected = [full[-1]]
    cursor = full[-1]
    while True:
        page = await storage.read(
            lambda tx, before=cursor: tx.streaks.leaderboard_rows(GUILD, 3, before=before)
        )
        if not page:
            break
        assert len(page) <= 3
        collected = page + collected
        cursor = page[0]
    assert collected == full
    # A page ending before a row is the rows just above it, still in rank order.
    assert (
        await storage.read(lambda tx: tx.streaks.leaderboard_rows(GUILD, 2, before=full[4]))
        == full[2:4]
    )


async def test_rank_rows_ties_share_a_rank_and_the_next_rank_skips(storage: Storage) -> None:
    board = [
        Standing(ALICE, 3, 3, 5),
        Standing(BOB, 3, 3, 5),
        Standing(CAROL, 2, 2, 2),
        Standing(DAVE, 1, 5, 9),
    ]
    await seed_stats(storage, board)

    def ranked(tx: Transaction) -> list[tuple[int, int]]:
        rows = tx.streaks.leaderboard_rows(GUILD, 10)
        return [(r.rank, r.standing.user_id) for r in tx.streaks.rank_rows(GUILD, rows)]

    assert await storage.read(ranked) == [(1, BOB), (1, ALICE), (3, CAROL), (4, DAVE)]


async def test_rank_rows_of_a_page_deep_in_the_board_keeps_board_wide_ranks(
    storage: Storage,
) -> None:
    await seed_stats(storage, BOARD)
    full = rank_order(BOARD)

    def ranked(tx: Transaction) -> list[RankedStanding]:
        return tx.streaks.rank_rows(GUILD, tx.streaks.leaderboard_rows(GUILD, 4, after=full[2]))

    # Board: 23 (1), 26 (2), 22 & 21 (3, 3), 24 (5), 27 (6), 28 & 25 (7, 7).
    page = await storage.read(ranked)
    assert [(r.rank, r.standing.user_id) for r in page] == [(3, 21), (5, 24), (6, 27), (7, 28)]
    assert await storage.read(lambda tx: tx.streaks.rank_rows(GUILD, [])) == []


async def test_standing_of_gives_the_rank_and_none_without_a_row(storage: Storage) -> None:
    await seed_stats(storage, BOARD)
    found = await storage.read(
        lambda tx: (
            tx.streaks.standing_of(GUILD, 22),
            tx.streaks.standing_of(GUILD, 21),
            tx.streaks.standing_of(GUILD, 25),
            tx.streaks.standing_of(GUILD, ALICE),
            tx.streaks.standing_of(OTHER_GUILD, 22),
        )
    )
    assert found == (
        RankedStanding(3, Standing(22, 3, 3, 5)),
        RankedStanding(3, Standing(21, 3, 3, 5)),
        RankedStanding(7, Standing(25, 0, 2, 2)),
        None,
        None,
    )


async def test_member_count_counts_members_per_server(storage: Storage) -> None:
    await seed_stats(storage, BOARD)
    await seed_stats(storage, BOARD[:2], OTHER_GUILD)
    counts = await storage.read(
        lambda tx: (
            tx.streaks.member_count(GUILD),
            tx.streaks.member_count(OTHER_GUILD),
            tx.streaks.member_count(THIRD_GUILD),
        )
    )
    assert counts == (len(BOARD), 2, 0)


async def test_ranks_follow_a_changed_standing(storage: Storage) -> None:
    await seed_stats(storage, [Standing(ALICE, 1, 1, 1), Standing(BOB, 2, 2, 2)])
    assert (await storage.read(lambda tx: tx.streaks.standing_of(GUILD, ALICE))).rank == 2
    await seed_stats(storage, [Standing(ALICE, 3, 3, 3)])
    ranks = await storage.read(
        lambda tx: (tx.streaks.standing_of(GUILD, ALICE), tx.streaks.standing_of(GUILD, BOB))
    )
    assert ranks == (
        RankedStanding(1, Standing(ALICE, 3, 3, 3)),
        RankedStanding(2, Standing(BOB, 2, 2, 2)),
    )
    assert await storage.read(lambda tx: tx.streaks.member_count(GUILD)) == 2


# --- streaks: expiry ----------------------------------------------------------------


async def test_expire_streaks_zeroes_only_lapsed_current_streaks(storage: Storage) -> None:
    expiries = {
        ALICE: NOW - timedelta(hours=1),  # lapsed
        BOB: NOW,  # lapses exactly now
        CAROL: NOW + timedelta(seconds=1),  # not yet
        DAVE: None,  # no current streak to lapse
    }

    def seed(tx: Transaction) -> None:
        for user_id, expires_at in expiries.items():
            current = 0 if expires_at is None else 4
            tx.streaks.save_stats(
                GUILD, user_id, current=current, best=6, total=10, expires_at=expires_at
            )

    await storage.write(seed)
    # The interface allows expiry in a read unit: it commits its own write.
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW)) == 2
    standings = await storage.read(
        lambda tx: [tx.streaks.standing_of(GUILD, u) for u in (ALICE, BOB, CAROL, DAVE)]
    )
    assert [s.standing if s else None for s in standings] == [
        Standing(ALICE, current=0, best=6, total=10),
        Standing(BOB, current=0, best=6, total=10),
        Standing(CAROL, current=4, best=6, total=10),
        Standing(DAVE, current=0, best=6, total=10),
    ]
    assert [s.rank if s else None for s in standings] == [2, 2, 1, 2]
    assert await storage.read(lambda tx: tx.streaks.member_count(GUILD)) == 4


async def test_expire_streaks_twice_expires_nothing_the_second_time(storage: Storage) -> None:
    await storage.write(
        lambda tx: tx.streaks.save_stats(
            GUILD, ALICE, current=2, best=2, total=2, expires_at=NOW - timedelta(days=1)
        )
    )
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW)) == 1
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW)) == 0
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW + timedelta(days=30))) == 0


async def test_expire_streaks_with_nothing_stored_is_zero(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW)) == 0


# --- streaks: the three boards and hiding from them ------------------------------------

MARCH = "2024-03"  # day(0) is Monday 4 March 2024
STREAK = Board(GUILD, "streak")
MONTH_BOARD = Board(GUILD, "month", MARCH)
ALL_TIME = Board(GUILD, "all-time")
A, B, C, D, E, F = 31, 32, 33, 34, 35, 36
# user: (current, best, total, days logged: offsets from day(0); day(-4) is 29 February)
MEMBERS = {
    A: (3, 3, 10, [0, 1, 2, 3]),
    B: (3, 3, 10, [0, 1, 2, 3]),  # tied with A on every board: the higher id comes first
    C: (2, 5, 8, [5]),
    D: (1, 2, 9, [0, 7, 14]),
    E: (0, 2, 2, [1, 8, 15]),  # as many March days as D: D's better total breaks the tie
    F: (0, 1, 1, [-4]),  # February only: on no March board
}
# The boards as (rank, user): ties on the board's numbers share a rank, the next skips.
STREAK_RANKS = [(1, B), (1, A), (3, C), (4, D), (5, E), (6, F)]
ALL_TIME_RANKS = [(1, B), (1, A), (3, D), (4, C), (5, E), (6, F)]
MONTH_RANKS = [(1, B), (1, A), (3, D), (4, E), (5, C)]


def seed_members(tx: Transaction, guild_id: int = GUILD) -> None:
    for user_id, (current, best, total, offsets) in MEMBERS.items():
        for offset in offsets:
            tx.streaks.insert_log(guild_id, user_id, day(offset), None, NOW)
        tx.streaks.save_stats(
            guild_id, user_id, current=current, best=best, total=total, expires_at=None
        )


def whole(tx: Transaction, board: Board) -> list[tuple[int, int]]:
    """The whole board as (rank, user)."""
    ranked = tx.streaks.board_ranks(board, tx.streaks.board_rows(board, 100))
    return [(r.rank, r.row.user_id) for r in ranked]


async def test_each_board_has_its_own_order_and_ties_share_a_rank(storage: Storage) -> None:
    await storage.write(seed_members)
    boards = await storage.read(
        lambda tx: (whole(tx, STREAK), whole(tx, ALL_TIME), whole(tx, MONTH_BOARD))
    )
    assert boards == (STREAK_RANKS, ALL_TIME_RANKS, MONTH_RANKS)
    rows = await storage.read(
        lambda tx: (
            tx.streaks.board_rows(STREAK, 1),
            tx.streaks.board_rows(ALL_TIME, 1),
            tx.streaks.board_rows(MONTH_BOARD, 4),
        )
    )
    # The score is the board's own number; best and total are every board's tie-breaks.
    assert rows == (
        [BoardRow(B, 3, 3, 10)],
        [BoardRow(B, 10, 3, 10)],
        [BoardRow(B, 4, 3, 10), BoardRow(A, 4, 3, 10), BoardRow(D, 3, 2, 9), BoardRow(E, 3, 2, 2)],
    )
    sizes = await storage.read(
        lambda tx: [tx.streaks.board_size(b) for b in (STREAK, ALL_TIME, MONTH_BOARD)]
    )
    assert sizes == [6, 6, 5]


@pytest.mark.parametrize("board", [STREAK, ALL_TIME, MONTH_BOARD], ids=lambda b: b.kind)
async def test_every_board_pages_both_ways_with_board_wide_ranks(
    storage: Storage, board: Board
) -> None:
    await storage.write(seed_members)
    full = await storage.read(lambda tx: tx.streaks.board_rows(board, 100))
    expected = await storage.read(lambda tx: whole(tx, board))
    forward: list[tuple[int, int]] = []
    cursor: BoardRow | None = None
    while True:

        def page(tx: Transaction, after: BoardRow | None = cursor) -> list[RankedRow]:
            return tx.streaks.board_ranks(board, tx.streaks.board_rows(board, 2, after=after))

        ranked = await storage.read(page)
        if not ranked:
            break
        forward += [(r.rank, r.row.user_id) for r in ranked]
        cursor = ranked[-1].row
    assert forward == expected
    backward = await storage.read(lambda tx: tx.streaks.board_rows(board, 2, before=full[-1]))
    assert backward == full[-3:-1]
    assert await storage.read(lambda tx: tx.streaks.board_rows(board, 2, before=full[0])) == []
    assert await storage.read(lambda tx: tx.streaks.board_ranks(board, [])) == []


async def test_board_placing_is_the_members_rank_or_none(storage: Storage) -> None:
    await storage.write(seed_members)
    placings = await storage.read(
        lambda tx: (
            tx.streaks.board_placing(STREAK, C),
            tx.streaks.board_placing(ALL_TIME, C),
            tx.streaks.board_placing(MONTH_BOARD, C),
            tx.streaks.board_placing(MONTH_BOARD, F),  # logged in February only
            tx.streaks.board_placing(Board(GUILD, "month", "2024-02"), F),
            tx.streaks.board_placing(STREAK, DAVE),  # never logged
            tx.streaks.board_placing(Board(OTHER_GUILD, "all-time"), A),
        )
    )
    assert placings == (
        RankedRow(3, BoardRow(C, 2, 5, 8)),
        RankedRow(4, BoardRow(C, 8, 5, 8)),
        RankedRow(5, BoardRow(C, 1, 5, 8)),
        None,
        RankedRow(1, BoardRow(F, 1, 1, 1)),
        None,
        None,
    )


@pytest.mark.parametrize("board", [STREAK, ALL_TIME, MONTH_BOARD], ids=lambda b: b.kind)
async def test_a_board_page_is_its_size_ranked_rows_and_placing(
    storage: Storage, board: Board
) -> None:
    await storage.write(seed_members)
    full = await storage.read(lambda tx: tx.streaks.board_rows(board, 100))

    def parts(tx: Transaction, after: BoardRow | None, before: BoardRow | None) -> BoardPage:
        rows = tx.streaks.board_rows(board, 2, after=after, before=before)
        return BoardPage(
            tx.streaks.board_size(board),
            tx.streaks.board_ranks(board, rows),
            tx.streaks.board_placing(board, C),
            False,
        )

    for after, before in ((None, None), (full[1], None), (None, full[4])):
        page = await storage.read(
            lambda tx, a=after, b=before: tx.streaks.board_page(board, 2, C, after=a, before=b)
        )
        assert page == await storage.read(lambda tx, a=after, b=before: parts(tx, a, b))
        assert page.rows  # every one of these cursors reaches rows
    # Someone not on the board, or hidden, has their own placing on the same page.
    stranger = await storage.read(lambda tx: tx.streaks.board_page(board, 2, DAVE))
    assert (stranger.placing, stranger.rows) == (
        None,
        (await storage.read(lambda tx: parts(tx, None, None))).rows,
    )
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(DAVE, True))
    assert (
        await storage.read(lambda tx: tx.streaks.board_page(board, 2, DAVE))
    ).placing == Hidden()


@pytest.mark.parametrize("board", [STREAK, ALL_TIME, MONTH_BOARD], ids=lambda b: b.kind)
async def test_a_board_page_from_a_cursor_reaching_nothing_is_the_top_page(
    storage: Storage, board: Board
) -> None:
    await storage.write(seed_members)
    full = await storage.read(lambda tx: tx.streaks.board_rows(board, 100))
    top = await storage.read(lambda tx: tx.streaks.board_page(board, 2, C))
    assert not top.restarted
    # Past the last row; before the first; fewer than a page before the second.
    for after, before in ((full[-1], None), (None, full[0]), (None, full[1])):
        page = await storage.read(
            lambda tx, a=after, b=before: tx.streaks.board_page(board, 2, C, after=a, before=b)
        )
        assert page == replace(top, restarted=True)


async def test_a_streak_board_page_at_now_shows_lapsed_streaks_expired(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.streaks.save_stats(GUILD, ALICE, current=4, best=6, total=10, expires_at=NOW)
        tx.streaks.save_stats(GUILD, BOB, current=3, best=3, total=3, expires_at=None)

    await storage.write(seed)
    before = await storage.read(lambda tx: tx.streaks.board_page(STREAK, 10, ALICE))
    assert [r.row.user_id for r in before.rows] == [ALICE, BOB]
    # In a read unit, as a leaderboard page runs: the expiry commits on its own.
    page = await storage.read(lambda tx: tx.streaks.board_page(STREAK, 10, ALICE, now=NOW))
    assert page.rows == [
        RankedRow(1, BoardRow(BOB, 3, 3, 3)),
        RankedRow(2, BoardRow(ALICE, 0, 6, 10)),
    ]
    assert page.placing == RankedRow(2, BoardRow(ALICE, 0, 6, 10))
    assert await storage.read(lambda tx: tx.streaks.expire_streaks(NOW)) == 0


async def test_month_board_counts_each_log_in_its_own_month_and_server(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        for offset in (-5, -4, 0, 1, 28):  # 28, 29 February; 4, 5 March; 1 April
            tx.streaks.insert_log(GUILD, ALICE, day(offset), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(0), None, NOW)
        tx.streaks.insert_log(GUILD, BOB, day(0), None, NOW)

    await storage.write(seed)

    def months(tx: Transaction) -> list[list[tuple[int, int]]]:
        boards = [Board(GUILD, "month", m) for m in ("2024-02", MARCH, "2024-04", "2024-05")]
        boards.append(Board(OTHER_GUILD, "month", MARCH))
        return [[(r.user_id, r.score) for r in tx.streaks.board_rows(b, 10)] for b in boards]

    assert await storage.read(months) == [
        [(ALICE, 2)],
        [(ALICE, 2), (BOB, 1)],
        [(ALICE, 1)],
        [],
        [(ALICE, 1)],
    ]
    # An undone log leaves its month; the month's last one takes the member off it.
    await storage.write(lambda tx: tx.streaks.delete_log(GUILD, ALICE, day(28)))
    await storage.write(lambda tx: tx.streaks.delete_log(GUILD, ALICE, day(1)))
    after = await storage.read(months)
    assert after[1] == [(BOB, 1), (ALICE, 1)]  # tied: the higher id first
    assert after[2] == []
    sizes = await storage.read(
        lambda tx: [tx.streaks.board_size(Board(GUILD, "month", m)) for m in ("2024-04", MARCH)]
    )
    assert sizes == [0, 2]


async def test_month_board_tie_breaks_follow_the_saved_streak(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        for user_id in (ALICE, BOB):
            tx.streaks.insert_log(GUILD, user_id, day(0), None, NOW)
            tx.streaks.save_stats(GUILD, user_id, current=1, best=1, total=1, expires_at=None)

    await storage.write(seed)
    assert await storage.read(lambda tx: whole(tx, MONTH_BOARD)) == [(1, BOB), (1, ALICE)]
    # Alice's best rises (a lower target, say): she now wins the tie on the month board.
    await storage.write(
        lambda tx: tx.streaks.save_stats(GUILD, ALICE, current=1, best=3, total=1, expires_at=None)
    )
    assert await storage.read(lambda tx: whole(tx, MONTH_BOARD)) == [(1, ALICE), (2, BOB)]
    assert await storage.read(lambda tx: tx.streaks.board_rows(MONTH_BOARD, 1)) == [
        BoardRow(ALICE, 1, 3, 1)
    ]


async def test_log_day_leaves_what_insert_log_then_save_stats_leave(storage: Storage) -> None:
    """/backday log's one call, against its two steps for another member with the same
    history: a first log, a log whose best is below the stored one, a log that starts a
    month while the last one is still on show (its tie-break copies follow too), and a
    later one that leaves the last month as it was."""
    steps = [  # (day offset, current, best, total); day(-4) is 29 February
        (-5, 1, 4, 1),
        (-4, 2, 2, 2),  # the stored best stays 4
        (-3, 3, 5, 3),  # 1 March: February is still on show (29 February is two days back)
        (0, 1, 5, 4),  # 4 March: February keeps the copies of its time
    ]

    def month_rows(tx: Transaction, user_id: int) -> list[tuple[int, int, int]]:
        boards = [Board(GUILD, "month", m) for m in ("2024-02", MARCH)]
        return [
            (r.score, r.best, r.total)
            for b in boards
            for r in tx.streaks.board_rows(b, 10)
            if r.user_id == user_id
        ]

    def log(step: tuple[int, int, int, int]) -> Callable[[Transaction], None]:
        offset, current, best, total = step
        stats = {"current": current, "best": best, "total": total, "expires_at": None}

        def work(tx: Transaction) -> None:
            tx.streaks.log_day(GUILD, ALICE, day(offset), "rows", NOW, **stats)
            tx.streaks.insert_log(GUILD, BOB, day(offset), "rows", NOW)
            tx.streaks.save_stats(GUILD, BOB, **stats)

        return work

    for step in steps:
        await storage.write(log(step))
        alice, bob = await storage.read(
            lambda tx: [
                (tx.streaks.member_streak(GUILD, u), month_rows(tx, u)) for u in (ALICE, BOB)
            ]
        )
        assert alice == bob
    assert alice[0].days == [day(-5), day(-4), day(-3), day(0)]
    assert alice[0].best == 5
    assert alice[1] == [(2, 5, 3), (2, 5, 4)]  # February, March: (days, best, total)


async def test_a_hidden_member_is_on_no_board_of_any_server(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        seed_members(tx)
        seed_members(tx, OTHER_GUILD)

    await storage.write(seed)
    assert await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(A, True)) is True
    assert await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(A, True)) is False

    def without_a(ranks: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(rank - 1 if rank > 1 else rank, user) for rank, user in ranks if user != A]

    for guild_id in (GUILD, OTHER_GUILD):
        boards = [Board(guild_id, "streak"), Board(guild_id, "all-time")]
        boards.append(Board(guild_id, "month", MARCH))
        found = await storage.read(
            lambda tx, boards=boards: [
                (whole(tx, b), tx.streaks.board_size(b), tx.streaks.board_placing(b, A))
                for b in boards
            ]
        )
        assert found == [
            (without_a(STREAK_RANKS), 5, Hidden()),
            (without_a(ALL_TIME_RANKS), 5, Hidden()),
            (without_a(MONTH_RANKS), 4, Hidden()),
        ]
    # Their streak is kept as it was; the first version's lookups leave them out too.
    kept = await storage.read(
        lambda tx: (
            tx.settings.leaderboard_hidden(A),
            tx.settings.leaderboard_hidden(B),
            tx.streaks.member_streak(GUILD, A).best,
            tx.streaks.logged_days(GUILD, A),
            tx.streaks.standing_of(GUILD, A),
            tx.streaks.member_count(GUILD),
            [s.user_id for s in tx.streaks.leaderboard_rows(GUILD, 10)],
            sorted(tx.streaks.guild_members(GUILD)),
        )
    )
    assert kept == (
        True,
        False,
        3,
        [day(0), day(1), day(2), day(3)],
        None,
        5,
        [B, C, D, E, F],
        [A, B, C, D, E, F],
    )


async def test_a_hidden_member_is_told_so_even_where_they_have_no_row(storage: Storage) -> None:
    await storage.write(seed_members)
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(F, True))
    found = await storage.read(
        lambda tx: (
            tx.streaks.board_placing(MONTH_BOARD, F),  # F logged in February only
            tx.streaks.board_placing(Board(THIRD_GUILD, "streak"), F),
        )
    )
    assert found == (Hidden(), Hidden())


async def test_showing_again_restores_every_board(storage: Storage) -> None:
    await storage.write(seed_members)
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(B, True))
    # While hidden, their stats and logs keep changing as usual.
    await storage.write(
        lambda tx: (
            tx.streaks.insert_log(GUILD, B, day(4), None, NOW),
            tx.streaks.save_stats(GUILD, B, current=3, best=3, total=11, expires_at=None),
        )
    )
    assert await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(B, False)) is True
    assert await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(B, False)) is False
    boards = await storage.read(
        lambda tx: (whole(tx, STREAK), whole(tx, ALL_TIME), whole(tx, MONTH_BOARD))
    )
    assert boards == (
        [(1, B), (2, A), (3, C), (4, D), (5, E), (6, F)],
        [(1, B), (2, A), (3, D), (4, C), (5, E), (6, F)],
        [(1, B), (2, A), (3, D), (4, E), (5, C)],
    )
    placing = await storage.read(lambda tx: tx.streaks.board_placing(MONTH_BOARD, B))
    assert placing == RankedRow(1, BoardRow(B, 5, 3, 11))
    # Hiding and showing again leaves nothing stored about the choice.
    assert (
        await storage.read(lambda tx: tx.privacy.summarize_member(B).counts["member_settings"]) == 0
    )


async def test_a_hidden_member_who_logs_in_another_server_starts_there_hidden(
    storage: Storage,
) -> None:
    await storage.write(seed_members)
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(ALICE, True))

    def first_log_elsewhere(tx: Transaction) -> None:
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(0), None, NOW)
        tx.streaks.save_stats(OTHER_GUILD, ALICE, current=9, best=9, total=9, expires_at=None)

    await storage.write(first_log_elsewhere)
    boards = [Board(OTHER_GUILD, "streak"), Board(OTHER_GUILD, "month", MARCH)]
    found = await storage.read(
        lambda tx: [
            (
                tx.streaks.board_rows(b, 10),
                tx.streaks.board_size(b),
                tx.streaks.board_placing(b, ALICE),
            )
            for b in boards
        ]
    )
    assert found == [([], 0, Hidden()), ([], 0, Hidden())]


async def test_hiding_keeps_the_members_timezone(storage: Storage) -> None:
    await storage.write(lambda tx: tx.settings.set_member_timezone(ALICE, "Asia/Tokyo"))
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(ALICE, True))
    assert await storage.read(
        lambda tx: (tx.settings.member_timezone(ALICE), tx.settings.leaderboard_hidden(ALICE))
    ) == ("Asia/Tokyo", True)
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(ALICE, False))
    assert await storage.read(
        lambda tx: (tx.settings.member_timezone(ALICE), tx.settings.leaderboard_hidden(ALICE))
    ) == ("Asia/Tokyo", False)
    await storage.write(lambda tx: tx.settings.set_member_timezone(BOB, "Europe/Paris"))
    assert await storage.read(lambda tx: tx.settings.leaderboard_hidden(BOB)) is False


async def test_export_and_delete_cover_the_choice_and_the_month_rows(storage: Storage) -> None:
    await storage.write(seed_members)
    await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(D, True))
    exported = await storage.read(lambda tx: tx.privacy.export_member(D))
    assert [row["leaderboard_hidden"] for row in exported["member_settings"]] == [1]
    assert [(row["month"], row["days"], row["hidden"]) for row in exported["monthly_days"]] == [
        (MARCH, 3, 1)
    ]
    assert [row["hidden"] for row in exported["member_stats"]] == [1]
    deleted = await storage.write(lambda tx: tx.privacy.delete_member(D))
    assert (deleted["member_settings"], deleted["monthly_days"]) == (1, 1)
    after = await storage.read(
        lambda tx: (
            tx.privacy.summarize_member(D).total,
            tx.settings.leaderboard_hidden(D),
            whole(tx, MONTH_BOARD),
            tx.streaks.board_size(MONTH_BOARD),
        )
    )
    assert after == (0, False, [(1, B), (1, A), (3, E), (4, C)], 4)
    # Deleting a shown member takes them off every board and out of every rank.
    await storage.write(lambda tx: tx.privacy.delete_member(B))
    boards = await storage.read(
        lambda tx: (whole(tx, STREAK), whole(tx, ALL_TIME), whole(tx, MONTH_BOARD))
    )
    assert boards == (
        [(1, A), (2, C), (3, E), (4, F)],
        [(1, A), (2, C), (3, E), (4, F)],
        [(1, A), (2, E), (3, C)],
    )


def test_a_board_names_its_month_exactly_when_it_is_the_month_board() -> None:
    assert Board(GUILD, "month", "2024-12").month == "2024-12"
    for kind, month in (
        ("month", None),
        ("streak", MARCH),
        ("all-time", MARCH),
        ("month", "2024-13"),
        ("month", "2024-3"),
        ("weekly", None),
    ):
        with pytest.raises(ValueError, match=r"leaderboard|month"):
            Board(GUILD, kind, month)  # type: ignore[arg-type]


# --- posture: reminders -------------------------------------------------------------


async def test_reminder_save_get_and_replace_whole(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.posture.get_reminder(ALICE)) is None
    snoozed = reminder(ALICE, slot_at=1_000, snooze_at=400)
    await storage.write(lambda tx: tx.posture.save_reminder(snoozed))
    assert await storage.read(lambda tx: tx.posture.get_reminder(ALICE)) == snoozed
    replaced = replace(
        reminder(ALICE, slot_at=2_000, guild_id=OTHER_GUILD),
        days="weekdays",
        local_time="07:15",
        dm_channel_id=None,
        dm_refused_at=1_500,
    )
    await storage.write(lambda tx: tx.posture.save_reminder(replaced))
    assert await storage.read(lambda tx: tx.posture.get_reminder(ALICE)) == replaced
    assert replaced.snooze_at is None and replaced.snooze_topic is None


async def test_delete_reminder_is_true_then_false(storage: Storage) -> None:
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE)),
            tx.posture.save_reminder(reminder(BOB)),
        )
    )
    assert await storage.write(lambda tx: tx.posture.delete_reminder(ALICE)) is True
    assert await storage.write(lambda tx: tx.posture.delete_reminder(ALICE)) is False
    left = await storage.read(
        lambda tx: (tx.posture.get_reminder(ALICE), tx.posture.get_reminder(BOB))
    )
    assert left == (None, reminder(BOB))


def keys(due: list[tuple[str, int]]) -> list[int]:
    """The keys of due schedule rows (the contract suite's tests of one kind at a time)."""
    return [key for _kind, key in due]


async def test_due_reminders_are_only_the_due_ones_soonest_first(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.save_reminder(reminder(ALICE, slot_at=300))
        tx.posture.save_reminder(reminder(BOB, slot_at=100))
        tx.posture.save_reminder(reminder(CAROL, slot_at=900, snooze_at=200))  # snoozed
        tx.posture.save_reminder(reminder(DAVE, slot_at=301))  # not yet due

    await storage.write(seed)
    due = await storage.write(
        lambda tx: (
            keys(tx.schedule.lease(300, 300, 10, ("posture",))),
            keys(tx.schedule.lease(300, 300, 2, ("posture",))),
            keys(tx.schedule.lease(99, 99, 10, ("posture",))),
        )
    )
    assert due == ([BOB, CAROL, ALICE], [BOB, CAROL], [])


async def test_next_due_at_is_the_soonest_of_reminders_and_server_nudges(
    storage: Storage,
) -> None:
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture", "channel"))) is None
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE, slot_at=500)),
            tx.posture.save_reminder(reminder(BOB, slot_at=900, snooze_at=450)),
        )
    )
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture", "channel"))) == 450
    await storage.write(lambda tx: tx.posture.save_server_nudge(nudge(GUILD, 300)))
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture", "channel"))) == 300

    def only_server_nudge_left(tx: Transaction) -> None:
        tx.posture.delete_reminder(ALICE)
        tx.posture.delete_reminder(BOB)
        tx.posture.save_server_nudge(nudge(GUILD, 800))

    await storage.write(only_server_nudge_left)
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture", "channel"))) == 800
    await storage.write(lambda tx: tx.posture.delete_server_nudge(GUILD))
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture", "channel"))) is None


async def test_defer_reminder_moves_pending_times_to_no_earlier_than_until(
    storage: Storage,
) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.save_reminder(reminder(ALICE, slot_at=100, snooze_at=150))
        tx.posture.save_reminder(reminder(BOB, slot_at=100))

    await storage.write(seed)
    await storage.write(
        lambda tx: (tx.posture.defer_reminder(ALICE, 120), tx.posture.defer_reminder(BOB, 120))
    )
    alice, bob = await storage.read(
        lambda tx: (tx.posture.get_reminder(ALICE), tx.posture.get_reminder(BOB))
    )
    # The slot and due time move up; a snooze already later than `until` stays put.
    assert alice == replace(
        reminder(ALICE, slot_at=100, snooze_at=150), slot_at=120, snooze_at=150, due_at=120
    )
    # No snooze stays no snooze.
    assert bob == replace(reminder(BOB, slot_at=100), slot_at=120, due_at=120)


async def test_defer_reminder_never_moves_times_earlier(storage: Storage) -> None:
    original = reminder(ALICE, slot_at=1_000, snooze_at=800)
    await storage.write(lambda tx: tx.posture.save_reminder(original))
    await storage.write(lambda tx: tx.posture.defer_reminder(ALICE, 500))
    assert await storage.read(lambda tx: tx.posture.get_reminder(ALICE)) == original
    await storage.write(lambda tx: tx.posture.defer_reminder(ALICE, 5_000))
    assert await storage.read(lambda tx: tx.posture.get_reminder(ALICE)) == replace(
        original, slot_at=5_000, snooze_at=5_000, due_at=5_000
    )


async def test_defer_reminder_of_a_member_without_one_creates_nothing(storage: Storage) -> None:
    await storage.write(lambda tx: tx.posture.defer_reminder(ALICE, 500))
    assert await storage.read(
        lambda tx: (tx.posture.get_reminder(ALICE), tx.schedule.next_due_at(("posture", "channel")))
    ) == (None, None)


# --- posture: deliveries and topics -------------------------------------------------


async def test_deliveries_save_get_and_replace_the_same_day(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.posture.get_delivery(ALICE, "2024-03-04")) is None
    claim = delivery(ALICE, "2024-03-04", status="sending", at=100)
    await storage.write(lambda tx: tx.posture.save_delivery(claim))
    assert await storage.read(lambda tx: tx.posture.get_delivery(ALICE, "2024-03-04")) == claim
    sent = replace(claim, status="dm", attempted_at=105)
    await storage.write(lambda tx: tx.posture.save_delivery(sent))
    found = await storage.read(
        lambda tx: (
            tx.posture.get_delivery(ALICE, "2024-03-04"),
            tx.posture.get_delivery(ALICE, "2024-03-05"),
            tx.posture.get_delivery(BOB, "2024-03-04"),
        )
    )
    assert found == (sent, None, None)


async def test_set_delivery_statuses_changes_only_those_records(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.save_deliveries(
            [
                delivery(ALICE, "2024-03-04", status="sending", at=100),
                delivery(ALICE, "2024-03-05", status="sending", at=100),
                delivery(BOB, "2024-03-04", status="sending", at=100),
            ]
        )

    await storage.write(seed)
    outcomes = [
        DeliveryOutcome(ALICE, "2024-03-04", "dm", 105),
        DeliveryOutcome(BOB, "2024-03-04", "refused", 106),
        DeliveryOutcome(CAROL, "2024-03-04", "dm", 105),  # no record: nothing is created
    ]
    await storage.write(lambda tx: tx.posture.set_delivery_statuses(outcomes))
    await storage.write(lambda tx: tx.posture.set_delivery_statuses([]))
    found = await storage.read(
        lambda tx: [
            tx.posture.get_delivery(user, day)
            for user, day in [
                (ALICE, "2024-03-04"),
                (ALICE, "2024-03-05"),
                (BOB, "2024-03-04"),
                (CAROL, "2024-03-04"),
            ]
        ]
    )
    assert found == [
        delivery(ALICE, "2024-03-04", status="dm", at=105),
        delivery(ALICE, "2024-03-05", status="sending", at=100),
        delivery(BOB, "2024-03-04", status="refused", at=106),
        None,
    ]


async def test_batch_saves_insert_and_replace_like_single_ones(storage: Storage) -> None:
    await storage.write(lambda tx: tx.posture.save_reminder(reminder(ALICE, slot_at=100)))
    batch = [reminder(ALICE, slot_at=200, snooze_at=150), reminder(BOB, slot_at=300)]
    await storage.write(lambda tx: tx.posture.save_reminders(batch))
    await storage.write(lambda tx: tx.posture.save_reminders([]))
    await storage.write(lambda tx: tx.posture.save_deliveries([delivery(ALICE, "2024-03-04")]))
    days = [delivery(ALICE, "2024-03-04", status="dm", at=9), delivery(BOB, "2024-03-04")]
    await storage.write(lambda tx: tx.posture.save_deliveries(days))
    await storage.write(lambda tx: tx.posture.save_deliveries([]))
    found = await storage.read(
        lambda tx: (
            [tx.posture.get_reminder(user) for user in (ALICE, BOB)],
            [tx.posture.get_delivery(user, "2024-03-04") for user in (ALICE, BOB)],
            tx.schedule.next_due_at(("posture",)),
        )
    )
    assert found == (batch, days, 150)


async def test_mark_seen_many_starts_new_cycles_where_asked(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
        tx.posture.mark_seen(BOB, "chin-tucks", new_cycle=False)

    await storage.write(seed)
    seen = [
        TopicSeen(ALICE, "wall-angels", new_cycle=True),
        TopicSeen(BOB, "wall-angels", new_cycle=False),
        TopicSeen(GUILD, "hip-hinge", new_cycle=True),  # nothing to forget
    ]
    await storage.write(lambda tx: tx.posture.mark_seen_many(seen))
    await storage.write(lambda tx: tx.posture.mark_seen_many([]))
    found = await storage.read(
        lambda tx: [tx.posture.seen_topics(audience) for audience in (ALICE, BOB, GUILD)]
    )
    assert found == [{"wall-angels"}, {"chin-tucks", "wall-angels"}, {"hip-hinge"}]


SLOT = int(datetime(2024, 3, 4, 9, 0, tzinfo=UTC).timestamp())
"""A slot on Monday 2024-03-04 (UTC): the records `nudge_states` returns start on the 2nd."""


async def test_nudge_states_read_a_batch_of_members_at_once(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.settings.update_guild_settings(GUILD, nudge_channel_id=555)
        tx.settings.set_member_timezone(ALICE, "Asia/Tokyo")
        tx.posture.save_reminder(reminder(ALICE, slot_at=SLOT))
        tx.posture.save_reminder(reminder(BOB, slot_at=SLOT + 86_400, guild_id=OTHER_GUILD))
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
        tx.posture.mark_seen(ALICE, "wall-angels", new_cycle=False)
        tx.posture.mark_seen(CAROL, "hip-hinge", new_cycle=False)  # no reminder
        for local_day in ("2024-03-01", "2024-03-02", "2024-03-04", "2024-03-05"):
            tx.posture.save_delivery(delivery(ALICE, local_day))
        tx.posture.save_delivery(delivery(BOB, "2024-03-04"))  # Bob's slot is the 5th: kept

    await storage.write(seed)
    states = await storage.read(lambda tx: tx.posture.nudge_states([ALICE, BOB, CAROL]))
    assert set(states) == {ALICE, BOB}  # Carol has no reminder
    alice, bob = states[ALICE], states[BOB]
    assert alice.reminder == reminder(ALICE, slot_at=SLOT)
    assert (alice.timezone, alice.fallback_channel_id) == ("Asia/Tokyo", 555)
    assert alice.seen_topics == {"chin-tucks", "wall-angels"}
    # From two days before the slot's UTC date on: older records are left out.
    assert alice.deliveries == tuple(
        delivery(ALICE, d) for d in ("2024-03-02", "2024-03-04", "2024-03-05")
    )
    assert alice.delivery("2024-03-04") == delivery(ALICE, "2024-03-04")
    assert alice.delivery("2024-03-03") is None
    assert (bob.timezone, bob.fallback_channel_id, bob.seen_topics) == (
        DEFAULT_TIMEZONE,
        None,
        frozenset(),
    )
    assert bob.deliveries == (delivery(BOB, "2024-03-04"),)
    assert await storage.read(lambda tx: tx.posture.nudge_states([])) == {}


async def test_reminders_with_zones_default_the_zone(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.settings.set_member_timezone(ALICE, "Asia/Tokyo")
        tx.settings.set_member_timezone(CAROL, "Europe/Paris")  # no reminder
        tx.posture.save_reminder(reminder(ALICE))
        tx.posture.save_reminder(reminder(BOB))

    await storage.write(seed)
    found = await storage.read(lambda tx: tx.posture.reminders_with_zones([ALICE, BOB, CAROL]))
    assert found == {
        ALICE: (reminder(ALICE), "Asia/Tokyo"),
        BOB: (reminder(BOB), DEFAULT_TIMEZONE),
    }
    assert await storage.read(lambda tx: tx.posture.reminders_with_zones([])) == {}


async def test_last_delivery_is_the_latest_local_day(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.posture.last_delivery(ALICE)) is None

    def seed(tx: Transaction) -> None:
        # Saved out of order: the latest day wins, not the latest save or attempt.
        tx.posture.save_delivery(delivery(ALICE, "2024-03-06", at=100))
        tx.posture.save_delivery(delivery(ALICE, "2024-03-04", at=900))
        tx.posture.save_delivery(delivery(ALICE, "2024-03-05", at=500))
        tx.posture.save_delivery(delivery(BOB, "2024-03-09"))

    await storage.write(seed)
    assert await storage.read(lambda tx: tx.posture.last_delivery(ALICE)) == delivery(
        ALICE, "2024-03-06", at=100
    )


async def test_seen_topics_accumulate_per_audience(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.posture.seen_topics(ALICE)) == set()

    def seed(tx: Transaction) -> None:
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
        tx.posture.mark_seen(ALICE, "wall-angels", new_cycle=False)
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)  # again: no error
        tx.posture.mark_seen(GUILD, "hip-hinge", new_cycle=False)

    await storage.write(seed)
    seen = await storage.read(
        lambda tx: (tx.posture.seen_topics(ALICE), tx.posture.seen_topics(GUILD))
    )
    assert seen == ({"chin-tucks", "wall-angels"}, {"hip-hinge"})


async def test_mark_seen_with_a_new_cycle_forgets_the_previous_one(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
        tx.posture.mark_seen(ALICE, "wall-angels", new_cycle=False)
        tx.posture.mark_seen(BOB, "chin-tucks", new_cycle=False)

    await storage.write(seed)
    await storage.write(lambda tx: tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=True))
    seen = await storage.read(
        lambda tx: (tx.posture.seen_topics(ALICE), tx.posture.seen_topics(BOB))
    )
    assert seen == ({"chin-tucks"}, {"chin-tucks"})


# --- posture: server nudges ---------------------------------------------------------


async def test_server_nudge_save_get_replace_and_delete(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.posture.get_server_nudge(GUILD)) is None
    first = nudge(GUILD, 100)
    await storage.write(lambda tx: tx.posture.save_server_nudge(first))
    assert await storage.read(lambda tx: tx.posture.get_server_nudge(GUILD)) == first
    handled = ServerNudge(GUILD, due_at=86_500, last_day="2024-03-04", last_status="sent")
    await storage.write(lambda tx: tx.posture.save_server_nudge(handled))
    assert await storage.read(lambda tx: tx.posture.get_server_nudge(GUILD)) == handled
    await storage.write(lambda tx: tx.posture.delete_server_nudge(GUILD))
    await storage.write(lambda tx: tx.posture.delete_server_nudge(GUILD))  # again: no error
    assert await storage.read(lambda tx: tx.posture.get_server_nudge(GUILD)) is None


async def test_due_server_nudges_are_only_the_due_ones_soonest_first(storage: Storage) -> None:
    def seed(tx: Transaction) -> None:
        tx.posture.save_server_nudge(nudge(GUILD, 300))
        tx.posture.save_server_nudge(nudge(OTHER_GUILD, 100))
        tx.posture.save_server_nudge(nudge(THIRD_GUILD, 301))

    await storage.write(seed)
    due = await storage.write(
        lambda tx: (
            keys(tx.schedule.lease(300, 300, 10, ("channel",))),
            keys(tx.schedule.lease(300, 300, 1, ("channel",))),
            keys(tx.schedule.lease(99, 99, 10, ("channel",))),
        )
    )
    assert due == ([OTHER_GUILD, GUILD], [OTHER_GUILD], [])


async def test_defer_server_nudge_moves_due_later_but_never_earlier(storage: Storage) -> None:
    await storage.write(
        lambda tx: (
            tx.posture.save_server_nudge(nudge(GUILD, 100)),
            tx.posture.save_server_nudge(nudge(OTHER_GUILD, 900)),
        )
    )

    def defer(tx: Transaction) -> None:
        tx.posture.defer_server_nudge(GUILD, 500)
        tx.posture.defer_server_nudge(OTHER_GUILD, 500)
        tx.posture.defer_server_nudge(THIRD_GUILD, 500)  # none: nothing created

    await storage.write(defer)
    found = await storage.read(
        lambda tx: (
            tx.posture.get_server_nudge(GUILD),
            tx.posture.get_server_nudge(OTHER_GUILD),
            tx.posture.get_server_nudge(THIRD_GUILD),
        )
    )
    assert found == (nudge(GUILD, 500), nudge(OTHER_GUILD, 900), None)


# --- privacy ------------------------------------------------------------------------

ALICE_COUNTS = {
    "member_settings": 1,
    "monthly_days": 3,  # March 2024 in each of three servers, kept from the logs
    "backday_logs": 4,
    "member_stats": 2,
    "reminders": 1,
    "nudge_deliveries": 2,
    "topics_seen": 2,
    "backday_reminders": 1,
    "backday_reminder_deliveries": 1,
}


def seed_two_members(tx: Transaction) -> None:
    """Alice has rows in every member table and three servers; Bob has some in one."""
    tx.settings.set_member_timezone(ALICE, "Asia/Tokyo")
    for guild_id, d in ((GUILD, day(0)), (GUILD, day(1)), (OTHER_GUILD, day(0))):
        tx.streaks.insert_log(guild_id, ALICE, d, "rows", NOW)
    tx.streaks.insert_log(THIRD_GUILD, ALICE, day(0), None, NOW)  # a log without a streak row
    tx.streaks.save_stats(GUILD, ALICE, current=2, best=2, total=2, expires_at=None)
    tx.streaks.save_stats(OTHER_GUILD, ALICE, current=1, best=1, total=1, expires_at=None)
    tx.posture.save_reminder(reminder(ALICE, slot_at=100))
    tx.posture.save_delivery(delivery(ALICE, "2024-03-03"))
    tx.posture.save_delivery(delivery(ALICE, "2024-03-04"))
    tx.posture.mark_seen(ALICE, "chin-tucks", new_cycle=False)
    tx.posture.mark_seen(ALICE, "wall-angels", new_cycle=False)
    tx.backday_reminders.save(backday_reminder(ALICE, due_at=150))
    tx.backday_reminders.save_delivery(ReminderDelivery(ALICE, "2024-03-04", "r1", "dm", 90))

    tx.settings.set_member_timezone(BOB, "Europe/Paris")
    tx.streaks.insert_log(GUILD, BOB, day(0), None, NOW)
    tx.streaks.save_stats(GUILD, BOB, current=1, best=1, total=1, expires_at=None)
    tx.posture.save_reminder(reminder(BOB, slot_at=200))
    tx.posture.save_delivery(delivery(BOB, "2024-03-04"))
    tx.posture.mark_seen(BOB, "chin-tucks", new_cycle=False)

    # Server data, which is nobody's member data.
    tx.settings.update_guild_settings(GUILD, timezone="America/Chicago", weekly_target=2)
    tx.posture.save_server_nudge(nudge(GUILD, 300))
    tx.posture.mark_seen(GUILD, "hip-hinge", new_cycle=False)
    tx.state.set_state("tree", "abc")


async def test_export_member_lists_every_member_table_with_only_their_rows(
    storage: Storage,
) -> None:
    await storage.write(seed_two_members)
    exported = await storage.read(lambda tx: tx.privacy.export_member(ALICE))
    assert set(exported) == {spec.table for spec in MEMBER_TABLES}
    for spec in MEMBER_TABLES:
        rows = exported[spec.table]
        assert len(rows) == ALICE_COUNTS[spec.table], spec.table
        assert all(row[spec.column] == ALICE for row in rows), spec.table


async def test_export_of_an_unknown_member_has_every_table_empty(storage: Storage) -> None:
    await storage.write(seed_two_members)
    exported = await storage.read(lambda tx: tx.privacy.export_member(CAROL))
    assert exported == {spec.table: [] for spec in MEMBER_TABLES}


async def test_summarize_member_counts_rows_per_table_and_servers(storage: Storage) -> None:
    await storage.write(seed_two_members)
    alice, bob, carol = await storage.read(
        lambda tx: [tx.privacy.summarize_member(u) for u in (ALICE, BOB, CAROL)]
    )
    assert alice.counts == ALICE_COUNTS
    assert alice.servers == 3  # logs or a streak in GUILD, OTHER_GUILD and THIRD_GUILD
    assert alice.total == sum(ALICE_COUNTS.values())
    assert bob.counts == {
        "member_settings": 1,
        "monthly_days": 1,
        "backday_logs": 1,
        "member_stats": 1,
        "reminders": 1,
        "nudge_deliveries": 1,
        "topics_seen": 1,
        "backday_reminders": 0,
        "backday_reminder_deliveries": 0,
    }
    assert bob.servers == 1
    assert carol.counts == {spec.table: 0 for spec in MEMBER_TABLES}
    assert (carol.servers, carol.total) == (0, 0)


async def test_delete_member_removes_exactly_their_rows(storage: Storage) -> None:
    await storage.write(seed_two_members)
    before = await storage.read(
        lambda tx: (tx.streaks.member_count(GUILD), tx.streaks.member_count(OTHER_GUILD))
    )
    assert before == (2, 1)

    deleted = await storage.write(lambda tx: tx.privacy.delete_member(ALICE))
    assert deleted == ALICE_COUNTS

    def alice_left(tx: Transaction) -> tuple[object, ...]:
        return (
            tx.privacy.summarize_member(ALICE).total,
            tx.privacy.export_member(ALICE),
            tx.settings.member_timezone(ALICE),
            tx.streaks.logged_days(GUILD, ALICE),
            tx.streaks.logged_days(THIRD_GUILD, ALICE),
            tx.streaks.standing_of(GUILD, ALICE),
            tx.streaks.member_guilds(ALICE),
            tx.posture.get_reminder(ALICE),
            tx.posture.last_delivery(ALICE),
            tx.posture.seen_topics(ALICE),
        )

    assert await storage.read(alice_left) == (
        0,
        {spec.table: [] for spec in MEMBER_TABLES},
        None,
        [],
        [],
        None,
        [],
        None,
        None,
        set(),
    )


async def test_delete_member_leaves_other_members_and_server_data_intact(
    storage: Storage,
) -> None:
    await storage.write(seed_two_members)
    await storage.write(lambda tx: tx.privacy.delete_member(ALICE))

    def everything_else(tx: Transaction) -> tuple[object, ...]:
        return (
            tx.settings.member_timezone(BOB),
            tx.streaks.logged_days(GUILD, BOB),
            tx.streaks.standing_of(GUILD, BOB),
            tx.posture.get_reminder(BOB),
            tx.posture.last_delivery(BOB),
            tx.posture.seen_topics(BOB),
            tx.settings.get_guild_settings(GUILD),
            tx.posture.get_server_nudge(GUILD),
            tx.posture.seen_topics(GUILD),
            tx.state.get_state("tree"),
            keys(tx.schedule.lease(10_000, 10_000, 10, ("posture",))),
        )

    assert await storage.write(everything_else) == (
        "Europe/Paris",
        [day(0)],
        RankedStanding(1, Standing(BOB, 1, 1, 1)),  # Alice ranked above Bob until now
        reminder(BOB, slot_at=200),
        delivery(BOB, "2024-03-04"),
        {"chin-tucks"},
        GuildSettings(GUILD, timezone="America/Chicago", weekly_target=2),
        nudge(GUILD, 300),
        {"hip-hinge"},
        "abc",
        [BOB],
    )


async def test_delete_member_drops_them_from_every_leaderboard(storage: Storage) -> None:
    await storage.write(seed_two_members)
    await storage.write(lambda tx: tx.privacy.delete_member(ALICE))
    board = await storage.read(
        lambda tx: (
            tx.streaks.member_count(GUILD),
            tx.streaks.member_count(OTHER_GUILD),
            tx.streaks.leaderboard_rows(GUILD, 10),
            tx.streaks.leaderboard_rows(OTHER_GUILD, 10),
            sorted(tx.streaks.guild_members(GUILD)),
        )
    )
    assert board == (1, 0, [Standing(BOB, 1, 1, 1)], [], [BOB])


async def test_a_delete_in_a_failed_write_is_rolled_back(storage: Storage) -> None:
    await storage.write(seed_two_members)

    def delete_then_fail(tx: Transaction) -> None:
        tx.privacy.delete_member(ALICE)
        raise Boom

    with pytest.raises(Boom):
        await storage.write(delete_then_fail)
    summary = await storage.read(lambda tx: tx.privacy.summarize_member(ALICE))
    assert (summary.counts, summary.servers) == (ALICE_COUNTS, 3)
    assert await storage.read(lambda tx: tx.streaks.member_count(GUILD)) == 2


# --- the schedule and streak reminders ------------------------------------------------


def backday_reminder(user_id: int, *, due_at: int, weekday: int = 6) -> BackdayReminder:
    return BackdayReminder(user_id, weekday, "18:00", due_at, None, None, 10)


async def test_the_schedule_follows_every_kind(storage: Storage) -> None:
    kinds = ("posture", "channel", "backday")
    await storage.write(
        lambda tx: (
            tx.posture.save_reminder(reminder(ALICE, slot_at=300)),
            tx.posture.save_server_nudge(nudge(GUILD, 200)),
            tx.backday_reminders.save(backday_reminder(BOB, due_at=100)),
        )
    )
    due = await storage.write(lambda tx: tx.schedule.lease(1_000, 1_000, 10, kinds))
    assert due == [("backday", BOB), ("channel", GUILD), ("posture", ALICE)]
    assert await storage.read(lambda tx: tx.schedule.next_due_at(kinds)) == 100
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("posture",))) == 300
    assert await storage.write(lambda tx: tx.schedule.lease(150, 150, 10, ("posture",))) == []

    # Moving, deferring and deleting a kind's row moves or removes its schedule row.
    await storage.write(lambda tx: tx.backday_reminders.save(backday_reminder(BOB, due_at=900)))
    await storage.write(lambda tx: tx.posture.defer_reminder(ALICE, 500))
    await storage.write(lambda tx: tx.posture.delete_server_nudge(GUILD))
    due = await storage.write(lambda tx: tx.schedule.lease(1_000, 1_000, 10, kinds))
    assert due == [("posture", ALICE), ("backday", BOB)]
    await storage.write(
        lambda tx: (tx.posture.delete_reminder(ALICE), tx.backday_reminders.delete(BOB))
    )
    assert await storage.read(lambda tx: tx.schedule.next_due_at(kinds)) is None


async def test_the_schedule_leaves_out_kinds_not_asked_for(storage: Storage) -> None:
    await storage.write(lambda tx: tx.backday_reminders.save(backday_reminder(BOB, due_at=100)))
    await storage.write(lambda tx: tx.posture.save_reminder(reminder(ALICE, slot_at=300)))
    assert await storage.write(lambda tx: tx.schedule.lease(1_000, 1_000, 10, ("posture",))) == [
        ("posture", ALICE)
    ]
    assert await storage.write(lambda tx: tx.schedule.lease(1_000, 1_000, 10, ())) == []
    assert await storage.read(lambda tx: tx.schedule.next_due_at(())) is None


async def test_backday_reminders_and_their_deliveries(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.backday_reminders.get(ALICE)) is None
    await storage.write(lambda tx: tx.backday_reminders.save(backday_reminder(ALICE, due_at=5)))
    changed = replace(backday_reminder(ALICE, due_at=7, weekday=4), dm_channel_id=99)
    await storage.write(lambda tx: tx.backday_reminders.save(changed))
    assert await storage.read(lambda tx: tx.backday_reminders.get(ALICE)) == changed

    first = ReminderDelivery(ALICE, "2024-03-04", "n1", "sending", 10)
    later = ReminderDelivery(ALICE, "2024-03-11", "n2", "dm", 20)
    await storage.write(
        lambda tx: (
            tx.backday_reminders.save_delivery(later),
            tx.backday_reminders.save_delivery(first),
        )
    )
    assert await storage.read(lambda tx: tx.backday_reminders.last_delivery(ALICE)) == later
    done = replace(first, status="dm")
    await storage.write(lambda tx: tx.backday_reminders.save_delivery(done))
    assert (
        await storage.read(lambda tx: tx.backday_reminders.get_delivery(ALICE, first.week)) == done
    )
    assert await storage.read(lambda tx: tx.backday_reminders.get_delivery(BOB, first.week)) is None
    assert await storage.write(lambda tx: tx.backday_reminders.delete(ALICE)) is True
    assert await storage.write(lambda tx: tx.backday_reminders.delete(ALICE)) is False


# --- weekly recaps, insights and retention --------------------------------------------


async def test_logs_between_lists_one_servers_logs_in_a_day_range(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        for user_id, offset in ((BOB, 0), (ALICE, 6), (ALICE, 0), (ALICE, 7), (BOB, -1)):
            tx.streaks.insert_log(GUILD, user_id, day(offset), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, ALICE, day(1), None, NOW)

    await storage.write(work)
    found = await storage.read(lambda tx: tx.streaks.logs_between(GUILD, day(0), day(6)))
    assert found == [(ALICE, day(0)), (ALICE, day(6)), (BOB, day(0))]
    assert await storage.read(lambda tx: tx.streaks.logs_between(GUILD, day(8), day(9))) == []


async def test_recaps_save_get_replace_and_delete_with_their_schedule(storage: Storage) -> None:
    assert await storage.read(lambda tx: tx.recaps.get(GUILD)) is None
    first = ServerRecap(GUILD, channel_id=77, due_at=400)
    await storage.write(lambda tx: tx.recaps.save(first))
    assert await storage.read(lambda tx: tx.recaps.get(GUILD)) == first
    assert await storage.write(lambda tx: tx.schedule.lease(1_000, 1_000, 10, ("recap",))) == [
        ("recap", GUILD)
    ]
    sent = replace(first, due_at=900, last_week="2024-03-04", last_status="channel", last_at=5)
    await storage.write(lambda tx: tx.recaps.save(sent))
    assert await storage.read(lambda tx: tx.recaps.get(GUILD)) == sent
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("recap",))) == 900
    assert await storage.write(lambda tx: tx.recaps.delete(GUILD)) is True
    assert await storage.write(lambda tx: tx.recaps.delete(GUILD)) is False
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("recap",))) is None


async def test_a_fresh_store_has_the_retention_job_due_at_once(storage: Storage) -> None:
    run = await storage.read(lambda tx: tx.retention.get())
    assert run == RetentionRun(due_at=0)
    assert await storage.write(lambda tx: tx.schedule.lease(1, 1, 10, ("retention",))) == [
        ("retention", 0)
    ]
    later = RetentionRun(due_at=5_000, last_run_at=10, last_pruned=3)
    await storage.write(lambda tx: tx.retention.save(later))
    assert await storage.read(lambda tx: tx.retention.get()) == later
    assert await storage.read(lambda tx: tx.schedule.next_due_at(("retention",))) == 5_000


async def test_ask_misses_are_counted_per_server_question_and_day(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        for question, offset in (
            ("creatine dosage", 0),
            ("creatine dosage", 0),
            ("creatine dosage", 2),
            ("best shoes", 1),
            ("arms", 2),
            ("old one", -1),
        ):
            tx.insights.record_miss(GUILD, day(offset), question)
        tx.insights.record_miss(OTHER_GUILD, day(0), "elsewhere")
        tx.insights.record_miss(0, day(0), "in a dm")

    await storage.write(work)
    top = await storage.read(lambda tx: tx.insights.top_misses(GUILD, day(0), 10))
    assert top == [AskMiss("creatine dosage", 3), AskMiss("arms", 1), AskMiss("best shoes", 1)]
    assert await storage.read(lambda tx: tx.insights.top_misses(GUILD, day(0), 1)) == top[:1]
    assert await storage.read(lambda tx: tx.insights.miss_totals(GUILD, day(0))) == Totals(3, 5)
    assert await storage.read(lambda tx: tx.insights.miss_totals(GUILD, day(2))) == Totals(2, 2)
    assert await storage.read(lambda tx: tx.insights.top_misses(0, day(0), 10)) == [
        AskMiss("in a dm", 1)
    ]
    assert await storage.read(lambda tx: tx.insights.miss_totals(THIRD_GUILD, day(0))) == Totals(
        0, 0
    )


async def test_entry_opens_are_counted_per_server_entry_and_day(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        for kind, entry_id, offset in (
            ("exercise", "barbell-row", 0),
            ("exercise", "barbell-row", 1),
            ("situation", "after-squats", 1),
            ("posture", "chin-tucks", 1),
            ("situation", "after-squats", 3),
            ("exercise", "barbell-row", -2),
        ):
            tx.insights.record_open(GUILD, day(offset), kind, entry_id)
        tx.insights.record_open(OTHER_GUILD, day(0), "exercise", "pull-up")

    await storage.write(work)
    assert await storage.read(lambda tx: tx.insights.top_opens(GUILD, day(0), 10)) == [
        EntryOpen("exercise", "barbell-row", 2),
        EntryOpen("situation", "after-squats", 2),
        EntryOpen("posture", "chin-tucks", 1),
    ]
    assert await storage.read(lambda tx: tx.insights.open_totals(GUILD, day(0))) == Totals(3, 5)
    assert await storage.read(lambda tx: tx.insights.open_totals(GUILD, day(2))) == Totals(1, 1)


async def test_delivery_outcomes_follow_the_servers_members(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        # Alice's and Bob's nudges follow GUILD, Carol's OTHER_GUILD.
        tx.posture.save_reminder(reminder(ALICE))
        tx.posture.save_reminder(reminder(BOB))
        tx.posture.save_reminder(reminder(CAROL, guild_id=OTHER_GUILD))
        tx.posture.save_delivery(delivery(ALICE, "2024-03-01", "dm", at=100))  # too early
        tx.posture.save_delivery(delivery(ALICE, "2024-03-02", "dm", at=200))
        tx.posture.save_delivery(delivery(ALICE, "2024-03-03", "channel", at=300))
        tx.posture.save_delivery(delivery(BOB, "2024-03-03", "refused", at=300))
        tx.posture.save_delivery(delivery(BOB, "2024-03-04", "dm", at=400))
        tx.posture.save_delivery(delivery(CAROL, "2024-03-04", "failed", at=400))
        tx.posture.save_delivery(delivery(DAVE, "2024-03-04", "dm", at=400))  # opted out
        # Streak reminders count for members with a streak row here, wherever set.
        tx.streaks.save_stats(GUILD, ALICE, current=1, best=1, total=1, expires_at=None)
        tx.streaks.save_stats(GUILD, DAVE, current=0, best=1, total=1, expires_at=None)
        tx.streaks.save_stats(OTHER_GUILD, CAROL, current=1, best=1, total=1, expires_at=None)
        tx.backday_reminders.save(backday_reminder(ALICE, due_at=10))
        tx.backday_reminders.save(backday_reminder(CAROL, due_at=10))
        for user_id, week, status, at in (
            (ALICE, "2024-02-19", "dm", 150),
            (ALICE, "2024-02-26", "safe", 250),
            (DAVE, "2024-02-26", "uncertain", 250),
            (CAROL, "2024-02-26", "dm", 250),
            (ALICE, "2024-02-12", "dm", 50),
        ):
            tx.backday_reminders.save_delivery(ReminderDelivery(user_id, week, "n", status, at))

    await storage.write(work)
    nudges = await storage.read(lambda tx: tx.insights.nudge_outcomes(GUILD, 200))
    assert nudges == {"dm": 2, "channel": 1, "refused": 1}
    reminders = await storage.read(lambda tx: tx.insights.reminder_outcomes(GUILD, 100))
    assert reminders == {"dm": 1, "safe": 1, "uncertain": 1}
    assert await storage.read(lambda tx: tx.insights.posture_members(GUILD)) == 2
    assert await storage.read(lambda tx: tx.insights.reminder_members(GUILD)) == 1
    assert await storage.read(lambda tx: tx.insights.posture_members(THIRD_GUILD)) == 0


async def test_members_logged_and_the_spread_of_current_streaks(storage: Storage) -> None:
    def work(tx: Transaction) -> None:
        tx.streaks.insert_log(GUILD, ALICE, day(0), None, NOW)
        tx.streaks.insert_log(GUILD, ALICE, day(1), None, NOW)
        tx.streaks.insert_log(GUILD, BOB, day(-3), None, NOW)
        tx.streaks.insert_log(GUILD, CAROL, day(2), None, NOW)
        tx.streaks.insert_log(OTHER_GUILD, DAVE, day(2), None, NOW)

    await storage.write(work)
    assert await storage.read(lambda tx: tx.insights.members_logged(GUILD, day(0))) == 2
    assert await storage.read(lambda tx: tx.insights.members_logged(GUILD, day(-7))) == 3
    await seed_stats(
        storage,
        [Standing(ALICE, 3, 3, 9), Standing(BOB, 0, 2, 4), Standing(CAROL, 3, 5, 20)],
    )
    await seed_stats(storage, [Standing(DAVE, 1, 1, 1)], guild_id=OTHER_GUILD)
    assert await storage.read(lambda tx: tx.insights.streak_spread(GUILD)) == {3: 2, 0: 1}
    assert await storage.read(lambda tx: tx.insights.streak_spread(THIRD_GUILD)) == {}


async def test_prune_deletes_only_rows_older_than_the_cutoff_in_bounded_batches(
    storage: Storage,
) -> None:
    cutoff = int(NOW.timestamp())  # Monday 4 March 2024, 12:00 UTC

    def work(tx: Transaction) -> None:
        for offset in (-3, -2, -1, 0, 1):  # days before and after the cutoff's day
            tx.insights.record_miss(GUILD, day(offset), "q")
            tx.insights.record_open(GUILD, day(offset), "exercise", "barbell-row")
        for n, at in enumerate((cutoff - 3, cutoff - 2, cutoff - 1, cutoff, cutoff + 1)):
            tx.posture.save_delivery(delivery(ALICE, f"2024-03-0{n + 1}", "dm", at=at))
            tx.backday_reminders.save_delivery(
                ReminderDelivery(ALICE, f"2024-02-0{n + 1}", "n", "dm", at)
            )

    await storage.write(work)
    assert set(RETAINED) == {
        "ask_misses",
        "entry_opens",
        "nudge_deliveries",
        "backday_reminder_deliveries",
    }
    for table in RETAINED:
        first = await storage.write(lambda tx, t=table: tx.retention.prune(t, cutoff, 2))
        second = await storage.write(lambda tx, t=table: tx.retention.prune(t, cutoff, 2))
        third = await storage.write(lambda tx, t=table: tx.retention.prune(t, cutoff, 2))
        assert (first, second, third) == (2, 1, 0), table
    misses = await storage.read(lambda tx: tx.insights.miss_totals(GUILD, day(-10)))
    assert misses == Totals(1, 2)  # the cutoff's own day and the day after stay
    opens = await storage.read(lambda tx: tx.insights.open_totals(GUILD, day(-10)))
    assert opens == Totals(1, 2)
    kept = await storage.read(lambda tx: tx.posture.get_delivery(ALICE, "2024-03-04"))
    assert kept is not None and kept.attempted_at == cutoff
    assert await storage.read(lambda tx: tx.posture.get_delivery(ALICE, "2024-03-03")) is None
    assert await storage.read(lambda tx: tx.backday_reminders.last_delivery(ALICE)) is not None
    assert (
        await storage.read(lambda tx: tx.backday_reminders.get_delivery(ALICE, "2024-02-03"))
        is None
    )
