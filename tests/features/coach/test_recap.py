"""/coach recap: the weekly post, on real SQLite with a pinned clock, through the one
scheduler. A fake channel keeps what was posted and, like Discord with enforce_nonce,
drops a post whose nonce it has already seen.

Across both 2026 London clock changes, at the week boundary far east of UTC, after a
crash mid-send (restarted inside and outside Discord's nonce window), and after a late
start. The Discord side is tested end to end in tests/e2e/test_coach_e2e.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.replies import EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.features.coach.recap import RecapClaim, RecapService, recap_nonce
from bot.features.coach.recap_delivery import RecapJob
from bot.features.coach.recap_rules import (
    Achiever,
    NewBest,
    TopStreak,
    WeekRecap,
    next_recap,
    recapped_week,
    summarize_week,
)
from bot.features.coach.replies import recap_embed
from bot.features.streaks.service import StreakService
from bot.runtime.scheduler import Scheduler
from bot.storage.recaps import ServerRecap
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from tests.clock import FakeClock

GUILD = 1001
CHANNEL = 5555
LONDON = ZoneInfo("Europe/London")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def utc(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=UTC)  # type: ignore[misc]


# --- the pure schedule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "zone", "after", "expected"),
    [
        # From a Friday: the next Monday, 09:00 GMT.
        (time(9), LONDON, utc(2026, 3, 20, 12), utc(2026, 3, 23, 9)),
        # Exactly at the slot: strictly after, so next week's, now 09:00 BST (08:00 UTC).
        (time(9), LONDON, utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)),
        # Back to GMT after 25 October 2026.
        (time(9), LONDON, utc(2026, 10, 19, 8), utc(2026, 10, 26, 9)),
        # A Monday before its time: that same day.
        (time(18, 30), LONDON, utc(2026, 11, 16, 7), utc(2026, 11, 16, 18, 30)),
        # Monday 09:00 in Auckland is Sunday 20:00 UTC (NZDT, +13).
        (time(9), AUCKLAND, utc(2026, 11, 20), utc(2026, 11, 22, 20)),
    ],
)
def test_next_recap_is_the_wall_time_on_a_monday(
    at: time, zone: ZoneInfo, after: datetime, expected: datetime
) -> None:
    due = next_recap(at, zone, after)
    assert due == expected
    local = due.astimezone(zone)
    assert (local.weekday(), local.time()) == (0, at)


def test_a_recap_is_about_the_week_before_its_local_monday() -> None:
    assert recapped_week(utc(2026, 3, 30, 8), LONDON) == date(2026, 3, 23)
    # Sunday 20:00 UTC is already Monday in Auckland: the week that just ended there.
    assert recapped_week(utc(2026, 11, 22, 20), AUCKLAND) == date(2026, 11, 16)
    assert recapped_week(utc(2026, 11, 22, 20), LONDON) == date(2026, 11, 9)


def test_the_nonce_is_one_per_server_and_week_within_discords_25_characters() -> None:
    biggest = 2**63 - 1
    nonce = recap_nonce(biggest, date(2026, 12, 28))
    assert len(nonce) == 25
    assert nonce != recap_nonce(biggest, date(2027, 1, 4))
    assert recap_nonce(GUILD, date(2026, 3, 23)) == "r3e920260323"


def test_new_bests_are_members_whose_best_rose_during_the_week() -> None:
    week = date(2026, 3, 23)
    tuesday = week + timedelta(days=1)

    def weekly(weeks_before: int) -> list[date]:
        return [tuesday - timedelta(weeks=n) for n in range(weeks_before + 1)]

    histories = {
        1: weekly(3),  # a 4-week run, best 3 before: a new best
        # A 2-week run now, after a 5-week one long ago: not a new best.
        2: [*weekly(1), *(tuesday - timedelta(weeks=n) for n in range(10, 15))],
        3: [tuesday],  # a first week: 0 -> 1 is a new best
    }
    logs = [(user, tuesday) for user in histories] + [(4, tuesday)]
    recap = summarize_week(week, week + timedelta(days=6), 1, logs, histories, ())
    assert [a.user_id for a in recap.hit_target] == [1, 2, 3, 4]
    assert [(b.user_id, b.best) for b in recap.new_bests] == [(1, 4), (3, 1)]
    assert (recap.total_days, recap.members_logged, recap.in_progress) == (4, 4, False)


def test_a_recap_of_thousands_fits_discords_limits() -> None:
    week = date(2026, 3, 23)
    members = range(100_000_000_000_000_000, 100_000_000_000_002_000)
    recap = WeekRecap(
        week=week,
        through=week + timedelta(days=6),
        target=2,
        total_days=6_000,
        members_logged=2_000,
        hit_target=tuple(Achiever(m, 3) for m in members),
        new_bests=tuple(NewBest(m, 12) for m in members),
        top=tuple(TopStreak(1, m, 40) for m in members[:3]),
    )
    embed = recap_embed(recap)
    assert embed.limit_problems() == []
    assert len(embed.fields) <= 25 and embed.total_chars() <= EMBED_TOTAL_LIMIT
    target, bests, top = (f.value for f in embed.fields)
    assert len(target) <= FIELD_VALUE_LIMIT and target.endswith("more")
    assert len(bests) <= FIELD_VALUE_LIMIT and bests.endswith("more")
    shown = target.count("<@")
    assert f"and {2_000 - shown} more" in target
    assert top.count("<@") == 3


# --- the service, through the scheduler ----------------------------------------------


@dataclass
class Post:
    claim: RecapClaim
    at: datetime


class FakeChannel:
    """Keeps every recap posted; drops a resent nonce (Discord's enforce_nonce)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.posts: list[Post] = []
        self.nonces: set[str] = set()
        self.forbidden = False

    async def post(self, claim: RecapClaim) -> str:
        if self.forbidden:
            return "failed"
        if claim.nonce not in self.nonces:
            self.nonces.add(claim.nonce)
            self.posts.append(Post(claim, self.clock()))
        return "channel"


@dataclass
class World:
    db: Database
    clock: FakeClock
    recaps: RecapService
    streaks: StreakService
    channel: FakeChannel
    scheduler: Scheduler

    def restart(self) -> World:
        """A new process over the same database: nothing carried over in memory."""
        return build(self.db, self.clock, self.channel)

    async def at(self, when: datetime) -> int:
        self.clock.now = when
        return await self.scheduler.run_due()

    async def row(self) -> ServerRecap:
        found = await SqliteStorage(self.db).read(lambda tx: tx.recaps.get(GUILD))
        assert found is not None
        return found

    async def log(self, user_id: int, when: datetime) -> None:
        self.clock.now = when
        result = await self.streaks.log(GUILD, user_id)
        assert result.logged

    async def server(self, **settings: str | int) -> None:
        await self.streaks.change_server_settings(GUILD, **settings)  # type: ignore[arg-type]


def build(db: Database, clock: FakeClock, channel: FakeChannel) -> World:
    storage = SqliteStorage(db)
    recaps = RecapService(storage, clock)
    scheduler = Scheduler(storage, clock, [RecapJob(recaps, channel.post)])  # type: ignore[arg-type]
    return World(db, clock, recaps, StreakService(storage, clock), channel, scheduler)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database.open(tmp_path / "backbone.db")
    clock = FakeClock(utc(2026, 3, 20, 12))
    try:
        built = build(db, clock, FakeChannel(clock))
        await built.server(timezone="Europe/London")  # unless a test says otherwise
        yield built
    finally:
        await db.close()


def due(row: ServerRecap) -> datetime:
    return datetime.fromtimestamp(row.due_at, UTC)


async def test_recaps_go_out_every_monday_across_both_clock_changes(world: World) -> None:
    status = await world.recaps.set_channel(GUILD, CHANNEL)
    assert status.next_at == utc(2026, 3, 23, 9)  # Monday 09:00 GMT (no nudge_time set)
    await world.log(1, utc(2026, 3, 24, 18))  # a Tuesday, in the week of 23 March

    assert await world.at(utc(2026, 3, 23, 8, 59)) == 0
    await world.at(utc(2026, 3, 23, 9))
    first = world.channel.posts[-1]
    assert (first.claim.week, first.claim.channel_id) == (date(2026, 3, 16), CHANNEL)
    row = await world.row()
    assert due(row) == utc(2026, 3, 30, 8)  # 09:00 BST: clocks went forward on the 29th
    assert (row.last_week, row.last_status) == ("2026-03-16", "channel")

    await world.at(utc(2026, 3, 30, 8))
    second = world.channel.posts[-1].claim
    assert second.week == date(2026, 3, 23)
    assert (second.recap.total_days, [a.user_id for a in second.recap.hit_target]) == (1, [1])
    assert [(b.user_id, b.best) for b in second.recap.new_bests] == [(1, 1)]
    assert second.recap.top == (TopStreak(1, 1, 1),)

    # Autumn: from 09:00 BST (08:00 UTC) on 19 October to 09:00 GMT on the 26th.
    world.clock.now = utc(2026, 10, 16)
    await world.recaps.set_channel(GUILD, CHANNEL)  # set again: due from "now"
    assert due(await world.row()) == utc(2026, 10, 19, 8)
    await world.at(utc(2026, 10, 19, 8))
    assert world.channel.posts[-1].claim.week == date(2026, 10, 12)
    assert due(await world.row()) == utc(2026, 10, 26, 9)
    await world.at(utc(2026, 10, 26, 9))
    assert world.channel.posts[-1].claim.week == date(2026, 10, 19)
    assert len(world.channel.posts) == 4


async def test_the_week_boundary_is_the_servers_monday(world: World) -> None:
    """In Auckland (UTC+13 in November) the recap at Monday 09:00 counts Sunday's back
    day and not one logged early on Monday: both are in the members' own local days."""
    await world.server(timezone="Pacific/Auckland", weekly_target=2)
    world.clock.now = utc(2026, 11, 18)
    await world.recaps.set_channel(GUILD, CHANNEL)
    assert due(await world.row()) == utc(2026, 11, 22, 20)  # Monday 23 Nov, 09:00 NZDT
    await world.log(1, utc(2026, 11, 17, 22))  # Wednesday 18 Nov, 11:00 local
    await world.log(1, utc(2026, 11, 22, 10))  # Sunday 22 Nov, 23:00 local
    await world.log(2, utc(2026, 11, 22, 10))
    await world.log(2, utc(2026, 11, 22, 19))  # Monday 23 Nov, 08:00 local: next week

    await world.at(utc(2026, 11, 22, 20))
    (post,) = world.channel.posts
    recap = post.claim.recap
    assert (recap.week, recap.through) == (date(2026, 11, 16), date(2026, 11, 22))
    assert (recap.total_days, recap.members_logged) == (3, 2)
    assert [(a.user_id, a.days) for a in recap.hit_target] == [(1, 2)]  # target 2
    embed = recap_embed(recap)
    assert embed.title == "📊 Weekly recap: Mon 16 Nov to Sun 22 Nov"
    assert embed.fields[0].value == "<@1>"


async def test_a_crash_after_sending_never_posts_the_week_twice(world: World) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)
    world.clock.now = utc(2026, 3, 23, 9)
    claim = await world.recaps.claim(GUILD)
    assert claim is not None
    await world.channel.post(claim)  # posted, then the process died before recording it
    assert (await world.row()).last_status == "sending"

    # Restarted within Discord's nonce window: sent again, and dropped as a duplicate.
    restarted = world.restart()
    await restarted.at(utc(2026, 3, 23, 9, 3))
    assert len(world.channel.nonces) == 1 and len(world.channel.posts) == 1
    row = await restarted.row()
    assert (row.last_week, row.last_status) == ("2026-03-16", "channel")
    assert due(row) == utc(2026, 3, 30, 8)

    # Moving the recap to another channel the same Monday does not post that week again.
    await restarted.recaps.set_channel(GUILD, CHANNEL + 1)
    await restarted.at(utc(2026, 3, 23, 9, 30))
    assert len(world.channel.posts) == 1


async def test_a_crash_restarted_after_the_nonce_window_is_uncertain_not_resent(
    world: World,
) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)
    world.clock.now = utc(2026, 3, 23, 9)
    assert await world.recaps.claim(GUILD) is not None  # died before (or while) sending
    restarted = world.restart()
    await restarted.at(utc(2026, 3, 23, 9, 10))
    assert world.channel.posts == []
    row = await restarted.row()
    assert (row.last_week, row.last_status) == ("2026-03-16", "uncertain")
    assert due(row) == utc(2026, 3, 30, 8)
    await restarted.at(utc(2026, 3, 30, 8))  # the next week goes out as usual
    assert [p.claim.week for p in world.channel.posts] == [date(2026, 3, 23)]


@pytest.mark.parametrize(
    ("late", "posted"),
    [(timedelta(hours=1, minutes=59), True), (timedelta(hours=2), False)],
)
async def test_after_downtime_a_late_recap_goes_out_under_two_hours(
    world: World, late: timedelta, posted: bool
) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)
    await world.at(utc(2026, 3, 23, 9) + late)  # the bot was down at 09:00
    assert bool(world.channel.posts) is posted
    row = await world.row()
    assert (row.last_week, row.last_status) == ("2026-03-16", "channel" if posted else "skipped")
    assert due(row) == utc(2026, 3, 30, 8)


async def test_a_failed_post_is_recorded_and_next_week_tries_again(world: World) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)
    world.channel.forbidden = True
    await world.at(utc(2026, 3, 23, 9))
    row = await world.row()
    assert (row.last_status, due(row)) == ("failed", utc(2026, 3, 30, 8))
    world.channel.forbidden = False
    await world.at(utc(2026, 3, 30, 8))
    assert len(world.channel.posts) == 1


async def test_the_recap_follows_the_nudge_time_and_zone_and_stops_when_off(
    world: World,
) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)
    await world.server(timezone="America/New_York", nudge_time="07:15")
    await world.recaps.reschedule(GUILD)
    assert due(await world.row()) == utc(2026, 3, 23, 11, 15)  # 07:15 EDT
    status = await world.recaps.status(GUILD)
    assert (status.time, status.timezone) == ("07:15", "America/New_York")
    assert await world.recaps.stop(GUILD) is True
    assert await world.recaps.stop(GUILD) is False
    assert await world.at(utc(2026, 3, 23, 12)) == 0
    assert (await world.recaps.status(GUILD)).recap is None


async def test_the_preview_is_this_week_so_far(world: World) -> None:
    await world.log(1, utc(2026, 3, 16, 9))  # last week
    await world.log(1, utc(2026, 3, 17, 9))  # this week: Monday 16 to Friday 20 March
    await world.log(2, utc(2026, 3, 20, 9))
    world.clock.now = utc(2026, 3, 20, 12)
    preview = await world.recaps.preview(GUILD)
    assert (preview.week, preview.through, preview.in_progress) == (
        date(2026, 3, 16),
        date(2026, 3, 20),
        True,
    )
    assert (preview.total_days, preview.members_logged) == (3, 2)
    embed = recap_embed(preview)
    assert embed.title.startswith("📊 This week so far: Mon 16 Mar to Fri 20 Mar")
    assert "Preview" in embed.footer


async def test_figures_that_cannot_be_read_fail_the_week_without_spinning(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.recaps.set_channel(GUILD, CHANNEL)

    def broken(*args: object, **kwargs: object) -> WeekRecap:
        raise RuntimeError("the figures are broken")

    monkeypatch.setattr(RecapService, "_week_recap", staticmethod(broken))
    assert await world.at(utc(2026, 3, 23, 9)) == 1
    row = await world.row()
    assert (row.last_week, row.last_status, due(row)) == (
        "2026-03-16",
        "failed",
        utc(2026, 3, 30, 8),
    )
    assert world.channel.posts == []
