"""Daily posture nudges: pure schedule arithmetic, no Discord, no SQL and no clock.

A member who opts in picks a local wall-clock time, an IANA zone and either "every day"
or "weekdays" (Monday to Friday in their own calendar). Each due local date has one
*slot*: the UTC instant its wall time happens, and the member gets at most one nudge
per slot, so at most one per local day.

Daylight-saving changes are resolved by `bot.core.wall_time` (a skipped time fires at
the end of the gap, a repeated one at its first occurrence), which also sets how late a
nudge may go out after downtime (`LATE_LIMIT`); a later one is skipped and the schedule
moves on to the next slot.

Nudge topics rotate without repeats: each member walks their own stable shuffle of the
knowledge base's posture topics, and a new cycle starts once they have seen them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import local_date
from bot.core.wall_time import local_instant

Days = Literal["every day", "weekdays"]
DAYS_CHOICES: tuple[Days, ...] = ("every day", "weekdays")

SNOOZE = timedelta(hours=1)
"""How long "snooze" puts off a nudge."""

# Enough to reach the next due date from the day before `after`'s local date, even
# from a Friday evening to Monday with weekdays only.
_SEARCH_DAYS = 10


def is_due_day(day: date, days: Days) -> bool:
    """Whether a member on the `days` schedule gets a nudge on their local date `day`."""
    if days == "every day":
        return True
    if days == "weekdays":
        return day.weekday() < 5
    raise ValueError(f"days must be one of {DAYS_CHOICES}, got {days!r}")


def next_due(at: time, zone: ZoneInfo, days: Days, after: datetime) -> datetime:
    """The first slot strictly after `after` (aware), as a UTC instant.

    Slots never go backwards from one date to the next, so the earliest due date whose
    slot is after `after` gives the earliest slot. The search starts the day before
    `after`'s local date: a gap across midnight moves that day's slot into `after`'s
    date, and checking one extra day is cheaper than relying on it landing no later
    than `after`.
    """
    start = local_date(after, zone) - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if is_due_day(day, days):
            due = local_instant(day, at, zone)
            if due > after:
                return due
    raise AssertionError(f"no {days!r} slot within {_SEARCH_DAYS} days of {after}")


def nudge_day(due: datetime, at: time, zone: ZoneInfo) -> date:
    """The member's local date a slot belongs to, for "at most one nudge per local day".

    That is the local date of `due` itself: a repeated time fires on its own date, and a
    skipped one moves forward only to the end of its gap, which in today's zones is on the
    same date. The one exception is a gap that crosses midnight (Pacific/Apia skipped all
    of 2011-12-30): the slot then lands on the next date but belongs to the skipped one.
    """
    day = local_date(due, zone)
    previous = day - timedelta(days=1)
    if local_instant(day, at, zone) != due and local_instant(previous, at, zone) == due:
        return previous
    return day


def _rank(seed: int, topic_id: str) -> bytes:
    # blake2b rather than hash(): str hashes are salted per process, and the order
    # must survive restarts.
    return hashlib.blake2b(f"{seed}:{topic_id}".encode(), digest_size=8).digest()


def next_topic(topic_ids: Sequence[str], seen: Collection[str], seed: int) -> tuple[str, bool]:
    """The topic to nudge about next, and whether it starts a new cycle.

    Each `seed` (one per member) orders the topics its own stable way, so members do not
    all get the same nudge on the same day. The answer is the first topic in that order
    not in `seen`. Once every current topic is in `seen` it is the first topic in the
    order and True: forget the seen set, then mark this one. Ids in `seen` that are no
    longer topics do not count.
    """
    if not topic_ids:
        raise ValueError("there are no topics to choose from")
    order = sorted(topic_ids, key=lambda topic_id: (_rank(seed, topic_id), topic_id))
    for topic_id in order:
        if topic_id not in seen:
            return topic_id, False
    return order[0], True
