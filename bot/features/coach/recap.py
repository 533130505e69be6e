"""/coach recap: setting a server's weekly recap, and claiming and recording each post.

The recap is a timed job on the one scheduler (kind "recap", keyed by guild id), like
the daily channel nudge. At most one recap per server per week, even across crashes,
by two means together:

- the week is marked as handled (`last_week`, status 'sending') in the same write that
  claims it, *before* anything is sent, so a restarted bot never starts that week
  again; and
- the post carries a nonce made of the server and the week (with `enforce_nonce`), so if
  the bot crashed between sending and recording, the restarted bot may send again while
  Discord still remembers the nonce (a few minutes) and Discord drops the duplicate.
  After that window the outcome is unknown: it is recorded as 'uncertain' and not sent.

Marking alone would lose the week's recap to any crash mid-send; the nonce alone would
double-post after a restart later than Discord's window. Together a crash costs at most
that one recap, and only when the restart comes late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, local_date
from bot.core.time_of_day import parse_time
from bot.core.wall_time import is_too_late
from bot.features.coach.recap_rules import (
    DEFAULT_RECAP_TIME,
    TOP,
    TopStreak,
    WeekRecap,
    next_recap,
    recapped_week,
    summarize_week,
)
from bot.features.streaks import week_of
from bot.storage import Storage, Transaction
from bot.storage.recaps import ServerRecap
from bot.storage.settings import GuildSettings

log = logging.getLogger(__name__)

NONCE_WINDOW = timedelta(minutes=4)
"""How long a resend is safe: Discord checks a nonce "in the past few minutes"."""

Outcome = Literal["channel", "failed"]


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def recap_time(server: GuildSettings) -> str:
    """The wall time recaps go out: the server's nudge time, else 09:00."""
    return server.nudge_time or DEFAULT_RECAP_TIME


def recap_nonce(guild_id: int, week: date) -> str:
    """One per server and week: 'r', the id in hex (at most 16) and the Monday's 8 digits,
    within Discord's 25 characters."""
    return f"r{guild_id:x}{week:%Y%m%d}"


@dataclass(frozen=True, slots=True)
class RecapClaim:
    """One week's recap to post now."""

    guild_id: int
    channel_id: int
    due_at: int
    week: date
    nonce: str
    recap: WeekRecap


@dataclass(frozen=True, slots=True)
class RecapStatus:
    recap: ServerRecap | None
    timezone: str
    time: str
    next_at: datetime | None


class RecapService:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock
        self.wake: Callable[[], None] = lambda: None
        """Called after a change that may make a recap due sooner (the scheduler's)."""

    # --- settings ----------------------------------------------------------------------

    async def set_channel(self, guild_id: int, channel_id: int) -> RecapStatus:
        """Post the recap in `channel_id` from the next Monday on (keeps what was sent)."""
        now = self.clock()

        def work(tx: Transaction) -> RecapStatus:
            server = tx.settings.get_guild_settings(guild_id)
            due = self._next(server, now)
            old = tx.recaps.get(guild_id)
            recap = ServerRecap(guild_id, channel_id, _seconds(due))
            if old is not None:
                recap = replace(old, channel_id=channel_id, due_at=_seconds(due))
            tx.recaps.save(recap)
            return RecapStatus(recap, server.timezone, recap_time(server), due)

        status = await self.storage.write(work)
        self.wake()
        return status

    async def stop(self, guild_id: int) -> bool:
        return await self.storage.write(lambda tx: tx.recaps.delete(guild_id))

    async def reschedule(self, guild_id: int) -> None:
        """Follow a change of the server's timezone or nudge time."""
        now = self.clock()

        def work(tx: Transaction) -> None:
            recap = tx.recaps.get(guild_id)
            if recap is not None:
                due = self._next(tx.settings.get_guild_settings(guild_id), now)
                tx.recaps.save(replace(recap, due_at=_seconds(due)))

        await self.storage.write(work)
        self.wake()

    async def status(self, guild_id: int) -> RecapStatus:
        def work(tx: Transaction) -> RecapStatus:
            server = tx.settings.get_guild_settings(guild_id)
            recap = tx.recaps.get(guild_id)
            next_at = None if recap is None else _instant(recap.due_at)
            return RecapStatus(recap, server.timezone, recap_time(server), next_at)

        return await self.storage.read(work)

    async def preview(self, guild_id: int) -> WeekRecap:
        """The recap of this week so far (in the server's zone)."""
        now = self.clock()

        def work(tx: Transaction) -> WeekRecap:
            server = tx.settings.get_guild_settings(guild_id)
            today = local_date(now, ZoneInfo(server.timezone))
            return self._week_recap(tx, server, week_of(today), today, now, in_progress=True)

        return await self.storage.read(work)

    @staticmethod
    def _next(server: GuildSettings, after: datetime) -> datetime:
        return next_recap(parse_time(recap_time(server)), ZoneInfo(server.timezone), after)

    # --- the scheduler's side --------------------------------------------------------

    async def defer(self, guild_id: int, delay: timedelta) -> None:
        """Push a recap that could not be handled back by `delay`, so it cannot spin."""
        at = _seconds(self.clock() + delay)

        def work(tx: Transaction) -> None:
            recap = tx.recaps.get(guild_id)
            if recap is not None and recap.due_at < at:
                tx.recaps.save(replace(recap, due_at=at))

        await self.storage.write(work)

    async def claim(self, guild_id: int) -> RecapClaim | None:
        """Claim the server's due recap (marking its week first), or None if there is
        nothing to post now; the figures are read after the claim is committed."""
        now = self.clock()
        claimed = await self.storage.write(lambda tx: self._claim(tx, guild_id, now))
        if claimed is None:
            return None
        week = claimed.week

        def figures(tx: Transaction) -> WeekRecap:
            server = tx.settings.get_guild_settings(guild_id)
            return self._week_recap(tx, server, week, week + timedelta(days=6), now)

        try:
            recap = await self.storage.read(figures)
        except Exception:
            # Recorded, so the week is not left 'sending' (and lost as 'uncertain' on the
            # retry); next Monday's recap is scheduled as usual.
            log.exception("Could not compute the weekly recap for server %s", guild_id)
            await self.finish(claimed, "failed")
            return None
        return replace(claimed, recap=recap)

    def _claim(self, tx: Transaction, guild_id: int, now: datetime) -> RecapClaim | None:
        recap = tx.recaps.get(guild_id)
        if recap is None or recap.due_at > _seconds(now):
            return None
        server = tx.settings.get_guild_settings(guild_id)
        zone = ZoneInfo(server.timezone)
        slot = _instant(recap.due_at)
        week = recapped_week(slot, zone)
        upcoming = _seconds(next_recap(parse_time(recap_time(server)), zone, max(slot, now)))
        nonce = recap_nonce(guild_id, week)
        empty = WeekRecap(week, week, server.weekly_target, 0, 0, (), (), ())
        claim = RecapClaim(guild_id, recap.channel_id, recap.due_at, week, nonce, empty)

        if recap.last_week == week.isoformat():
            recent = recap.last_at is not None and now - _instant(recap.last_at) < NONCE_WINDOW
            if recap.last_status == "sending" and recent:
                return claim  # claimed before a crash: resend under the same nonce
            status = "uncertain" if recap.last_status == "sending" else recap.last_status
            tx.recaps.save(replace(recap, due_at=upcoming, last_status=status))
            return None
        if is_too_late(slot, now):
            tx.recaps.save(
                replace(
                    recap,
                    due_at=upcoming,
                    last_week=week.isoformat(),
                    last_status="skipped",
                    last_at=_seconds(now),
                )
            )
            return None
        # Marked before it is sent: this week is never started again.
        tx.recaps.save(
            replace(recap, last_week=week.isoformat(), last_status="sending", last_at=_seconds(now))
        )
        return claim

    async def finish(self, claim: RecapClaim, outcome: Outcome) -> None:
        """Record how the post went and schedule the next Monday's."""
        now = self.clock()

        def work(tx: Transaction) -> None:
            recap = tx.recaps.get(claim.guild_id)
            if recap is None:  # stopped meanwhile
                return
            if recap.last_week == claim.week.isoformat():
                recap = replace(recap, last_status=outcome, last_at=_seconds(now))
            if recap.due_at == claim.due_at:
                server = tx.settings.get_guild_settings(claim.guild_id)
                after = max(_instant(claim.due_at), now)
                recap = replace(recap, due_at=_seconds(self._next(server, after)))
            tx.recaps.save(recap)

        await self.storage.write(work)

    # --- the figures -------------------------------------------------------------------

    @staticmethod
    def _week_recap(
        tx: Transaction,
        server: GuildSettings,
        week: date,
        through: date,
        now: datetime,
        *,
        in_progress: bool = False,
    ) -> WeekRecap:
        guild_id, target = server.guild_id, server.weekly_target
        logs = tx.streaks.logs_between(guild_id, week, through)
        per_member: dict[int, int] = {}
        for user_id, _day in logs:
            per_member[user_id] = per_member.get(user_id, 0) + 1
        histories = {
            user_id: tx.streaks.logged_days(guild_id, user_id)
            for user_id, count in per_member.items()
            if count >= target
        }
        tx.streaks.expire_streaks(now)  # a read unit: lapsed streaks read as 0
        ranked = tx.streaks.rank_rows(guild_id, tx.streaks.leaderboard_rows(guild_id, TOP))
        top = [
            TopStreak(r.rank, r.standing.user_id, r.standing.current)
            for r in ranked
            if r.standing.current > 0
        ]
        return summarize_week(week, through, target, logs, histories, top, in_progress=in_progress)
