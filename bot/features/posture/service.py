"""Posture nudges: opting in and out, and claiming and recording each delivery.

Ties the pure schedule (`schedule`) to storage with an injectable clock. Sending is
not done here: the dispatcher claims due nudges (`claim_many`), the Discord side sends
them, and `finish_many` records what happened. The claim is written before anything is sent, so a
crash between sending and recording leaves a 'sending' row behind: the restarted bot
sends again with the same nonce, which Discord drops as a duplicate while it remembers
the nonce (a few minutes). After that window the outcome is unknown and the nudge is
not sent again: at most one nudge per member per local day.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.errors import UserFacingError
from bot.core.time_of_day import parse_member_time, parse_time
from bot.core.timezones import resolve_timezone
from bot.core.wall_time import is_too_late
from bot.features.posture.schedule import DAYS_CHOICES, Days, next_due, next_topic, nudge_day
from bot.storage import Storage, Transaction
from bot.storage.posture import (
    Delivery,
    DeliveryOutcome,
    NudgeState,
    PostureStore,
    Reminder,
    ServerNudge,
    TopicSeen,
)
from bot.storage.settings import GuildSettings

log = logging.getLogger(__name__)

NONCE_WINDOW = timedelta(minutes=4)
"""How long a resend is safe: Discord checks a nonce "in the past few minutes"."""

Outcome = Literal["dm", "channel", "refused", "failed"]


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _next_slot(reminder: Reminder, zone: ZoneInfo, after: datetime) -> Reminder:
    """The reminder moved on to its first regular slot after `after` (a pending snooze
    stays, and is still due first if it is sooner)."""
    days: Days = reminder.days  # type: ignore[assignment]
    slot_at = _seconds(next_due(parse_time(reminder.local_time), zone, days, after))
    snooze_at = reminder.snooze_at
    due_at = slot_at if snooze_at is None else min(slot_at, snooze_at)
    return replace(reminder, slot_at=slot_at, due_at=due_at)


@dataclass(frozen=True, slots=True)
class Claim:
    """One nudge to send now."""

    user_id: int
    kind: Literal["slot", "snooze"]
    due_at: int
    local_day: str
    topic_id: str
    nonce: str
    dm_channel_id: int | None
    dms_refused: bool
    fallback_channel_id: int | None
    """The opt-in server's nudge channel, for members whose DMs are closed."""


Sent = tuple[Claim, Outcome, int | None]
"""A claimed nudge, how its delivery went, and the member's DM channel id if known."""


@dataclass(frozen=True, slots=True)
class ServerClaim:
    guild_id: int
    channel_id: int
    due_at: int
    local_day: str
    topic_id: str
    nonce: str


class PostureWrites(Protocol):
    """The writes a claim makes: straight to `tx.posture`, or kept in `BatchWrites`."""

    def save_reminder(self, reminder: Reminder) -> None: ...
    def save_delivery(self, delivery: Delivery) -> None: ...
    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None: ...


class BatchWrites:
    """A batch of claims' writes, kept to go to storage as one statement per table
    (`flush`): on PostgreSQL each statement costs the same for one row or fifty.
    The claims of one batch are of different members, so their writes never overlap."""

    def __init__(self) -> None:
        self.reminders: list[Reminder] = []
        self.deliveries: list[Delivery] = []
        self.seen: list[TopicSeen] = []

    def save_reminder(self, reminder: Reminder) -> None:
        self.reminders.append(reminder)

    def save_delivery(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        self.seen.append(TopicSeen(audience_id, topic_id, new_cycle))

    def extend(self, other: BatchWrites) -> None:
        self.reminders += other.reminders
        self.deliveries += other.deliveries
        self.seen += other.seen

    def flush(self, posture: PostureStore) -> None:
        posture.save_deliveries(self.deliveries)
        posture.mark_seen_many(self.seen)
        posture.save_reminders(self.reminders)


@dataclass(frozen=True, slots=True)
class PostureStatus:
    reminder: Reminder | None
    timezone: str
    next_at: datetime | None
    last: Delivery | None
    fallback_channel_id: int | None


class PostureService:
    def __init__(
        self,
        storage: Storage,
        topics: Callable[[], Sequence[str]],
        clock: Clock,
        *,
        timezone_changed: Callable[[int], Awaitable[object]] | None = None,
    ) -> None:
        self.storage = storage
        self.topics = topics
        self.clock = clock
        self.timezone_changed = timezone_changed
        """Told the member's id when opting in changed their timezone: their streak weeks
        follow it, so the app wires the streak service's recompute here."""
        self.wake: Callable[[], None] = lambda: None
        """Called after a change that may make a nudge due sooner (the dispatcher's)."""

    # --- members ---------------------------------------------------------------------

    async def opt_in(
        self,
        guild_id: int,
        user_id: int,
        *,
        time_text: str | None,
        timezone_text: str | None,
        days: Days | None,
    ) -> tuple[Reminder, str]:
        """Opt in (or change the settings); return the reminder and the member's zone.

        Unset options keep the member's current choice, else take the server's default.
        Opting in again also lifts a refusal recorded after Discord's error 50007.
        """
        if days is not None and days not in DAYS_CHOICES:  # a modified client
            raise UserFacingError("Pick `every day` or `weekdays` for `days`.")
        local_time = None if time_text is None else parse_member_time(time_text)
        timezone = None if timezone_text is None else resolve_timezone(timezone_text)
        now = self.clock()

        def work(tx: Transaction) -> tuple[Reminder, str, bool]:
            server = tx.settings.get_guild_settings(guild_id)
            old = tx.posture.get_reminder(user_id)
            old_zone = tx.settings.member_timezone(user_id)
            zone = timezone or old_zone or server.timezone
            chosen_time = local_time or (old.local_time if old else server.default_reminder_time)
            chosen_days: str = days or (old.days if old else "every day")
            slot = next_due(parse_time(chosen_time), ZoneInfo(zone), chosen_days, now)  # type: ignore[arg-type]
            reminder = Reminder(
                user_id=user_id,
                guild_id=guild_id,
                local_time=chosen_time,
                days=chosen_days,
                slot_at=_seconds(slot),
                snooze_at=None,
                snooze_topic=None,
                due_at=_seconds(slot),
                dm_channel_id=old.dm_channel_id if old else None,
                dm_refused_at=None,
                opted_in_at=_seconds(now),
            )
            tx.posture.save_reminder(reminder)
            if zone != old_zone:
                tx.settings.set_member_timezone(user_id, zone)
            return reminder, zone, zone != old_zone

        reminder, zone, zone_changed = await self.storage.write(work)
        self.wake()
        if zone_changed and self.timezone_changed is not None:
            await self.timezone_changed(user_id)
        return reminder, zone

    async def opt_out(self, user_id: int) -> bool:
        return await self.storage.write(lambda tx: tx.posture.delete_reminder(user_id))

    async def record_dm(self, user_id: int, *, channel_id: int | None, refused: bool) -> None:
        """Remember the DM channel Discord gave, or that Discord refused DMs (50007)."""
        now = _seconds(self.clock())

        def work(tx: Transaction) -> None:
            reminder = tx.posture.get_reminder(user_id)
            if reminder is None:
                return
            if refused:
                reminder = replace(reminder, dm_refused_at=now)
            if channel_id is not None:
                reminder = replace(reminder, dm_channel_id=channel_id)
            tx.posture.save_reminder(reminder)

        await self.storage.write(work)

    async def status(self, guild_id: int, user_id: int) -> PostureStatus:
        def work(tx: Transaction) -> PostureStatus:
            reminder = tx.posture.get_reminder(user_id)
            server = tx.settings.get_guild_settings(reminder.guild_id if reminder else guild_id)
            zone = tx.settings.member_timezone(user_id) or server.timezone
            return PostureStatus(
                reminder,
                zone,
                _instant(reminder.due_at) if reminder else None,
                tx.posture.last_delivery(user_id),
                server.nudge_channel_id,
            )

        return await self.storage.read(work)

    async def snooze(self, user_id: int, topic_id: str, delay: timedelta) -> datetime | None:
        """Send `topic_id` again after `delay`; None if the member has opted out."""
        at = _seconds(self.clock() + delay)

        def work(tx: Transaction) -> bool:
            reminder = tx.posture.get_reminder(user_id)
            if reminder is None:
                return False
            tx.posture.save_reminder(
                replace(
                    reminder,
                    snooze_at=at,
                    snooze_topic=topic_id,
                    due_at=min(reminder.slot_at, at),
                ),
            )
            return True

        if not await self.storage.write(work):
            return None
        self.wake()
        return _instant(at)

    async def tip(self, audience_id: int) -> str:
        """The next topic in this member's rotation, marked seen: a tip counts as a nudge."""
        topics = list(self.topics())

        def work(tx: Transaction) -> str:
            seen = tx.posture.seen_topics(audience_id)
            return self._pick_topic(tx.posture, audience_id, topics, seen)

        return await self.storage.write(work)

    def _pick_topic(
        self, posture: PostureWrites, audience_id: int, topics: list[str], seen: Collection[str]
    ) -> str:
        topic, new_cycle = next_topic(topics, seen, audience_id)
        posture.mark_seen(audience_id, topic, new_cycle=new_cycle)
        return topic

    # --- the dispatcher's side -------------------------------------------------------

    async def defer(self, user_id: int, delay: timedelta) -> None:
        """Push a row that could not be handled back by `delay`, so it cannot spin."""
        at = _seconds(self.clock() + delay)
        await self.storage.write(lambda tx: tx.posture.defer_reminder(user_id, at))

    async def defer_server(self, guild_id: int, delay: timedelta) -> None:
        at = _seconds(self.clock() + delay)
        await self.storage.write(lambda tx: tx.posture.defer_server_nudge(guild_id, at))

    async def claim_many(
        self, user_ids: Sequence[int], *, retry_unreadable: timedelta
    ) -> list[Claim]:
        """Claim the due nudges of these members, in one unit: those with nothing to send
        now are left out. The scheduler claims a batch at a time, so a fan-out of
        thousands costs a few units, not two per member.

        A reminder this version cannot read (a time or zone it does not understand) is
        pushed back by `retry_unreadable` on its own, so it cannot hold up the batch."""
        now = self.clock()
        topics = list(self.topics())
        retry_at = _seconds(now + retry_unreadable)

        def work(tx: Transaction) -> list[Claim]:
            states = tx.posture.nudge_states(user_ids)
            claims = []
            batch = BatchWrites()
            for user_id in dict.fromkeys(user_ids):
                state = states.get(user_id)
                if state is None:
                    continue
                writes = BatchWrites()  # the member's own: all of them, or none
                try:
                    claim = self._claim(writes, state, now, topics)
                except (ValueError, LookupError):
                    log.exception("Cannot read the reminder of member %s; retrying later", user_id)
                    tx.posture.defer_reminder(user_id, retry_at)
                    continue
                batch.extend(writes)
                if claim is not None:
                    claims.append(claim)
            batch.flush(tx.posture)
            return claims

        return await self.storage.write(work)

    def _claim(
        self, writes: PostureWrites, state: NudgeState, now: datetime, topics: list[str]
    ) -> Claim | None:
        reminder = state.reminder
        user_id = reminder.user_id
        if reminder.due_at > _seconds(now):
            return None
        zone = ZoneInfo(state.timezone)
        at = parse_time(reminder.local_time)

        def claim(
            kind: Literal["slot", "snooze"], due: int, day: str, topic: str, nonce: str
        ) -> Claim:
            return Claim(
                user_id,
                kind,
                due,
                day,
                topic,
                nonce,
                reminder.dm_channel_id,
                reminder.dm_refused_at is not None,
                state.fallback_channel_id,
            )

        snooze_at = reminder.snooze_at
        if snooze_at is not None and snooze_at <= reminder.slot_at:
            # A snoozed nudge goes out at most once: cleared before it is sent.
            writes.save_reminder(
                replace(reminder, snooze_at=None, snooze_topic=None, due_at=reminder.slot_at),
            )
            topic = reminder.snooze_topic
            if is_too_late(_instant(snooze_at), now) or topic not in topics:
                return None
            day = nudge_day(_instant(snooze_at), at, zone).isoformat()
            return claim("snooze", snooze_at, day, topic, f"z{user_id:x}.{snooze_at:x}"[:25])

        slot = _instant(reminder.slot_at)
        day = nudge_day(slot, at, zone).isoformat()
        existing = state.delivery(day)

        def advance(after: datetime) -> None:
            writes.save_reminder(_next_slot(reminder, zone, after))

        if existing is not None:
            recent = now - _instant(existing.attempted_at) < NONCE_WINDOW
            if existing.status == "sending" and recent:
                # Claimed before a crash: resend under the same nonce.
                return claim("slot", reminder.slot_at, day, existing.topic_id, existing.nonce)
            if existing.status == "sending":
                writes.save_delivery(replace(existing, status="uncertain"))
            advance(slot)
            return None
        if is_too_late(slot, now) or not topics:
            writes.save_delivery(Delivery(user_id, day, "", "", "skipped", _seconds(now)))
            advance(now)
            return None
        topic = self._pick_topic(writes, user_id, topics, state.seen_topics)
        nonce = f"{user_id:x}.{day.replace('-', '')}"  # at most 16 + 1 + 8 = 25 characters
        writes.save_delivery(Delivery(user_id, day, topic, nonce, "sending", _seconds(now)))
        return claim("slot", reminder.slot_at, day, topic, nonce)

    async def finish_many(self, sent: Sequence[Sent]) -> None:
        """Record what happened to claimed nudges and schedule each member's next one, in
        one unit."""
        now = _seconds(self.clock())

        def work(tx: Transaction) -> None:
            current = tx.posture.reminders_with_zones([claim.user_id for claim, _, _ in sent])
            outcomes, reminders = [], []
            for claim, outcome, dm_channel_id in sent:
                if claim.kind == "slot":
                    outcomes.append(DeliveryOutcome(claim.user_id, claim.local_day, outcome, now))
                if claim.user_id not in current:  # opted out meanwhile
                    continue
                reminder, zone_name = current[claim.user_id]
                if dm_channel_id is not None:
                    reminder = replace(reminder, dm_channel_id=dm_channel_id)
                if outcome == "refused" or (outcome == "channel" and not claim.dms_refused):
                    reminder = replace(reminder, dm_refused_at=now)
                if claim.kind == "slot" and reminder.slot_at == claim.due_at:
                    reminder = _next_slot(reminder, ZoneInfo(zone_name), _instant(claim.due_at))
                reminders.append(reminder)
            tx.posture.set_delivery_statuses(outcomes)
            tx.posture.save_reminders(reminders)

        await self.storage.write(work)

    # --- the server-wide channel nudge -----------------------------------------------

    async def configure_server(self, settings: GuildSettings) -> datetime | None:
        """Schedule (or stop) the server's daily channel nudge after a settings change."""
        now = self.clock()

        def work(tx: Transaction) -> datetime | None:
            if settings.nudge_channel_id is None or settings.nudge_time is None:
                tx.posture.delete_server_nudge(settings.guild_id)
                return None
            old = tx.posture.get_server_nudge(settings.guild_id)
            due = next_due(
                parse_time(settings.nudge_time), ZoneInfo(settings.timezone), "every day", now
            )
            tx.posture.save_server_nudge(
                ServerNudge(
                    settings.guild_id,
                    _seconds(due),
                    old.last_day if old else None,
                    old.last_status if old else None,
                ),
            )
            return due

        due = await self.storage.write(work)
        self.wake()
        return due

    async def claim_server(self, guild_id: int) -> ServerClaim | None:
        now = self.clock()
        topics = list(self.topics())

        def work(tx: Transaction) -> ServerClaim | None:
            nudge = tx.posture.get_server_nudge(guild_id)
            if nudge is None or nudge.due_at > _seconds(now):
                return None
            server = tx.settings.get_guild_settings(guild_id)
            if server.nudge_channel_id is None or server.nudge_time is None:
                tx.posture.delete_server_nudge(guild_id)
                return None
            zone = ZoneInfo(server.timezone)
            at = parse_time(server.nudge_time)
            slot = _instant(nudge.due_at)
            day = nudge_day(slot, at, zone).isoformat()
            upcoming = _seconds(next_due(at, zone, "every day", max(slot, now)))
            if nudge.last_day == day or is_too_late(slot, now) or not topics:
                status = nudge.last_status if nudge.last_day == day else "skipped"
                tx.posture.save_server_nudge(
                    replace(nudge, due_at=upcoming, last_day=day, last_status=status)
                )
                return None
            # Marked before it is sent, so it goes out at most once a day even if the
            # bot stops mid-send.
            tx.posture.save_server_nudge(
                replace(nudge, due_at=upcoming, last_day=day, last_status="sending")
            )
            seen = tx.posture.seen_topics(guild_id)
            topic = self._pick_topic(tx.posture, guild_id, topics, seen)
            nonce = f"g{guild_id:x}.{day.replace('-', '')}"[:25]
            return ServerClaim(guild_id, server.nudge_channel_id, nudge.due_at, day, topic, nonce)

        return await self.storage.write(work)

    async def finish_server(self, claim: ServerClaim, outcome: str) -> None:
        def work(tx: Transaction) -> None:
            nudge = tx.posture.get_server_nudge(claim.guild_id)
            if nudge is not None and nudge.last_day == claim.local_day:
                tx.posture.save_server_nudge(replace(nudge, last_status=outcome))

        await self.storage.write(work)
