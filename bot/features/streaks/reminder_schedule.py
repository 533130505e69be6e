"""When a streak-at-risk reminder is due, and whom it warns: pure, no Discord, no SQL.

A member picks a local weekday (Friday, Saturday or Sunday) and time. Each week has one
slot, at that wall time in the member's zone (daylight-saving gaps and repeats resolved
by `bot.core.wall_time`), and the member gets at most one reminder per week. It warns
only about servers where they hold a streak of at least 1 whose week does not qualify yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import local_date
from bot.core.wall_time import local_instant
from bot.features.streaks.rules import StreakStats, week_of

ReminderDay = Literal["friday", "saturday", "sunday"]
WEEKDAYS: dict[ReminderDay, int] = {"friday": 4, "saturday": 5, "sunday": 6}
DAY_NAMES = {number: name for name, number in WEEKDAYS.items()}
DEFAULT_TIME = "18:00"


def next_reminder(weekday: int, at: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first slot strictly after `after`: `weekday` at wall time `at` in `zone` (UTC)."""
    start = local_date(after, zone) - timedelta(days=1)  # a gap may move a slot past midnight
    for offset in range(15):
        day = start + timedelta(days=offset)
        if day.weekday() == weekday:
            due = local_instant(day, at, zone)
            if due > after:
                return due
    raise AssertionError(f"no weekday {weekday} slot within two weeks of {after}")


def reminder_week(due: datetime, zone: ZoneInfo) -> date:
    """The Monday of the member's week a slot belongs to (at most one reminder per week)."""
    return week_of(local_date(due, zone))


@dataclass(frozen=True, slots=True)
class AtRisk:
    """A server where the member's streak is at risk this week."""

    guild_id: int
    streak: int
    missing: int
    """Back days still to log this week for it to qualify."""


def at_risk(streaks: Iterable[tuple[int, StreakStats]]) -> list[AtRisk]:
    """The servers (id, stats) whose streak of at least 1 this week does not yet keep."""
    return [
        AtRisk(guild_id, stats.current, stats.target - stats.this_week)
        for guild_id, stats in streaks
        if stats.current >= 1 and not stats.this_week_qualifies
    ]
