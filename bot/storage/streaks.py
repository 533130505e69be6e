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


async def leaderboard_page(
    db: Database, guild_id: int, offset: int, limit: int
) -> list[RankedStanding]:
    """One page in rank order; ties on all three numbers share a rank (1, 1, 3)."""
    async with db.conn.execute(
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ?"
        " ORDER BY current_streak DESC, best_streak DESC, total_days DESC, user_id"
        " LIMIT ? OFFSET ?",
        (guild_id, limit, offset),
    ) as cursor:
        rows = [_standing(row) for row in await cursor.fetchall()]
    ranked: list[RankedStanding] = []
    for n, standing in enumerate(rows):
        previous = ranked[-1] if ranked else None
        if previous is not None and _key(previous.standing) == _key(standing):
            rank = previous.rank
        elif n == 0:
            rank = await _rank_of(db, guild_id, standing)
        else:
            rank = offset + n + 1
        ranked.append(RankedStanding(rank, standing))
    return ranked


def _key(s: Standing) -> tuple[int, int, int]:
    return (s.current, s.best, s.total)


async def _rank_of(db: Database, guild_id: int, standing: Standing) -> int:
    """1 + how many members of the server rank strictly above `standing`."""
    async with db.conn.execute(
        "SELECT COUNT(*) FROM member_stats WHERE guild_id = ?"
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
        "SELECT COUNT(*) FROM member_stats WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
