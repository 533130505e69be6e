"""Posture nudges over a real SQLite file with a pinned clock: the schedule across
daylight-saving days and far timezones, restarts after downtime, a crash between
sending and recording, refused DMs, topic rotation, snoozes and the channel nudge.

Discord is replaced by `FakeDiscord`, which keeps what was sent and, like Discord with
`enforce_nonce`, drops a message whose nonce it has already seen. The Discord side of
a delivery is tested end to end in tests/e2e.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserFacingError
from bot.features.posture.jobs import ChannelNudges, MemberNudges
from bot.features.posture.schedule import Days
from bot.features.posture.service import NONCE_WINDOW, Claim, Outcome, PostureService, ServerClaim
from bot.features.streaks.service import StreakService
from bot.runtime.scheduler import CLAIM_BATCH, RETRY_AFTER_ERROR, Scheduler
from bot.storage.posture import Reminder
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.posture import SqlitePosture
from bot.storage.sqlite.schedule import SqliteSchedule
from bot.storage.sqlite.settings import SqliteSettings
from tests.clock import FakeClock

GUILD = 1001
TOPICS = [f"topic-{n:02d}" for n in range(35)]
CHANNEL = 5555


def utc(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=UTC)  # type: ignore[misc]


@dataclass(frozen=True)
class Sent:
    user_id: int
    where: str
    topic_id: str
    kind: str
    at: datetime


class FakeDiscord:
    """Keeps every nudge; drops a resent nonce (Discord's enforce_nonce); refuses DMs to
    `closed` members (50007) and raises for `broken` ones."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[Sent] = []
        self.nonces: set[str] = set()
        self.closed: set[int] = set()
        self.broken: set[int] = set()
        self.dm_attempts: list[int] = []

    async def deliver(self, claim: Claim) -> tuple[Outcome, int | None]:
        if claim.user_id in self.broken:
            raise RuntimeError("Discord is having a bad day")
        if not claim.dms_refused:
            self.dm_attempts.append(claim.user_id)
            if claim.user_id not in self.closed:
                self._post(claim.user_id, "dm", claim.topic_id, claim.kind, claim.nonce)
                return "dm", 90000 + claim.user_id
        if claim.fallback_channel_id is None:
            return "refused", claim.dm_channel_id
        self._post(
            claim.user_id, f"#{claim.fallback_channel_id}", claim.topic_id, claim.kind, claim.nonce
        )
        return "channel", claim.dm_channel_id

    async def deliver_server(self, claim: ServerClaim) -> str:
        self._post(claim.guild_id, f"#{claim.channel_id}", claim.topic_id, "server", claim.nonce)
        return "channel"

    def _post(self, user_id: int, where: str, topic_id: str, kind: str, nonce: str) -> None:
        if nonce in self.nonces:
            return
        self.nonces.add(nonce)
        self.sent.append(Sent(user_id, where, topic_id, kind, self.clock()))

    def to(self, user_id: int) -> list[Sent]:
        return [s for s in self.sent if s.user_id == user_id]


@dataclass
class World:
    db: Database
    clock: FakeClock
    nudges: PostureService
    discord: FakeDiscord
    dispatcher: Scheduler
    streaks: StreakService

    def restart(self) -> World:
        """A new process over the same database: nothing carried over in memory."""
        storage = SqliteStorage(self.db)
        streaks = StreakService(storage, self.clock)
        nudges = PostureService(
            storage, lambda: TOPICS, self.clock, timezone_changed=streaks.recompute_member
        )
        dispatcher = posture_scheduler(storage, nudges, self.discord, self.clock)
        return World(self.db, self.clock, nudges, self.discord, dispatcher, streaks)

    async def at(self, when: datetime) -> int:
        """Move the clock to `when` and deliver whatever is due."""
        self.clock.now = when
        return await self.dispatcher.run_due()

    async def opt_in(
        self, user_id: int, time: str, zone: str, days: Days = "every day"
    ) -> Reminder:
        reminder, _zone = await self.nudges.opt_in(
            GUILD, user_id, time_text=time, timezone_text=zone, days=days
        )
        return reminder

    async def reminder(self, user_id: int) -> Reminder:
        found = await self.db.read(lambda conn: SqlitePosture(conn).get_reminder(user_id))
        assert found is not None
        return found

    async def deliveries(self, user_id: int) -> list[tuple[str, str]]:
        rows = await self.db.conn.execute_fetchall(
            "SELECT local_day, status FROM nudge_deliveries WHERE user_id = ? ORDER BY local_day",
            (user_id,),
        )
        return [(row[0], row[1]) for row in rows]


def posture_scheduler(
    storage: SqliteStorage, nudges: PostureService, fake: FakeDiscord, clock: FakeClock
) -> Scheduler:
    """The bot's one scheduler with the posture jobs, delivering to the fake Discord."""
    jobs = [MemberNudges(nudges, fake.deliver), ChannelNudges(nudges, fake.deliver_server)]
    return Scheduler(storage, clock, jobs)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database.open(tmp_path / "backbone.db")
    clock = FakeClock(utc(2026, 11, 18, 12, 0))
    try:
        storage = SqliteStorage(db)
        streaks = StreakService(storage, clock)
        nudges = PostureService(
            storage, lambda: TOPICS, clock, timezone_changed=streaks.recompute_member
        )
        fake = FakeDiscord(clock)
        dispatcher = posture_scheduler(storage, nudges, fake, clock)
        yield World(db, clock, nudges, fake, dispatcher, streaks)
    finally:
        await db.close()


async def run_days(world: World, user_id: int, count: int) -> list[datetime]:
    """Jump from one due instant to the next `count` times; return when each nudge went."""
    for _ in range(count):
        due = (await world.reminder(user_id)).due_at
        await world.at(datetime.fromtimestamp(due, UTC))
    return [s.at for s in world.discord.to(user_id)]


# --- opting in -----------------------------------------------------------------------


async def test_opt_in_takes_the_server_defaults(world: World) -> None:
    await world.db.write(
        lambda conn: SqliteSettings(conn).update_guild_settings(
            GUILD, timezone="Europe/London", default_reminder_time="08:15"
        )
    )
    reminder, zone = await world.nudges.opt_in(
        GUILD, 7, time_text=None, timezone_text=None, days=None
    )
    assert (reminder.local_time, zone, reminder.days) == ("08:15", "Europe/London", "every day")
    # 12:00 UTC on 18 November is past 08:15 in London: the first nudge is tomorrow.
    assert reminder.due_at == int(utc(2026, 11, 19, 8, 15).timestamp())
    assert (
        await world.db.read(lambda conn: SqliteSettings(conn).member_timezone(7)) == "Europe/London"
    )

    # Opting in again changes only what is given; the rest is kept.
    again, zone = await world.nudges.opt_in(
        GUILD, 7, time_text="7pm", timezone_text=None, days="weekdays"
    )
    assert (again.local_time, zone, again.days) == ("19:00", "Europe/London", "weekdays")
    assert again.due_at == int(utc(2026, 11, 18, 19, 0).timestamp())


@pytest.mark.parametrize(
    ("time", "zone", "message"),
    [
        ("25:00", None, "The hour must be 0 to 23"),
        ("lunch", None, 'I can\'t read "lunch" as a time'),
        (None, "Mars/Olympus", "is not a timezone I know"),
    ],
)
async def test_bad_options_are_explained_and_change_nothing(
    world: World, time: str | None, zone: str | None, message: str
) -> None:
    with pytest.raises(UserFacingError, match=message):
        await world.nudges.opt_in(GUILD, 7, time_text=time, timezone_text=zone, days=None)
    assert await world.db.read(lambda conn: SqlitePosture(conn).get_reminder(7)) is None


async def test_a_mistyped_timezone_is_understood(world: World) -> None:
    _reminder, zone = await world.nudges.opt_in(
        GUILD, 7, time_text=None, timezone_text="Europe/Londn", days=None
    )
    assert zone == "Europe/London"


async def test_a_member_timezone_moves_their_streak_weeks(world: World) -> None:
    backdays = world.streaks
    # Sunday 23:30 in Auckland is Sunday 10:30 UTC: logged in UTC it is the same week...
    world.clock.now = utc(2026, 11, 22, 10, 30)
    await backdays.log(GUILD, 7)
    world.clock.now = utc(2026, 11, 22, 11, 30)  # Monday 00:30 in Auckland
    stats = await backdays.stats(GUILD, 7)
    assert stats is not None and stats.this_week == 1
    await world.opt_in(7, "08:00", "Pacific/Auckland")
    stats = await backdays.stats(GUILD, 7)
    assert stats is not None
    assert stats.this_week == 0  # ...but in Auckland it is already a new week
    row = await world.db.conn.execute_fetchall(
        "SELECT current_streak FROM member_stats WHERE user_id = 7"
    )
    assert [tuple(r) for r in row] == [(stats.current,)]


# --- the schedule across daylight saving and far timezones ----------------------------


@pytest.mark.parametrize(
    ("zone", "time", "start", "expected"),
    [
        pytest.param(  # spring forward: 02:30 does not exist on 8 March
            "America/New_York",
            "02:30",
            utc(2026, 3, 7, 0, 0),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)],
            id="new-york-spring-gap",
        ),
        pytest.param(  # fall back: 01:30 happens twice on 1 November, nudged once
            "America/New_York",
            "01:30",
            utc(2026, 10, 31, 0, 0),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
            id="new-york-fall-repeat",
        ),
        pytest.param(
            "America/New_York",
            "09:00",
            utc(2026, 3, 7, 0, 0),
            [utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 13, 0), utc(2026, 3, 9, 13, 0)],
            id="new-york-spring-wall-clock-kept",
        ),
        pytest.param(
            "Europe/London",
            "01:30",
            utc(2026, 3, 28, 0, 0),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)],
            id="london-spring-gap",
        ),
        pytest.param(
            "Europe/London",
            "01:30",
            utc(2026, 10, 24, 0, 0),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
            id="london-fall-repeat",
        ),
        pytest.param(  # UTC+14: 07:00 local is 17:00 UTC the day before
            "Pacific/Kiritimati",
            "07:00",
            utc(2026, 11, 18, 12, 0),
            [utc(2026, 11, 18, 17, 0), utc(2026, 11, 19, 17, 0)],
            id="utc-plus-14",
        ),
        pytest.param(  # UTC-11: 21:00 local is 08:00 UTC the day after
            "Pacific/Pago_Pago",
            "21:00",
            utc(2026, 11, 18, 12, 0),
            [utc(2026, 11, 19, 8, 0), utc(2026, 11, 20, 8, 0)],
            id="utc-minus-11",
        ),
        pytest.param(  # midnight across a month end and a year end
            "UTC",
            "00:00",
            utc(2026, 12, 30, 12, 0),
            [utc(2026, 12, 31, 0, 0), utc(2027, 1, 1, 0, 0), utc(2027, 1, 2, 0, 0)],
            id="midnight-year-end",
        ),
        pytest.param(
            "Europe/Berlin",
            "23:59",
            utc(2026, 2, 27, 12, 0),
            [utc(2026, 2, 27, 22, 59), utc(2026, 2, 28, 22, 59), utc(2026, 3, 1, 22, 59)],
            id="month-end-february",
        ),
    ],
)
async def test_nudges_keep_the_local_wall_clock(
    world: World, zone: str, time: str, start: datetime, expected: list[datetime]
) -> None:
    world.clock.now = start
    await world.opt_in(7, time, zone)
    assert await run_days(world, 7, len(expected)) == expected
    days = [day for day, _status in await world.deliveries(7)]
    local = [at.astimezone(ZoneInfo(zone)).date().isoformat() for at in expected]
    assert days == local  # one delivery record per local day, never two


async def test_the_repeated_hour_fires_once(world: World) -> None:
    world.clock.now = utc(2026, 10, 31, 12, 0)
    await world.opt_in(7, "01:30", "America/New_York")
    assert await world.at(utc(2026, 11, 1, 5, 30)) == 1  # 01:30 EDT
    assert await world.at(utc(2026, 11, 1, 6, 30)) == 0  # 01:30 EST, the same wall time
    assert len(world.discord.to(7)) == 1


async def test_weekdays_only_skips_the_weekend_in_local_time(world: World) -> None:
    # Kiritimati's Monday 07:00 is Sunday 17:00 UTC: judged by their calendar, it counts.
    world.clock.now = utc(2026, 11, 20, 12, 0)  # Friday noon UTC = Saturday 02:00 local
    await world.opt_in(7, "07:00", "Pacific/Kiritimati", "weekdays")
    await world.opt_in(8, "18:00", "Europe/London", "weekdays")
    await world.at(utc(2026, 11, 20, 18, 0))  # Friday evening in London
    sent = await run_days(world, 7, 2)
    assert sent == [utc(2026, 11, 22, 17, 0), utc(2026, 11, 23, 17, 0)]  # local Mon, Tue
    assert [s.at for s in world.discord.to(8)] == [utc(2026, 11, 20, 18, 0)]
    assert (await world.reminder(8)).due_at == int(utc(2026, 11, 23, 18, 0).timestamp())


# --- restarts after downtime ----------------------------------------------------------


@pytest.mark.parametrize(
    ("late", "sent"),
    [
        (timedelta(minutes=1), True),
        (timedelta(hours=1, minutes=59), True),
        (timedelta(hours=2), False),
        (timedelta(hours=7), False),
    ],
)
async def test_after_downtime_a_nudge_under_two_hours_late_goes_out(
    world: World, late: timedelta, sent: bool
) -> None:
    await world.opt_in(7, "13:00", "UTC")
    due = utc(2026, 11, 18, 13, 0)
    restarted = world.restart()
    assert await restarted.at(due + late) == 1
    assert len(world.discord.to(7)) == (1 if sent else 0)
    assert await world.deliveries(7) == [("2026-11-18", "dm" if sent else "skipped")]
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 19, 13, 0).timestamp())


async def test_days_of_downtime_skip_once_and_resume(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    restarted = world.restart()
    await restarted.at(utc(2026, 11, 21, 14, 0))  # down from Wednesday to Saturday
    assert world.discord.to(7) == []
    assert await world.deliveries(7) == [("2026-11-18", "skipped")]
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 22, 13, 0).timestamp())
    await restarted.at(utc(2026, 11, 22, 13, 0))
    assert len(world.discord.to(7)) == 1


async def test_a_crash_between_sending_and_recording_never_sends_twice(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    world.clock.now = utc(2026, 11, 18, 13, 0)
    (claim,) = await world.nudges.claim_many([7], retry_unreadable=RETRY_AFTER_ERROR)
    await world.discord.deliver(claim)  # sent... and the process dies before `finish`
    assert len(world.discord.to(7)) == 1

    restarted = world.restart()
    assert await restarted.at(utc(2026, 11, 18, 13, 1)) == 1
    # The restarted bot sent again with the same nonce: Discord dropped the duplicate.
    assert len(world.discord.to(7)) == 1
    assert await world.deliveries(7) == [("2026-11-18", "dm")]
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 19, 13, 0).timestamp())


async def test_a_crash_older_than_the_nonce_window_is_not_resent(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    world.clock.now = utc(2026, 11, 18, 13, 0)
    (claim,) = await world.nudges.claim_many([7], retry_unreadable=RETRY_AFTER_ERROR)
    await world.discord.deliver(claim)
    world.discord.nonces.clear()  # Discord no longer remembers the nonce

    restarted = world.restart()
    await restarted.at(utc(2026, 11, 18, 13, 0) + NONCE_WINDOW + timedelta(seconds=1))
    assert len(world.discord.to(7)) == 1  # not sent again: at most one a day
    assert await world.deliveries(7) == [("2026-11-18", "uncertain")]
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 19, 13, 0).timestamp())


async def test_reopting_in_the_same_day_does_not_nudge_twice(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    await world.at(utc(2026, 11, 18, 13, 0))
    await world.opt_in(7, "15:00", "UTC")  # a later time the same day
    await world.at(utc(2026, 11, 18, 15, 0))
    assert len(world.discord.to(7)) == 1
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 19, 15, 0).timestamp())


# --- refused DMs ---------------------------------------------------------------------


async def test_a_refused_dm_is_never_retried_until_posture_on(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    world.discord.closed.add(7)
    await world.at(utc(2026, 11, 18, 13, 0))
    assert world.discord.dm_attempts == [7]
    assert await world.deliveries(7) == [("2026-11-18", "refused")]
    await world.at(utc(2026, 11, 19, 13, 0))
    await world.at(utc(2026, 11, 20, 13, 0))
    assert world.discord.dm_attempts == [7]  # no DM requests after the refusal
    status = await world.nudges.status(GUILD, 7)
    assert status.reminder is not None and status.reminder.dm_refused_at is not None
    assert status.last is not None and status.last.status == "refused"

    world.discord.closed.clear()  # they opened their DMs and opted in again
    await world.opt_in(7, "13:00", "UTC")
    await world.at(utc(2026, 11, 21, 13, 0))
    assert world.discord.dm_attempts == [7, 7]
    assert [s.where for s in world.discord.to(7)] == ["dm"]


async def test_with_a_nudge_channel_a_refused_member_is_nudged_there(world: World) -> None:
    await world.db.write(
        lambda conn: SqliteSettings(conn).update_guild_settings(GUILD, nudge_channel_id=CHANNEL)
    )
    await world.opt_in(7, "13:00", "UTC")
    world.discord.closed.add(7)
    await world.at(utc(2026, 11, 18, 13, 0))
    await world.at(utc(2026, 11, 19, 13, 0))
    assert [s.where for s in world.discord.to(7)] == [f"#{CHANNEL}", f"#{CHANNEL}"]
    assert world.discord.dm_attempts == [7]
    assert [status for _day, status in await world.deliveries(7)] == ["channel", "channel"]


# --- the dispatcher keeps going -------------------------------------------------------


async def test_one_failing_send_does_not_stop_the_others(world: World) -> None:
    for user in (7, 8, 9):
        await world.opt_in(user, "13:00", "UTC")
    world.discord.broken.add(8)
    assert await world.at(utc(2026, 11, 18, 13, 0)) == 3
    assert [s.user_id for s in world.discord.sent] in ([7, 9], [9, 7])
    assert await world.deliveries(8) == [("2026-11-18", "failed")]
    assert (await world.reminder(8)).due_at == int(utc(2026, 11, 19, 13, 0).timestamp())


async def test_a_row_that_cannot_be_claimed_is_deferred_not_spun_on(world: World) -> None:
    for user in (7, 8, 9):
        await world.opt_in(user, "13:00", "UTC")
    await world.db.write(
        lambda conn: conn.execute("UPDATE reminders SET local_time = 'garbage' WHERE user_id = 7")
    )
    assert await world.at(utc(2026, 11, 18, 13, 0)) == 3
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 18, 13, 5).timestamp())
    # Claimed in the same batch, the others are not held up by it.
    assert sorted(s.user_id for s in world.discord.sent) == [8, 9]


async def test_a_batch_of_members_in_many_zones_gets_one_nudge_each(world: World) -> None:
    # Local times that all fall at 13:00 UTC on Wednesday (Apia's on Thursday there).
    zones = [
        ("UTC", "13:00", "2026-11-18"),
        ("Europe/London", "13:00", "2026-11-18"),
        ("America/New_York", "08:00", "2026-11-18"),
        ("Asia/Tokyo", "22:00", "2026-11-18"),
        ("Pacific/Apia", "02:00", "2026-11-19"),
    ]
    members = range(1, 3 * CLAIM_BATCH)
    for user in members:
        zone, local_time, _day = zones[user % len(zones)]
        await world.opt_in(user, local_time, zone)
    assert await world.at(utc(2026, 11, 18, 13, 0)) == len(members)
    assert sorted(s.user_id for s in world.discord.sent) == list(members)
    assert await world.at(utc(2026, 11, 18, 13, 0)) == 0
    for user in members:
        assert await world.deliveries(user) == [(zones[user % len(zones)][2], "dm")]


async def test_the_dispatcher_wakes_for_a_sooner_nudge(world: World) -> None:
    world.nudges.wake = world.dispatcher.wake
    world.dispatcher.start(delay=0)
    try:
        await asyncio.sleep(0.05)  # asleep: nothing is scheduled
        world.clock.now = utc(2026, 11, 18, 12, 59, 59)
        await world.opt_in(7, "13:00", "UTC")  # due in a second of the pinned clock
        world.clock.now = utc(2026, 11, 18, 13, 0)
        world.dispatcher.wake()
        for _ in range(200):
            if world.discord.to(7):
                break
            await asyncio.sleep(0.01)
        assert len(world.discord.to(7)) == 1
    finally:
        await world.dispatcher.stop()


# --- rotation and snoozing ------------------------------------------------------------


async def test_topics_rotate_without_repeats_until_all_are_seen(world: World) -> None:
    await world.opt_in(7, "13:00", "UTC")
    await run_days(world, 7, len(TOPICS) + 1)
    topics = [s.topic_id for s in world.discord.to(7)]
    assert sorted(topics[: len(TOPICS)]) == sorted(TOPICS)
    assert len(topics) == len(TOPICS) + 1  # and the next cycle has begun


async def test_members_get_different_orders(world: World) -> None:
    for user in (7, 8):
        await world.opt_in(user, "13:00", "UTC")
    await run_days(world, 7, 5)
    first_five = {user: [s.topic_id for s in world.discord.to(user)] for user in (7, 8)}
    assert first_five[7] != first_five[8]


async def test_snooze_sends_the_same_topic_an_hour_later_and_keeps_the_schedule(
    world: World,
) -> None:
    await world.opt_in(7, "13:00", "UTC")
    await world.at(utc(2026, 11, 18, 13, 0))
    (first,) = world.discord.to(7)
    at = await world.nudges.snooze(7, first.topic_id, timedelta(hours=1))
    assert at == utc(2026, 11, 18, 14, 2) - timedelta(minutes=2)
    assert await world.at(utc(2026, 11, 18, 13, 59)) == 0
    await world.at(utc(2026, 11, 18, 14, 0))
    snoozed = world.discord.to(7)[1]
    assert (snoozed.topic_id, snoozed.kind) == (first.topic_id, "snooze")
    assert (await world.reminder(7)).due_at == int(utc(2026, 11, 19, 13, 0).timestamp())
    await world.at(utc(2026, 11, 18, 15, 0))
    assert len(world.discord.to(7)) == 2


async def test_snoozing_after_opting_out_does_nothing(world: World) -> None:
    assert await world.nudges.snooze(7, TOPICS[0], timedelta(hours=1)) is None


# --- the server-wide channel nudge ----------------------------------------------------


async def test_the_channel_nudge_posts_once_a_day(world: World) -> None:
    settings = await world.db.write(
        lambda conn: SqliteSettings(conn).update_guild_settings(
            GUILD, nudge_channel_id=CHANNEL, nudge_time="09:00", timezone="Europe/Paris"
        )
    )
    due = await world.nudges.configure_server(settings)
    assert due == utc(2026, 11, 19, 8, 0)
    await world.at(utc(2026, 11, 19, 8, 0))
    await world.at(utc(2026, 11, 19, 8, 30))
    await world.nudges.configure_server(settings)  # re-saving settings the same day
    await world.at(utc(2026, 11, 19, 9, 0))
    await world.at(utc(2026, 11, 20, 8, 0))
    posts = world.discord.to(GUILD)
    assert [(p.where, p.at) for p in posts] == [
        (f"#{CHANNEL}", utc(2026, 11, 19, 8, 0)),
        (f"#{CHANNEL}", utc(2026, 11, 20, 8, 0)),
    ]
    assert posts[0].topic_id != posts[1].topic_id

    stopped = await world.db.write(
        lambda conn: SqliteSettings(conn).update_guild_settings(GUILD, nudge_time=None)
    )
    assert await world.nudges.configure_server(stopped) is None
    await world.at(utc(2026, 11, 21, 8, 0))
    assert len(world.discord.to(GUILD)) == 2


# --- storage: the due lookups use their indexes ---------------------------------------


def _plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> str:
    return "\n".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


async def test_finding_due_rows_searches_the_due_index(world: World) -> None:
    statements: list[str] = []

    def trace(conn: sqlite3.Connection) -> list[str]:
        conn.set_trace_callback(statements.append)
        try:
            SqliteSchedule(conn).lease(0, 0, 10, ("posture", "channel"))
            SqliteSchedule(conn).next_due_at(("posture", "channel"))
        finally:
            conn.set_trace_callback(None)
        return [_plan(conn, sql, ()) for sql in statements]

    plans = await world.db.read(trace)
    assert len(plans) == 3  # the due batch, then the soonest of each kind
    for plan in plans:
        assert "USING" in plan and "INDEX" in plan, plan
        assert "SCAN" not in plan, plan


def test_nonce_fits_discords_25_characters() -> None:
    biggest = 2**64 - 1
    assert len(f"{biggest:x}.{date(2026, 12, 31).isoformat().replace('-', '')}") <= 25
