"""Back-day logging: ties the pure streak rule to storage, with an injectable clock.

Cogs call this; it resolves the member's timezone and the server's target, keeps the
stored streak equal to the one recomputed from the raw logs, and returns plain values.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, local_date, utc_now
from bot.core.errors import UserFacingError
from bot.features.streaks.rules import StreakStats, streak_expires_at, streak_stats, week_of
from bot.storage import Storage, Transaction
from bot.storage.settings import GuildSettings
from bot.storage.streaks import (
    BOARD_KINDS,
    Board,
    BoardKind,
    BoardRow,
    MemberStreak,
    Placing,
    RankedRow,
)

When = Literal["today", "yesterday"]
NOTE_MAX_LENGTH = 200
RECOMPUTE_BATCH = 500


@dataclass(frozen=True, slots=True)
class LogResult:
    logged: bool
    """False when that day was already logged."""
    day: date
    today: date
    """The member's local date when they logged."""
    stats: StreakStats
    earned_freeze: bool = False
    """This log completed a run of qualifying weeks that earns a freeze."""


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    board: BoardKind
    month: str | None
    """The month board's month (`YYYY-MM`, the caller's local month); None otherwise."""
    page: int
    """Zero-based, clamped to the pages that exist."""
    pages: int
    rows: list[RankedRow]
    me: Placing
    """The caller's own line: their rank, `Hidden()`, or None when not on this board."""


@dataclass(frozen=True, slots=True)
class UndoResult:
    removed: date | None
    today: date
    stats: StreakStats


def board_kind(name: object) -> BoardKind:
    """The leaderboard `name` names; a clear error for anything else (a modified client
    can send any value for the `board` option, and an old button any text)."""
    for kind in BOARD_KINDS:
        if name == kind:
            return kind
    shown = str(name)[:40]
    raise UserFacingError(
        f"“{shown}” is not a leaderboard. Choose one of: {', '.join(BOARD_KINDS)}."
    )


def with_stored_best(stats: StreakStats, stored: int) -> StreakStats:
    """`stats` with the best streak as stored, which never falls (a member with no logs
    left has none)."""
    return replace(stats, best=stored) if stats.total and stored > stats.best else stats


def month_everywhere(now: datetime) -> str | None:
    """The calendar month (`YYYY-MM`) it is at `now` in every time zone, or None when
    zones disagree (near the turn of a month). A zone's offset from UTC is less than a
    day (Python requires it of every tzinfo), so when the UTC dates a day before and a
    day after `now` share a month, every local date does: the month board then needs no
    read of the member's zone before its own reads."""
    utc = now.astimezone(UTC)
    earliest, latest = utc - timedelta(days=1), utc + timedelta(days=1)
    month = f"{earliest:%Y-%m}"
    return month if month == f"{latest:%Y-%m}" else None


class StreakService:
    def __init__(self, storage: Storage, clock: Clock = utc_now) -> None:
        self.storage = storage
        self.clock = clock

    def _read(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[MemberStreak, date]:
        """The member's streak inputs, in one read, and their local date now."""
        streak = tx.streaks.member_streak(guild_id, user_id)
        return streak, local_date(self.clock(), ZoneInfo(streak.timezone))

    def _save(
        self,
        tx: Transaction,
        guild_id: int,
        user_id: int,
        streak: MemberStreak,
        days: list[date],
        today: date,
        log: tuple[date, str | None] | None = None,
    ) -> StreakStats:
        """Recompute the member's streak from `days` (their logs once this unit's writes
        are done) and store it, with `log` (day, note) when that day is new in `days`;
        the stats with the best as it is then stored.

        Nothing is read back: the stored best is the greater of the one read and the new
        one, which holds because a unit changing the same member's logs or row after
        `streak` was read makes one of the two re-run (`StreakStore`)."""
        stats = streak_stats(days, today, streak.target)
        expires_at = streak_expires_at(stats.lapses_on, ZoneInfo(streak.timezone))
        current, best, total = stats.current, stats.best, stats.total
        if log is None:
            tx.streaks.save_stats(
                guild_id, user_id, current=current, best=best, total=total, expires_at=expires_at
            )
        else:
            day, note = log
            tx.streaks.log_day(
                guild_id,
                user_id,
                day,
                note,
                self.clock(),
                current=current,
                best=best,
                total=total,
                expires_at=expires_at,
            )
        return with_stored_best(stats, streak.best)

    def _recompute(self, tx: Transaction, guild_id: int, user_id: int) -> None:
        """Recompute the member's streak from their raw logs and store it."""
        streak, today = self._read(tx, guild_id, user_id)
        self._save(tx, guild_id, user_id, streak, streak.days, today)

    async def log(
        self, guild_id: int, user_id: int, when: When = "today", note: str | None = None
    ) -> LogResult:
        if when not in ("today", "yesterday"):  # a modified client can send anything
            raise UserFacingError(
                "You can log `today` or `yesterday` only: no future days, nothing earlier."
            )
        if note is not None and len(note) > NOTE_MAX_LENGTH:
            raise UserFacingError(
                f"Your note is {len(note)} characters; keep it to {NOTE_MAX_LENGTH} or fewer."
            )

        def work(tx: Transaction) -> LogResult:
            # The target is read inside the transaction, so a log racing a target change
            # is stored under the target that `recompute_guild` then applies.
            streak, today = self._read(tx, guild_id, user_id)
            day = today if when == "today" else today - timedelta(days=1)
            if day in streak.days:  # already logged: nothing changes
                stats = streak_stats(streak.days, today, streak.target)
                return LogResult(False, day, today, with_stored_best(stats, streak.best))
            days = list(streak.days)
            insort(days, day)
            stats = self._save(tx, guild_id, user_id, streak, days, today, log=(day, note))
            earned = stats.freezes > 0
            if earned:  # rare: compare with the history before this day
                before = streak_stats(streak.days, today, streak.target)
                earned = stats.freezes > before.freezes
            return LogResult(True, day, today, stats, earned)

        return await self.storage.write(work)

    async def undo(self, guild_id: int, user_id: int) -> UndoResult:
        """Remove the most recent log from today or yesterday (the only days one can log)."""

        def work(tx: Transaction) -> UndoResult:
            streak, today = self._read(tx, guild_id, user_id)
            latest = streak.days[-1] if streak.days else None
            if latest is None or latest < today - timedelta(days=1):  # nothing to undo
                stats = streak_stats(streak.days, today, streak.target)
                return UndoResult(None, today, with_stored_best(stats, streak.best))
            tx.streaks.delete_log(guild_id, user_id, latest)
            stats = self._save(tx, guild_id, user_id, streak, streak.days[:-1], today)
            return UndoResult(latest, today, stats)

        return await self.storage.write(work)

    async def stats(self, guild_id: int, user_id: int) -> StreakStats | None:
        """Fresh from the raw logs, with the stored best; None for a member who never
        logged here."""

        def work(tx: Transaction) -> StreakStats | None:
            streak, today = self._read(tx, guild_id, user_id)
            if not streak.days:
                return None
            stats = streak_stats(streak.days, today, streak.target)
            return with_stored_best(stats, streak.best)

        return await self.storage.read(work)

    async def stats_with_days(
        self, guild_id: int, user_id: int, weeks: int
    ) -> tuple[StreakStats, list[date]] | None:
        """What `/streak` shows with its card, in one read: `stats` and the logged days of
        the last `weeks` weeks (this one included), oldest first; None for a member who
        never logged here."""

        def work(tx: Transaction) -> tuple[StreakStats, list[date]] | None:
            streak, today = self._read(tx, guild_id, user_id)
            if not streak.days:
                return None
            stats = with_stored_best(streak_stats(streak.days, today, streak.target), streak.best)
            first = week_of(today) - timedelta(weeks=weeks - 1)
            return stats, [d for d in streak.days if first <= d <= today]

        return await self.storage.read(work)

    async def recompute_guild(self, guild_id: int) -> int:
        """Recompute every member's stored streak (after the target or timezone changed).

        Members are done in batches, each batch one transaction: a large server never
        holds the database for long, and other commands run between batches.
        """
        members = await self.storage.read(lambda tx: tx.streaks.guild_members(guild_id))
        for start in range(0, len(members), RECOMPUTE_BATCH):
            batch = members[start : start + RECOMPUTE_BATCH]

            def work(tx: Transaction, batch: list[int] = batch) -> None:
                for user_id in batch:
                    self._recompute(tx, guild_id, user_id)

            await self.storage.write(work)
        return len(members)

    async def recompute_member(self, user_id: int) -> None:
        """Recompute the member's streak in every server (after their timezone changed)."""

        def work(tx: Transaction) -> None:
            for guild_id in tx.streaks.member_guilds(user_id):
                self._recompute(tx, guild_id, user_id)

        await self.storage.write(work)

    async def leaderboard(
        self,
        guild_id: int,
        user_id: int,
        page_size: int,
        *,
        board: str = "streak",
        page: int = 0,
        after: BoardRow | None = None,
        before: BoardRow | None = None,
        month: str | None = None,
    ) -> LeaderboardPage:
        """One page of a board as `user_id` (who ran /leaderboard) sees it, found from a
        neighbouring page's edge row (`after`/`before`).

        `board` is checked here, since a modified client can send anything. The month board
        is the caller's current local month; a cursor from another month (`month`, carried
        by an old button) starts again from the top, as does a cursor the board no longer
        reaches.
        """
        kind = board_kind(board)
        now = self.clock()

        def work(tx: Transaction) -> LeaderboardPage:
            current: str | None = None
            if kind == "month":
                current = month_everywhere(now)
                if current is None:  # near the turn of a month: the member's zone decides
                    zone, _target = tx.settings.member_context(guild_id, user_id)
                    current = f"{local_date(now, ZoneInfo(zone)):%Y-%m}"
            first, cursor_after, cursor_before = page, after, before
            if kind == "month" and month != current:
                first, cursor_after, cursor_before = 0, None, None
            found = tx.streaks.board_page(
                Board(guild_id, kind, current),
                page_size,
                user_id,
                after=cursor_after,
                before=cursor_before,
                now=now if kind == "streak" else None,  # the only board a lapse changes
            )
            if found.restarted:  # the board changed under an old button
                first = 0
            pages = max(1, -(-found.size // page_size))
            first = min(max(first, 0), pages - 1)
            return LeaderboardPage(kind, current, first, pages, found.rows, found.placing)

        return await self.storage.read(work)

    async def server_settings(self, guild_id: int) -> GuildSettings:
        return await self.storage.read(lambda tx: tx.settings.get_guild_settings(guild_id))

    async def change_server_settings(
        self,
        guild_id: int,
        *,
        timezone: str | None = None,
        weekly_target: int | None = None,
        **other: str | int | None,
    ) -> tuple[GuildSettings, GuildSettings]:
        """Apply the given changes (None: leave as is; `other` may set a column to None
        explicitly); stored streaks are recomputed when they depend on them."""

        def work(tx: Transaction) -> tuple[GuildSettings, GuildSettings]:
            before = tx.settings.get_guild_settings(guild_id)
            wanted: dict[str, str | int | None] = dict(other)
            if timezone is not None:
                wanted["timezone"] = timezone
            if weekly_target is not None:
                wanted["weekly_target"] = weekly_target
            changes = {k: v for k, v in wanted.items() if getattr(before, k) != v}
            if not changes:
                return before, before
            return before, tx.settings.update_guild_settings(guild_id, **changes)

        before, after = await self.storage.write(work)
        if (before.timezone, before.weekly_target) != (after.timezone, after.weekly_target):
            await self.recompute_guild(guild_id)
        return before, after

    async def expire(self) -> int:
        now = self.clock()
        return await self.storage.read(lambda tx: tx.streaks.expire_streaks(now))
