"""Back-day logs and the per-member streak cache the leaderboard reads, on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from bot.storage.sqlite.connection import fetch_one, in_transaction
from bot.storage.streaks import RankedStanding, Standing


def _standing(row: sqlite3.Row) -> Standing:
    return Standing(row[0], row[1], row[2], row[3])


_STANDING_COLUMNS = "user_id, current_streak, best_streak, total_days"


def _cursor(s: Standing) -> tuple[int, int, int, int]:
    return (s.current, s.best, s.total, s.user_id)


def _key(s: Standing) -> tuple[int, int, int]:
    return (s.current, s.best, s.total)


class SqliteStreaks:
    """Back-day logs and the streak cache (the `StreakStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def logged_days(self, guild_id: int, user_id: int) -> list[date]:
        rows = self.conn.execute(
            "SELECT day FROM backday_logs WHERE guild_id = ? AND user_id = ? ORDER BY day",
            (guild_id, user_id),
        )
        return [date.fromisoformat(row[0]) for row in rows]

    def logs_between(self, guild_id: int, first: date, last: date) -> list[tuple[int, date]]:
        rows = self.conn.execute(
            # The covering (guild_id, day, user_id) index: only the range's entries are read.
            "SELECT user_id, day FROM backday_logs INDEXED BY backday_logs_guild_day"
            " WHERE guild_id = ? AND day BETWEEN ? AND ?",
            (guild_id, first.isoformat(), last.isoformat()),
        )
        return sorted((int(user_id), date.fromisoformat(day)) for user_id, day in rows)

    def insert_log(
        self,
        guild_id: int,
        user_id: int,
        day: date,
        note: str | None,
        logged_at: datetime,
    ) -> bool:
        """False when that day is already logged (the primary key decides races)."""
        cursor = self.conn.execute(
            "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (guild_id, user_id, day.isoformat(), note, logged_at.isoformat()),
        )
        return cursor.rowcount == 1

    def delete_latest_log(self, guild_id: int, user_id: int, earliest: date) -> date | None:
        """Remove the most recent log on or after `earliest`; return its day."""
        row = fetch_one(
            self.conn,
            "DELETE FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day = ("
            " SELECT MAX(day) FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day >= ?"
            ") RETURNING day",
            (guild_id, user_id, guild_id, user_id, earliest.isoformat()),
        )
        return None if row is None else date.fromisoformat(row[0])

    def save_stats(
        self,
        guild_id: int,
        user_id: int,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> int:
        """Store the recomputed streak; return the best streak as stored.

        The best streak never falls: the stored best is the highest ever recomputed, so an
        undo or a raised weekly target cannot take it away. A member with no logs left has
        no row (and starts again from nothing).
        """
        if total == 0:
            self.conn.execute(
                "DELETE FROM member_stats WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return 0
        (stored,) = fetch_one(
            self.conn,
            "INSERT INTO member_stats"
            " (guild_id, user_id, current_streak, best_streak, total_days, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
            " current_streak = excluded.current_streak,"
            " best_streak = MAX(best_streak, excluded.best_streak),"
            " total_days = excluded.total_days, expires_at = excluded.expires_at"
            " RETURNING best_streak",
            (
                guild_id,
                user_id,
                current,
                best,
                total,
                None if expires_at is None else expires_at.isoformat(),
            ),
        )
        return int(stored)

    def stored_best(self, guild_id: int, user_id: int) -> int:
        """The member's best streak as stored (0 if they have no row)."""
        row = fetch_one(
            self.conn,
            "SELECT best_streak FROM member_stats WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return 0 if row is None else int(row[0])

    def expire_streaks(self, now: datetime) -> int:
        """Zero every current streak whose last qualifying week has lapsed by `now`.

        Most calls find nothing to do; a read through the expiry index says so without
        opening a write transaction.
        """
        cutoff = now.astimezone(UTC).isoformat()  # stored expiries are UTC text
        due = fetch_one(
            self.conn,
            "SELECT 1 FROM member_stats WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1",
            (cutoff,),
        )
        if due is None:
            return 0
        return in_transaction(
            self.conn,
            lambda c: (
                c.execute(
                    "UPDATE member_stats SET current_streak = 0, expires_at = NULL"
                    " WHERE expires_at IS NOT NULL AND expires_at <= ?",
                    (cutoff,),
                ).rowcount
            ),
        )

    def guild_members(self, guild_id: int) -> list[int]:
        """Everyone with a log in this server (for recomputing after a target change)."""
        rows = self.conn.execute("SELECT user_id FROM member_stats WHERE guild_id = ?", (guild_id,))
        return [row[0] for row in rows]

    def member_guilds(self, user_id: int) -> list[int]:
        """The servers where this member has a streak row."""
        rows = self.conn.execute("SELECT guild_id FROM member_stats WHERE user_id = ?", (user_id,))
        return [row[0] for row in rows]

    def leaderboard_rows(
        self,
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
        rows = [_standing(row) for row in self.conn.execute(sql, params)]
        return rows[::-1] if before is not None else rows

    def rank_rows(self, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
        """Ranks for consecutive rows in rank order: ties on all three numbers share a rank
        (1, 1, 3). Two queries whatever the page: the first row's rank, then how many
        members hold each standing the page spans.
        """
        if not rows:
            return []
        first_rank = self._rank_of(guild_id, rows[0])
        spanned = self.conn.execute(
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

    def _rank_of(self, guild_id: int, standing: Standing) -> int:
        """1 + how many members of the server stand strictly better than `standing`."""
        (better,) = fetch_one(
            self.conn,
            "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?"
            " AND (current_streak, best_streak, total_days) > (?, ?, ?)",
            (guild_id, *_key(standing)),
        )
        return 1 + int(better)

    def standing_of(self, guild_id: int, user_id: int) -> RankedStanding | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_STANDING_COLUMNS} FROM member_stats WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return None
        standing = _standing(row)
        return RankedStanding(self._rank_of(guild_id, standing), standing)

    def member_count(self, guild_id: int) -> int:
        (members,) = fetch_one(
            self.conn,
            "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?",
            (guild_id,),
        )
        return int(members)
