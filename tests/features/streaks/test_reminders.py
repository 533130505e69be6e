"""/backday reminder: the weekly streak-at-risk DM, on real SQLite with a pinned clock.

Driven through the bot's one scheduler with a fake sender that keeps what it was asked
to send and drops a resent nonce, as Discord does with enforce_nonce.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserFacingError
from bot.features.streaks.reminder_delivery import BackdayReminders
from bot.features.streaks.reminder_replies import reminder_dm
from bot.features.streaks.reminder_schedule import (
    AtRisk,
    at_risk,
    next_reminder,
    reminder_week,
)
from bot.features.streaks.reminders import (
    NONCE_WINDOW,
    BackdayReminderService,
    Outcome,
    ReminderClaim,
)
from bot.features.streaks.rules import streak_stats
from bot.features.streaks.service import StreakService
from bot.runtime.scheduler import Scheduler
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock

GUILD, OTHER = 1001, 1002
ME = 7
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=UTC)  # type: ignore[misc]


# --- the pure schedule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekday", "at", "zone", "after", "expected"),
    [
        # Sunday 18:00 in London, from a Wednesday: that week's Sunday.
        (6, time(18), LONDON, utc(2026, 11, 18, 12), utc(2026, 11, 22, 18)),
        # Exactly at the slot: strictly after, so next week's.
        (6, time(18), LONDON, utc(2026, 11, 22, 18), utc(2026, 11, 29, 18)),
        # Friday 09:00 in New York across the autumn change (EDT -> EST on 1 Nov 2026).
        (4, time(9), NEW_YORK, utc(2026, 10, 31, 0), utc(2026, 11, 6, 14)),
        (4, time(9), NEW_YORK, utc(2026, 10, 28, 0), utc(2026, 10, 30, 13)),
        # Sunday 01:30 in London on 29 March 2026 does not exist: the end of the gap.
        (6, time(1, 30), LONDON, utc(2026, 3, 27), utc(2026, 3, 29, 1, 0)),
        # Sunday 01:30 in London on 25 October 2026 happens twice: the first one.
        (6, time(1, 30), LONDON, utc(2026, 10, 23), utc(2026, 10, 25, 0, 30)),
        # Saturday 23:59 at the year's end.
        (5, time(23, 59), LONDON, utc(2026, 12, 30), utc(2027, 1, 2, 23, 59)),
    ],
)
def test_next_reminder_is_the_wall_time_on_that_weekday(
    weekday: int, at: time, zone: ZoneInfo, after: datetime, expected: datetime
) -> None:
    due = next_reminder(weekday, at, zone, after)
    assert due == expected
    assert due.astimezone(zone).weekday() == weekday


def test_the_week_of_a_reminder_is_its_local_monday() -> None:
    # 23:30 UTC on Sunday 22 Nov is Monday 23 Nov in Auckland: a new week there.
    assert reminder_week(utc(2026, 11, 22, 23, 30), LONDON) == date(2026, 11, 16)
    assert reminder_week(utc(2026, 11, 22, 23, 30), ZoneInfo("Pacific/Auckland")) == date(
        2026, 11, 23
    )


def test_only_a_streak_whose_week_does_not_keep_yet_is_at_risk() -> None:
    wednesday = date(2026, 11, 18)
    last_two_weeks = [date(2026, 11, 3), date(2026, 11, 10)]
    risky = streak_stats(last_two_weeks, wednesday, 2)  # target 2, no days this week
    assert risky.current == 0  # one day a week does not keep a target of 2...
    risky = streak_stats([*last_two_weeks, date(2026, 11, 4), date(2026, 11, 11)], wednesday, 2)
    safe = streak_stats([*last_two_weeks, wednesday], wednesday, 1)
    none = streak_stats([], wednesday, 1)
    assert at_risk([(GUILD, risky), (OTHER, safe), (3, none)]) == [AtRisk(GUILD, 2, 2)]


# --- the service through the scheduler ------------------------------------------------


class ProcessDied(BaseException):
    """Like a kill: not an Exception, so nothing on the way catches and records it."""


@dataclass
class FakeSender:
    """Keeps every reminder; drops a resent nonce; refuses members in `closed` (50007)."""

    clock: FakeClock
    sent: list[tuple[ReminderClaim, datetime]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    crash_after_send: bool = False

    async def to_member(self, claim: ReminderClaim) -> tuple[Outcome, int | None]:
        if claim.user_id in self.closed:
            return "refused", None
        if claim.nonce not in self.nonces:
            self.nonces.add(claim.nonce)
            self.sent.append((claim, self.clock()))
        if self.crash_after_send:
            raise ProcessDied("the process died before recording the send")
        return "dm", 5000 + claim.user_id


@dataclass
class World:
    storage: SqliteStorage
    clock: FakeClock
    streaks: StreakService
    reminders: BackdayReminderService
    sender: FakeSender
    scheduler: Scheduler

    @classmethod
    def start(cls, storage: SqliteStorage, clock: FakeClock, sender: FakeSender) -> World:
        """A process over the database: nothing carried over in memory."""
        streaks = StreakService(storage, clock)
        reminders = BackdayReminderService(
            storage, clock, timezone_changed=streaks.recompute_member
        )
        job = BackdayReminders(reminders, sender)  # type: ignore[arg-type]
        return cls(storage, clock, streaks, reminders, sender, Scheduler(storage, clock, [job]))

    async def at(self, when: datetime) -> int:
        self.clock.now = when
        return await self.scheduler.run_due()

    async def deliveries(self) -> list[tuple[str, str]]:
        rows = await self.storage.database.conn.execute_fetchall(
            "SELECT week, status FROM backday_reminder_deliveries WHERE user_id = ? ORDER BY week",
            (ME,),
        )
        return [(row[0], row[1]) for row in rows]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    storage = await SqliteStorage.open(tmp_path / "backbone.db")
    clock = FakeClock(utc(2026, 11, 9, 12))  # Monday
    try:
        await storage.write(
            lambda tx: tx.settings.update_guild_settings(GUILD, timezone="Europe/London")
        )
        yield World.start(storage, clock, FakeSender(clock))
    finally:
        await storage.close()


async def streak_of_two_weeks(world: World, guild: int = GUILD) -> None:
    """Log Tuesday of the week of 2 Nov and of 9 Nov: a 2-week streak, safe this week."""
    world.clock.now = utc(2026, 11, 3, 12)
    await world.streaks.log(guild, ME)
    world.clock.now = utc(2026, 11, 10, 12)
    await world.streaks.log(guild, ME)


async def test_setting_the_reminder_takes_the_server_zone_and_answers_when(world: World) -> None:
    world.clock.now = utc(2026, 11, 18, 12)
    result = await world.reminders.set(GUILD, ME, "sunday", None)
    assert (result.timezone, result.reminder.local_time) == ("Europe/London", "18:00")
    assert result.next_at == utc(2026, 11, 22, 18)
    assert await world.scheduler.next_due_at() == int(result.next_at.timestamp())
    again = await world.reminders.set(GUILD, ME, "friday", "7:30pm")
    assert again.next_at == utc(2026, 11, 20, 19, 30)


async def test_a_bad_time_is_refused_with_what_to_type(world: World) -> None:
    with pytest.raises(UserFacingError, match="HH:MM"):
        await world.reminders.set(GUILD, ME, "sunday", "teatime")
    assert await world.scheduler.next_due_at() is None


async def test_a_streak_at_risk_gets_one_dm_naming_the_server_and_the_days(world: World) -> None:
    await streak_of_two_weeks(world)
    world.clock.now = utc(2026, 11, 18, 12)  # Wednesday of a week with nothing logged
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    assert await world.at(utc(2026, 11, 22, 17, 59)) == 0
    assert await world.at(utc(2026, 11, 22, 18, 0)) == 1
    ((claim, sent_at),) = world.sender.sent
    assert sent_at == utc(2026, 11, 22, 18, 0)
    assert claim.at_risk == (AtRisk(GUILD, 2, 1),)
    assert claim.nonce == f"{ME:x}w20261116" and len(claim.nonce) <= 25
    message = reminder_dm(claim, {GUILD: "Iron Temple"}).embed
    assert message is not None and "**Iron Temple**" in message.description
    assert "1 more back day" in message.description
    # Once a week: nothing more until next Sunday.
    assert await world.at(utc(2026, 11, 22, 19, 0)) == 0
    assert await world.deliveries() == [("2026-11-16", "dm")]
    assert await world.scheduler.next_due_at() == int(utc(2026, 11, 29, 18).timestamp())


async def test_no_dm_when_nothing_is_at_risk(world: World) -> None:
    await streak_of_two_weeks(world)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    assert await world.at(utc(2026, 11, 15, 18, 0)) == 1  # this week already qualifies
    assert world.sender.sent == []
    assert await world.deliveries() == [("2026-11-09", "safe")]
    # Without a streak at all there is nothing to keep either.
    await world.at(utc(2026, 11, 29, 18, 0))  # two weeks missed: the streak lapsed
    assert world.sender.sent == []


async def test_a_crash_after_sending_resends_under_the_same_nonce_only_in_the_window(
    world: World,
) -> None:
    await streak_of_two_weeks(world)
    world.clock.now = utc(2026, 11, 18, 12)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    world.sender.crash_after_send = True
    with pytest.raises(ProcessDied):
        await world.at(utc(2026, 11, 22, 18, 0))
    assert await world.deliveries() == [("2026-11-16", "sending")]

    # A restart within the nonce window sends again under the same nonce: Discord drops it.
    restarted = World.start(world.storage, world.clock, world.sender)
    world.sender.crash_after_send = False
    assert await restarted.at(utc(2026, 11, 22, 18, 3)) == 1
    assert len(world.sender.sent) == 1
    assert await world.deliveries() == [("2026-11-16", "dm")]


async def test_a_claim_older_than_the_nonce_window_is_not_resent(world: World) -> None:
    await streak_of_two_weeks(world)
    world.clock.now = utc(2026, 11, 18, 12)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    world.sender.crash_after_send = True
    with pytest.raises(ProcessDied):
        await world.at(utc(2026, 11, 22, 18, 0))
    world.sender.crash_after_send = False
    world.sender.nonces.clear()  # Discord has forgotten the nonce by now
    restarted = World.start(world.storage, world.clock, world.sender)
    late = utc(2026, 11, 22, 18, 0) + NONCE_WINDOW + timedelta(seconds=1)
    assert await restarted.at(late) == 1
    assert len(world.sender.sent) == 1, "sent twice in one week"
    assert await world.deliveries() == [("2026-11-16", "uncertain")]


async def test_after_downtime_a_late_reminder_goes_out_under_two_hours_only(
    world: World,
) -> None:
    await streak_of_two_weeks(world)
    world.clock.now = utc(2026, 11, 18, 12)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    assert await world.at(utc(2026, 11, 22, 19, 59)) == 1  # 1 h 59 late: sent
    assert len(world.sender.sent) == 1
    world.clock.now = utc(2026, 11, 23, 12)
    await world.streaks.log(GUILD, ME)  # keep the streak alive
    await world.streaks.log(GUILD, ME, "yesterday")
    assert await world.at(utc(2026, 11, 29, 20, 0)) == 1  # 2 h late: skipped
    assert len(world.sender.sent) == 1
    assert (await world.deliveries())[-1] == ("2026-11-23", "skipped")


async def test_closed_dms_stop_reminders_until_set_again(world: World) -> None:
    await streak_of_two_weeks(world)
    world.clock.now = utc(2026, 11, 18, 12)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    world.sender.closed.add(ME)
    await world.at(utc(2026, 11, 22, 18, 0))  # at risk, but Discord refuses the DM
    assert await world.deliveries() == [("2026-11-16", "refused")]
    world.sender.closed.clear()
    world.clock.now = utc(2026, 11, 22, 19, 0)
    await world.streaks.log(GUILD, ME)  # the streak survives the week
    await world.at(utc(2026, 11, 29, 18, 0))  # at risk again: not even tried
    assert world.sender.sent == []
    assert (await world.deliveries())[-1] == ("2026-11-23", "refused")
    world.clock.now = utc(2026, 11, 29, 19, 0)
    await world.streaks.log(GUILD, ME)
    world.clock.now = utc(2026, 12, 1, 12)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")  # setting it again lifts it
    await world.at(utc(2026, 12, 6, 18, 0))
    assert len(world.sender.sent) == 1
    assert (await world.deliveries())[-1] == ("2026-11-30", "dm")


async def test_reminders_keep_local_time_across_the_clock_change(world: World) -> None:
    """Sunday 01:30 in London: skipped by the March change (goes at 02:00 BST, 01:00 UTC)
    and repeated by the October one (goes once, at the first 01:30)."""
    world.clock.now = utc(2026, 3, 10, 12)
    await world.streaks.log(GUILD, ME)  # the week of 9 March; at risk the week after
    world.clock.now = utc(2026, 3, 17, 12)
    await world.streaks.log(GUILD, ME, "yesterday")
    world.clock.now = utc(2026, 3, 24, 12)
    await world.reminders.set(GUILD, ME, "sunday", "01:30")
    assert await world.at(utc(2026, 3, 29, 0, 59)) == 0
    assert await world.at(utc(2026, 3, 29, 1, 0)) == 1
    assert [at for _claim, at in world.sender.sent] == [utc(2026, 3, 29, 1, 0)]

    world.clock.now = utc(2026, 10, 6, 12)
    await world.streaks.log(GUILD, ME)
    world.clock.now = utc(2026, 10, 13, 12)
    await world.streaks.log(GUILD, ME)  # weeks of 5 and 12 October; 19 October at risk
    world.clock.now = utc(2026, 10, 21, 12)
    await world.reminders.set(GUILD, ME, "sunday", "01:30")
    await world.at(utc(2026, 10, 25, 0, 30))  # the first 01:30 (BST)
    await world.at(utc(2026, 10, 25, 1, 30))  # the second 01:30 (GMT): not again
    october = [at for claim, at in world.sender.sent if claim.week == "2026-10-19"]
    assert october == [utc(2026, 10, 25, 0, 30)]


async def test_turning_it_off_stops_it(world: World) -> None:
    await streak_of_two_weeks(world)
    await world.reminders.set(GUILD, ME, "sunday", "18:00")
    assert await world.reminders.off(ME) is True
    assert await world.reminders.off(ME) is False
    assert await world.at(utc(2026, 11, 22, 18, 0)) == 0
    assert world.sender.sent == []
    assert await world.scheduler.next_due_at() is None
