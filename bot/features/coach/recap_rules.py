"""The weekly recap's schedule and figures: pure functions of dates, logs and a zone.

A recap is due every Monday at the server's `nudge_time` (else 09:00) in the server's
zone, and is about the week before it: Monday to Sunday by calendar date. Wall times
become instants through `core.wall_time.local_instant`, so the hour stays put across
daylight-saving changes (a time the change skips goes out at the end of the gap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import local_date
from bot.core.wall_time import local_instant
from bot.features.streaks import streak_stats, week_of

WEEK = timedelta(days=7)
DEFAULT_RECAP_TIME = "09:00"
TOP = 3


def next_recap(at: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first Monday `at` (wall time in `zone`) strictly after `after`."""
    day = week_of(local_date(after, zone))  # this week's Monday; then the next ones
    while True:
        instant = local_instant(day, at, zone)
        if instant > after:
            return instant
        day += WEEK


def recapped_week(slot: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week a recap due at `slot` is about: the one before the slot's."""
    return week_of(local_date(slot, zone)) - WEEK


@dataclass(frozen=True, slots=True)
class Achiever:
    user_id: int
    days: int
    """Back days logged in the week."""


@dataclass(frozen=True, slots=True)
class NewBest:
    user_id: int
    best: int
    """The best streak (weeks) reached during the week."""


@dataclass(frozen=True, slots=True)
class TopStreak:
    rank: int
    user_id: int
    current: int


@dataclass(frozen=True, slots=True)
class WeekRecap:
    week: date
    """The Monday."""
    through: date
    """The last day counted: the Sunday, or today for a week in progress."""
    target: int
    total_days: int
    members_logged: int
    hit_target: tuple[Achiever, ...]
    new_bests: tuple[NewBest, ...]
    top: tuple[TopStreak, ...]
    in_progress: bool = False
    """A preview of this week so far (`through` is today), not a finished week."""


def summarize_week(
    week: date,
    through: date,
    target: int,
    week_logs: Sequence[tuple[int, date]],
    histories: Mapping[int, Sequence[date]],
    top: Sequence[TopStreak],
    *,
    in_progress: bool = False,
) -> WeekRecap:
    """The recap of `week` up to `through`.

    `week_logs` are the (member, day) logs of the week; `histories` every logged day of
    each member who met `target` in it (only they can have raised their best streak: a
    week raises the best only by qualifying). A member's best went up when it is higher
    at the end of `through` than at the end of the week before.
    """
    per_member: dict[int, int] = {}
    for user_id, day in week_logs:
        if week <= day <= through:
            per_member[user_id] = per_member.get(user_id, 0) + 1
    achievers = sorted(
        (Achiever(u, n) for u, n in per_member.items() if n >= target),
        key=lambda a: (-a.days, a.user_id),
    )
    bests = []
    before = week - timedelta(days=1)
    for achiever in achievers:
        days = histories.get(achiever.user_id, ())
        now_best = streak_stats(days, through, target).best
        if now_best > streak_stats(days, before, target).best:
            bests.append(NewBest(achiever.user_id, now_best))
    bests.sort(key=lambda b: (-b.best, b.user_id))
    return WeekRecap(
        week=week,
        through=through,
        target=target,
        total_days=sum(per_member.values()),
        members_logged=len(per_member),
        hit_target=tuple(achievers),
        new_bests=tuple(bests),
        top=tuple(top),
        in_progress=in_progress,
    )
