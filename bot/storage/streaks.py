"""Back-day logs and the per-member streak cache the leaderboard reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.storage.database import Database
from bot.streaks import StreakStats


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    current: int
    best: int
    total: int


@dataclass(frozen=True, slots=True)
class RankedStanding:
    rank: int
    standing: Standing


async def logged_days(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[date]:
    async with conn.execute(
        "SELECT day FROM backday_logs WHERE guild_id = ? AND user_id = ? ORDER BY day",
        (guild_id, user_id),
    ) as cursor:
        return [date.fromisoformat(row[0]) for row in await cursor.fetchall()]


async def insert_log(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    day: date,
    note: str | None,
    logged_at: datetime,
) -> bool:
    """False when that day is already logged (the primary key decides races)."""
    cursor = await conn.execute(
        "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (guild_id, user_id, day.isoformat(), note, logged_at.isoformat()),
    )
    return cursor.rowcount == 1


async def delete_latest_log(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, earliest: date
) -> date | None:
    """Remove the most recent log on or after `earliest`; return its day."""
    async with conn.execute(
        "DELETE FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day = ("
        " SELECT MAX(day) FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day >= ?"
        ") RETURNING day",
        (guild_id, user_id, guild_id, user_id, earliest.isoformat()),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else date.fromisoformat(row[0])


async def save_stats(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    stats: StreakStats,
    expires_at: datetime | None,
) -> None:
    """Store the recomputed streak; a member with no logs left has no row."""
    if stats.total == 0:
        await conn.execute(
            "DELETE FROM member_stats WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return
    await conn.execute(
        "INSERT INTO member_stats"
        " (guild_id, user_id, current_streak, best_streak, total_days, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
        " current_streak = excluded.current_streak, best_streak = excluded.best_streak,"
        " total_days = excluded.total_days, expires_at = excluded.expires_at",
        (
            guild_id,
            user_id,
            stats.current,
            stats.best,
            stats.total,
            None if expires_at is None else expires_at.isoformat(),
        ),
    )


async def expire_streaks(db: Database, now: datetime) -> int:
    """Zero every current streak whose last qualifying week has lapsed by `now`."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE member_stats SET current_streak = 0, expires_at = NULL"
            " WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (now.isoformat(),),
        )
        return cursor.rowcount


async def guild_members(db: Database, guild_id: int) -> list[int]:
    """Everyone with a log in this server (for recomputing after a target change)."""
    async with db.conn.execute(
        "SELECT user_id FROM member_stats WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


def _standing(row: aiosqlite.Row) -> Standing:
    return Standing(row[0], row[1], row[2], row[3])


_STANDING_COLUMNS = "user_id, current_streak, best_streak, total_days"


async def leaderboard_rows(
    db: Database,
    guild_id: int,
    limit: int,
    *,
    after: Standing | None = None,
    before: Standing | None = None,
) -> list[Standing]:
    """Rows in rank order, starting after `after` or ending before `before` (keyset paging).

    Both directions walk the rank index from the cursor, so a page deep in the board
    costs the same as the first one.
    """
    if before is not None:
        sql = (
            f"SELECT {_STANDING_COLUMNS} FROM member_stats WHERE guild_id = ?"
            " AND (current_streak, best_streak, total_days, user_id) > (?, ?, ?, ?)"
            " ORDER BY current_streak, best_streak, total_days, user_id LIMIT ?"
        )
        params: tuple[int, ...] = (guild_id, *_cursor(before), limit)
    else:
        sql = (
            f"SELECT {_STANDING_COLUMNS} FROM member_stats WHERE guild_id = ?"
            + (
                " AND (current_streak, best_streak, total_days, user_id) < (?, ?, ?, ?)"
                if after is not None
                else ""
            )
            + " ORDER BY current_streak DESC, best_streak DESC, total_days DESC, user_id DESC"
            " LIMIT ?"
        )
        params = (guild_id, *(_cursor(after) if after is not None else ()), limit)
    async with db.conn.execute(sql, params) as cursor:
        rows = [_standing(row) for row in await cursor.fetchall()]
    return rows[::-1] if before is not None else rows


def _cursor(s: Standing) -> tuple[int, int, int, int]:
    return (s.current, s.best, s.total, s.user_id)


def _key(s: Standing) -> tuple[int, int, int]:
    return (s.current, s.best, s.total)


async def rank_rows(db: Database, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
    """Ranks for consecutive rows: ties on all three numbers share a rank (1, 1, 3)."""
    ranked: list[RankedStanding] = []
    for standing in rows:
        if not ranked:
            rank = await _rank_of(db, guild_id, standing)
        elif _key(ranked[-1].standing) == _key(standing):
            rank = ranked[-1].rank
        else:
            rank = ranked[-1].rank + await _members_with(db, guild_id, ranked[-1].standing)
        ranked.append(RankedStanding(rank, standing))
    return ranked


async def _members_with(db: Database, guild_id: int, standing: Standing) -> int:
    async with db.conn.execute(
        "SELECT members FROM standing_counts WHERE guild_id = ?"
        " AND current_streak = ? AND best_streak = ? AND total_days = ?",
        (guild_id, *_key(standing)),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _rank_of(db: Database, guild_id: int, standing: Standing) -> int:
    """1 + how many members of the server stand strictly better than `standing`."""
    async with db.conn.execute(
        "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?"
        " AND (current_streak, best_streak, total_days) > (?, ?, ?)",
        (guild_id, *_key(standing)),
    ) as cursor:
        row = await cursor.fetchone()
    return 1 + int(row[0]) if row else 1


async def standing_of(db: Database, guild_id: int, user_id: int) -> RankedStanding | None:
    async with db.conn.execute(
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    standing = _standing(row)
    return RankedStanding(await _rank_of(db, guild_id, standing), standing)


async def member_count(db: Database, guild_id: int) -> int:
    async with db.conn.execute(
        "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
