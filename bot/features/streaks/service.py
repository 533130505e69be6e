"""Back-day logging: ties the pure streak rule to storage, with an injectable clock.

Cogs call this; it resolves the member's timezone and the server's target, keeps the
stored streak equal to the one recomputed from the raw logs, and returns plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, local_date, utc_now
from bot.core.errors import UserFacingError
from bot.features.streaks.rules import StreakStats, streak_expires_at, streak_stats, week_of
from bot.storage import Storage, Transaction
from bot.storage.settings import GuildSettings
from bot.storage.streaks import BOARD_KINDS, Board, BoardKind, BoardRow, Placing, RankedRow

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


class StreakService:
    def __init__(self, storage: Storage, clock: Clock = utc_now) -> None:
        self.storage = storage
        self.clock = clock

    def _context(self, tx: Transaction, guild_id: int, user_id: int) -> tuple[ZoneInfo, date, int]:
        """(the member's zone, their local date now, the server's weekly target)."""
        name, target = tx.settings.member_context(guild_id, user_id)
        zone = ZoneInfo(name)
        return zone, local_date(self.clock(), zone), target

    def _recompute(
        self,
        tx: Transaction,
        guild_id: int,
        user_id: int,
        context: tuple[ZoneInfo, date, int] | None = None,
    ) -> tuple[StreakStats, list[date]]:
        """Recompute the member's streak from their raw logs and store it; the stats and
        the logged days they came from."""
        zone, today, target = context or self._context(tx, guild_id, user_id)
        days = tx.streaks.logged_days(guild_id, user_id)
        stats = streak_stats(days, today, target)
        best = tx.streaks.save_stats(
            guild_id,
            user_id,
            current=stats.current,
            best=stats.best,
            total=stats.total,
            expires_at=streak_expires_at(stats.lapses_on, zone),
        )
        return (stats if best == stats.best else replace(stats, best=best)), days

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
            context = self._context(tx, guild_id, user_id)
            _zone, today, target = context
            day = today if when == "today" else today - timedelta(days=1)
            logged = tx.streaks.insert_log(guild_id, user_id, day, note, self.clock())
            stats, days = self._recompute(tx, guild_id, user_id, context)
            earned = logged and stats.freezes > 0
            if earned:  # rare: compare with the history before this day
                before = streak_stats([d for d in days if d != day], today, target)
                earned = stats.freezes > before.freezes
            return LogResult(logged, day, today, stats, earned)

        return await self.storage.write(work)

    async def undo(self, guild_id: int, user_id: int) -> UndoResult:
        """Remove the most recent log from today or yesterday (the only days one can log)."""

        def work(tx: Transaction) -> UndoResult:
            context = self._context(tx, guild_id, user_id)
            today = context[1]
            removed = tx.streaks.delete_latest_log(guild_id, user_id, today - timedelta(days=1))
            return UndoResult(removed, today, self._recompute(tx, guild_id, user_id, context)[0])

        return await self.storage.write(work)

    async def stats(self, guild_id: int, user_id: int) -> StreakStats | None:
        """Fresh from the raw logs, with the stored best; None for a member who never
        logged here."""

        def work(tx: Transaction) -> StreakStats | None:
            _zone, today, target = self._context(tx, guild_id, user_id)
            days = tx.streaks.logged_days(guild_id, user_id)
            if not days:
                return None
            stats = streak_stats(days, today, target)
            best = tx.streaks.stored_best(guild_id, user_id)
            return replace(stats, best=best) if best > stats.best else stats

        return await self.storage.read(work)

    async def stats_with_days(
        self, guild_id: int, user_id: int, weeks: int
    ) -> tuple[StreakStats, list[date]] | None:
        """What `/streak` shows with its card, in one read: `stats` and the logged days of
        the last `weeks` weeks (this one included), oldest first; None for a member who
        never logged here."""

        def work(tx: Transaction) -> tuple[StreakStats, list[date]] | None:
            _zone, today, target = self._context(tx, guild_id, user_id)
            days = tx.streaks.logged_days(guild_id, user_id)
            if not days:
                return None
            stats = streak_stats(days, today, target)
            best = tx.streaks.stored_best(guild_id, user_id)
            if best > stats.best:
                stats = replace(stats, best=best)
            first = week_of(today) - timedelta(weeks=weeks - 1)
            return stats, [d for d in days if first <= d <= today]

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
            if kind == "streak":
                tx.streaks.expire_streaks(now)  # the only board a lapse changes
            elif kind == "month":
                zone, _target = tx.settings.member_context(guild_id, user_id)
                current = f"{local_date(now, ZoneInfo(zone)):%Y-%m}"
            ref = Board(guild_id, kind, current)
            first, cursor_after, cursor_before = page, after, before
            if kind == "month" and month != current:
                first, cursor_after, cursor_before = 0, None, None
            members = tx.streaks.board_size(ref)
            pages = max(1, -(-members // page_size))
            rows = tx.streaks.board_rows(ref, page_size, after=cursor_after, before=cursor_before)
            moved = cursor_after is not None or cursor_before is not None
            if moved and (not rows or (cursor_before is not None and len(rows) < page_size)):
                # The board changed under an old button: start again from the top.
                first, rows = 0, tx.streaks.board_rows(ref, page_size)
            ranked = tx.streaks.board_ranks(ref, rows)
            me = tx.streaks.board_placing(ref, user_id)
            return LeaderboardPage(kind, current, min(max(first, 0), pages - 1), pages, ranked, me)

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
