"""Back-day logging: ties the pure streak rule to storage, with an injectable clock.

Cogs call this; it resolves the member's timezone and the server's target, keeps the
stored streak equal to the one recomputed from the raw logs, and returns plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import aiosqlite

from bot.errors import UserFacingError
from bot.storage import settings as settings_store
from bot.storage import streaks as streak_store
from bot.storage.database import Database
from bot.storage.settings import GuildSettings
from bot.streaks import StreakStats, local_date, streak_expires_at, streak_stats

Clock = Callable[[], datetime]
When = Literal["today", "yesterday"]
NOTE_MAX_LENGTH = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LogResult:
    logged: bool
    """False when that day was already logged."""
    day: date
    today: date
    """The member's local date when they logged."""
    stats: StreakStats


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    page: int
    """Zero-based, clamped to the pages that exist."""
    pages: int
    rows: list[streak_store.RankedStanding]
    me: streak_store.RankedStanding | None


@dataclass(frozen=True, slots=True)
class UndoResult:
    removed: date | None
    today: date
    stats: StreakStats


class Backdays:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    async def zone_for(self, guild_id: int, user_id: int) -> ZoneInfo:
        """The member's own timezone if set, else the server's."""
        return (await self._context(guild_id, user_id))[0]

    async def _context(self, guild_id: int, user_id: int) -> tuple[ZoneInfo, date, int]:
        name, target = await settings_store.member_context(self.db, guild_id, user_id)
        zone = ZoneInfo(name)
        return zone, local_date(self.clock(), zone), target

    async def _recompute(
        self,
        conn: aiosqlite.Connection,
        guild_id: int,
        user_id: int,
        zone: ZoneInfo,
        today: date,
        target: int,
    ) -> StreakStats:
        days = await streak_store.logged_days(conn, guild_id, user_id)
        stats = streak_stats(days, today, target)
        await streak_store.save_stats(
            conn, guild_id, user_id, stats, streak_expires_at(stats.run_end, zone)
        )
        return stats

    async def log(
        self, guild_id: int, user_id: int, when: When = "today", note: str | None = None
    ) -> LogResult:
        if note is not None and len(note) > NOTE_MAX_LENGTH:
            raise UserFacingError(
                f"Your note is {len(note)} characters; keep it to {NOTE_MAX_LENGTH} or fewer."
            )
        async with self.db.transaction() as conn:
            # Read the target inside the write lock, so a log racing a target change is
            # stored under the target that `recompute_guild` then applies.
            zone, today, target = await self._context(guild_id, user_id)
            day = today if when == "today" else today - timedelta(days=1)
            logged = await streak_store.insert_log(conn, guild_id, user_id, day, note, self.clock())
            stats = await self._recompute(conn, guild_id, user_id, zone, today, target)
        return LogResult(logged, day, today, stats)

    async def undo(self, guild_id: int, user_id: int) -> UndoResult:
        """Remove the most recent log from today or yesterday (the only days one can log)."""
        async with self.db.transaction() as conn:
            zone, today, target = await self._context(guild_id, user_id)
            removed = await streak_store.delete_latest_log(
                conn, guild_id, user_id, today - timedelta(days=1)
            )
            stats = await self._recompute(conn, guild_id, user_id, zone, today, target)
        return UndoResult(removed, today, stats)

    async def stats(self, guild_id: int, user_id: int) -> StreakStats | None:
        """Fresh from the raw logs; None for a member who never logged here."""
        _zone, today, target = await self._context(guild_id, user_id)
        days = await streak_store.logged_days(self.db.conn, guild_id, user_id)
        return streak_stats(days, today, target) if days else None

    async def recompute_guild(self, guild_id: int) -> int:
        """Recompute every member's stored streak (after the weekly target changed)."""
        members = await streak_store.guild_members(self.db, guild_id)
        for user_id in members:
            async with self.db.transaction() as conn:
                zone, today, target = await self._context(guild_id, user_id)
                await self._recompute(conn, guild_id, user_id, zone, today, target)
        return len(members)

    async def leaderboard(
        self,
        guild_id: int,
        user_id: int,
        page_size: int,
        *,
        page: int = 0,
        after: streak_store.Standing | None = None,
        before: streak_store.Standing | None = None,
    ) -> LeaderboardPage:
        """One page, found from a neighbouring page's edge row (`after`/`before`)."""
        await self.expire()
        members = await streak_store.member_count(self.db, guild_id)
        pages = max(1, -(-members // page_size))
        rows = await streak_store.leaderboard_rows(
            self.db, guild_id, page_size, after=after, before=before
        )
        if not rows and (after is not None or before is not None):
            # The board changed under an old button: start again from the top.
            page, rows = 0, await streak_store.leaderboard_rows(self.db, guild_id, page_size)
        ranked = await streak_store.rank_rows(self.db, guild_id, rows)
        me = await streak_store.standing_of(self.db, guild_id, user_id)
        return LeaderboardPage(min(max(page, 0), pages - 1), pages, ranked, me)

    async def server_settings(self, guild_id: int) -> GuildSettings:
        return await settings_store.get_guild_settings(self.db, guild_id)

    async def change_server_settings(
        self, guild_id: int, *, timezone: str | None, weekly_target: int | None
    ) -> tuple[GuildSettings, GuildSettings]:
        """Apply the given changes; stored streaks are recomputed when they depend on them."""
        before = await self.server_settings(guild_id)
        changes: dict[str, str | int | None] = {}
        if timezone is not None and timezone != before.timezone:
            changes["timezone"] = timezone
        if weekly_target is not None and weekly_target != before.weekly_target:
            changes["weekly_target"] = weekly_target
        if not changes:
            return before, before
        after = await settings_store.update_guild_settings(self.db, guild_id, **changes)
        await self.recompute_guild(guild_id)
        return before, after

    async def expire(self) -> int:
        return await streak_store.expire_streaks(self.db, self.clock())
