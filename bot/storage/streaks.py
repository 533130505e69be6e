"""Back-day logs and the per-member streak cache the leaderboard reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.storage.database import Database, fetch_all
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
    rows = await fetch_all(
        conn,
        "SELECT day FROM backday_logs WHERE guild_id = ? AND user_id = ? ORDER BY day",
        (guild_id, user_id),
    )
    return [date.fromisoformat(row[0]) for row in rows]


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
    rows = await fetch_all(
        conn,
        "DELETE FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day = ("
        " SELECT MAX(day) FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day >= ?"
        ") RETURNING day",
        (guild_id, user_id, guild_id, user_id, earliest.isoformat()),
    )
    row = rows[0] if rows else None
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
    """Zero every current streak whose last qualifying week has lapsed by `now`.

    Most calls find nothing to do; a read through the expiry index says so without
    opening a write transaction.
    """
    due = await fetch_all(
        db.conn,
        "SELECT 1 FROM member_stats WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1",
        (now.isoformat(),),
    )
    if not due:
        return 0
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE member_stats SET current_streak = 0, expires_at = NULL"
            " WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (now.isoformat(),),
        )
        return cursor.rowcount


async def guild_members(db: Database, guild_id: int) -> list[int]:
    """Everyone with a log in this server (for recomputing after a target change)."""
    rows = await fetch_all(
        db.conn, "SELECT user_id FROM member_stats WHERE guild_id = ?", (guild_id,)
    )
    return [row[0] for row in rows]


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
    rows = [_standing(row) for row in await fetch_all(db.conn, sql, params)]
    return rows[::-1] if before is not None else rows


def _cursor(s: Standing) -> tuple[int, int, int, int]:
    return (s.current, s.best, s.total, s.user_id)


def _key(s: Standing) -> tuple[int, int, int]:
    return (s.current, s.best, s.total)


async def rank_rows(db: Database, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
    """Ranks for consecutive rows in rank order: ties on all three numbers share a rank
    (1, 1, 3). Two queries whatever the page: the first row's rank, then how many
    members hold each standing the page spans.
    """
    if not rows:
        return []
    first_rank = await _rank_of(db, guild_id, rows[0])
    spanned = await fetch_all(
        db.conn,
        "SELECT current_streak, best_streak, total_days, members FROM standing_counts"
        " WHERE guild_id = ? AND (current_streak, best_streak, total_days) <= (?, ?, ?)"
        " AND (current_streak, best_streak, total_days) >= (?, ?, ?)",
        (guild_id, *_key(rows[0]), *_key(rows[-1])),
    )
    members = {(c, b, t): n for c, b, t, n in spanned}
    ranked = [RankedStanding(first_rank, rows[0])]
    for standing in rows[1:]:
        previous = ranked[-1]
        if _key(previous.standing) == _key(standing):
            rank = previous.rank
        else:
            rank = previous.rank + members[_key(previous.standing)]
        ranked.append(RankedStanding(rank, standing))
    return ranked


async def _rank_of(db: Database, guild_id: int, standing: Standing) -> int:
    """1 + how many members of the server stand strictly better than `standing`."""
    rows = await fetch_all(
        db.conn,
        "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?"
        " AND (current_streak, best_streak, total_days) > (?, ?, ?)",
        (guild_id, *_key(standing)),
    )
    row = rows[0] if rows else None
    return 1 + int(row[0]) if row else 1


async def standing_of(db: Database, guild_id: int, user_id: int) -> RankedStanding | None:
    rows = await fetch_all(
        db.conn,
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    row = rows[0] if rows else None
    if row is None:
        return None
    standing = _standing(row)
    return RankedStanding(await _rank_of(db, guild_id, standing), standing)


async def member_count(db: Database, guild_id: int) -> int:
    rows = await fetch_all(
        db.conn,
        "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?",
        (guild_id,),
    )
    row = rows[0] if rows else None
    return int(row[0]) if row else 0
