"""/backday reminder: setting it, and claiming and recording each week's delivery.

Ties the pure reminder schedule to storage with a clock, like the posture service: the
scheduler claims a due reminder (`claim`), the Discord side sends it, and `finish`
records what happened. The claim is written before anything is sent, so a crash
between sending and recording leaves a 'sending' row: the restarted bot sends again
with the same nonce, which Discord drops as a duplicate while it remembers the nonce;
after that window the outcome is unknown and nothing is resent. At most one reminder a
week, across crashes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, local_date
from bot.core.time_of_day import parse_member_time, parse_time
from bot.core.wall_time import is_too_late
from bot.features.streaks.reminder_schedule import (
    DEFAULT_TIME,
    WEEKDAYS,
    AtRisk,
    ReminderDay,
    at_risk,
    next_reminder,
    reminder_week,
)
from bot.features.streaks.rules import streak_stats
from bot.storage import Storage, Transaction
from bot.storage.backday_reminders import BackdayReminder, ReminderDelivery

NONCE_WINDOW = timedelta(minutes=4)
"""How long a resend is safe: Discord checks a nonce "in the past few minutes"."""

Outcome = Literal["dm", "refused", "failed"]


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class ReminderClaim:
    """One reminder to send now."""

    user_id: int
    due_at: int
    week: str
    nonce: str
    at_risk: tuple[AtRisk, ...]
    dm_channel_id: int | None


@dataclass(frozen=True, slots=True)
class ReminderSet:
    reminder: BackdayReminder
    timezone: str
    next_at: datetime


class BackdayReminderService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        timezone_changed: Callable[[int], Awaitable[object]] | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.timezone_changed = timezone_changed
        """Told when setting a reminder recorded the member's timezone (see `set`)."""
        self.wake: Callable[[], None] = lambda: None
        """Called after a change that may make a reminder due sooner (the scheduler's)."""

    async def set(
        self, guild_id: int, user_id: int, day: ReminderDay, time_text: str | None
    ) -> ReminderSet:
        """Turn the reminder on (or change it): `day` at `time_text` (default 18:00) in the
        member's zone. A member without a zone of their own gets this server's, as
        `/posture on` does, so their weeks and their reminder agree. Setting it again
        lifts a refusal recorded after Discord's error 50007."""
        local_time = parse_member_time(time_text or DEFAULT_TIME)
        now = self.clock()

        def work(tx: Transaction) -> tuple[ReminderSet, bool]:
            own = tx.settings.member_timezone(user_id)
            zone = own or tx.settings.get_guild_settings(guild_id).timezone
            if own is None:
                tx.settings.set_member_timezone(user_id, zone)
            old = tx.backday_reminders.get(user_id)
            due = next_reminder(WEEKDAYS[day], parse_time(local_time), ZoneInfo(zone), now)
            reminder = BackdayReminder(
                user_id=user_id,
                weekday=WEEKDAYS[day],
                local_time=local_time,
                due_at=_seconds(due),
                dm_channel_id=old.dm_channel_id if old else None,
                dm_refused_at=None,
                set_at=_seconds(now),
            )
            tx.backday_reminders.save(reminder)
            return ReminderSet(reminder, zone, due), own is None

        result, zone_recorded = await self.storage.write(work)
        self.wake()
        if zone_recorded and self.timezone_changed is not None:
            await self.timezone_changed(user_id)
        return result

    async def off(self, user_id: int) -> bool:
        return await self.storage.write(lambda tx: tx.backday_reminders.delete(user_id))

    async def defer(self, user_id: int, delay: timedelta) -> None:
        """Push a reminder that could not be handled back by `delay`, so it cannot spin."""
        at = _seconds(self.clock() + delay)

        def work(tx: Transaction) -> None:
            reminder = tx.backday_reminders.get(user_id)
            if reminder is not None and reminder.due_at < at:
                tx.backday_reminders.save(replace(reminder, due_at=at))

        await self.storage.write(work)

    async def claim(self, user_id: int) -> ReminderClaim | None:
        """Claim the member's due reminder, or None if there is nothing to send now."""
        now = self.clock()
        return await self.storage.write(lambda tx: self._claim(tx, user_id, now))

    def _claim(self, tx: Transaction, user_id: int, now: datetime) -> ReminderClaim | None:
        reminder = tx.backday_reminders.get(user_id)
        if reminder is None or reminder.due_at > _seconds(now):
            return None
        zone = ZoneInfo(tx.settings.reminder_zone(user_id))
        slot = _instant(reminder.due_at)
        week = reminder_week(slot, zone).isoformat()

        def record(status: str, nonce: str = "") -> None:
            tx.backday_reminders.save_delivery(
                ReminderDelivery(user_id, week, nonce, status, _seconds(now))
            )

        def advance() -> None:
            upcoming = next_reminder(
                reminder.weekday, parse_time(reminder.local_time), zone, max(slot, now)
            )
            tx.backday_reminders.save(replace(reminder, due_at=_seconds(upcoming)))

        existing = tx.backday_reminders.get_delivery(user_id, week)
        risky = tuple(self._at_risk(tx, user_id, zone, now))
        if existing is not None:
            recent = now - _instant(existing.attempted_at) < NONCE_WINDOW
            if existing.status == "sending" and recent:
                # Claimed before a crash: resend under the same nonce.
                return ReminderClaim(
                    user_id, reminder.due_at, week, existing.nonce, risky, reminder.dm_channel_id
                )
            if existing.status == "sending":
                record("uncertain", existing.nonce)
            advance()
            return None
        if is_too_late(slot, now):
            record("skipped")
        elif reminder.dm_refused_at is not None:
            record("refused")
        elif not risky:
            record("safe")
        else:
            nonce = f"{user_id:x}w{week.replace('-', '')}"  # at most 16 + 1 + 8 = 25
            record("sending", nonce)
            return ReminderClaim(
                user_id, reminder.due_at, week, nonce, risky, reminder.dm_channel_id
            )
        advance()
        return None

    def _at_risk(
        self, tx: Transaction, user_id: int, zone: ZoneInfo, now: datetime
    ) -> list[AtRisk]:
        today = local_date(now, zone)
        streaks = []
        for guild_id in tx.streaks.member_guilds(user_id):
            _zone, target = tx.settings.member_context(guild_id, user_id)
            days = tx.streaks.logged_days(guild_id, user_id)
            streaks.append((guild_id, streak_stats(days, today, target)))
        return at_risk(sorted(streaks))

    async def finish(
        self, claim: ReminderClaim, outcome: Outcome, dm_channel_id: int | None
    ) -> None:
        """Record what happened to a claimed reminder and schedule the next week's."""
        now = self.clock()

        def work(tx: Transaction) -> None:
            delivery = tx.backday_reminders.get_delivery(claim.user_id, claim.week)
            if delivery is not None:
                tx.backday_reminders.save_delivery(
                    replace(delivery, status=outcome, attempted_at=_seconds(now))
                )
            reminder = tx.backday_reminders.get(claim.user_id)
            if reminder is None:  # turned off meanwhile
                return
            if dm_channel_id is not None:
                reminder = replace(reminder, dm_channel_id=dm_channel_id)
            if outcome == "refused":
                reminder = replace(reminder, dm_refused_at=_seconds(now))
            if reminder.due_at == claim.due_at:
                zone = ZoneInfo(tx.settings.reminder_zone(claim.user_id))
                upcoming = next_reminder(
                    reminder.weekday,
                    parse_time(reminder.local_time),
                    zone,
                    max(_instant(claim.due_at), now),
                )
                reminder = replace(reminder, due_at=_seconds(upcoming))
            tx.backday_reminders.save(reminder)

        await self.storage.write(work)

    async def status(self, user_id: int) -> tuple[BackdayReminder | None, str]:
        """The member's reminder (or None) and the zone it follows."""
        return await self.storage.read(
            lambda tx: (tx.backday_reminders.get(user_id), tx.settings.reminder_zone(user_id))
        )
