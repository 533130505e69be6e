"""Back-day logs, the per-member streak cache and the leaderboards, on SQLite.

The three boards are read alike (migration 0004): a page walks one rank index from a
cursor, a rank sums a histogram of distinct standings, and both leave hidden members out
(`hidden = 0` is part of every index's key and the histograms count shown members only).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.storage.settings import DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET
from bot.storage.sqlite.connection import fetch_one, in_transaction
from bot.storage.streaks import (
    Board,
    BoardKind,
    BoardPage,
    BoardRow,
    Hidden,
    MemberStreak,
    Placing,
    RankedRow,
    RankedStanding,
    Standing,
)

MEMBER_STREAK = (
    "SELECT COALESCE("
    " (SELECT timezone FROM member_settings WHERE user_id = :user),"
    " (SELECT timezone FROM guild_settings WHERE guild_id = :guild), :zone),"
    " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = :guild), :target),"
    " (SELECT group_concat(day) FROM backday_logs WHERE guild_id = :guild AND user_id = :user),"
    " COALESCE((SELECT best_streak FROM member_stats"
    "  WHERE guild_id = :guild AND user_id = :user), 0)"
)
"""A member's streak inputs in one statement (`group_concat` has no defined order, so
the days are sorted after)."""


SAVE_STATS = (
    "INSERT INTO member_stats"
    " (guild_id, user_id, current_streak, best_streak, total_days, expires_at, hidden)"
    " VALUES (?, ?, ?, ?, ?, ?, COALESCE("
    "  (SELECT leaderboard_hidden FROM member_settings WHERE user_id = ?), 0))"
    " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
    " current_streak = excluded.current_streak,"
    " best_streak = MAX(best_streak, excluded.best_streak),"
    " total_days = excluded.total_days, expires_at = excluded.expires_at"
    " RETURNING best_streak, total_days"
)
"""Upsert the recomputed streak (a new row starts hidden if the member hid themselves)."""

REFRESH_MONTHS = (
    "UPDATE monthly_days SET best_streak = :best, total_days = :total"
    " WHERE user_id = :user AND guild_id = :guild"
    " AND month >= strftime('%Y-%m', (SELECT MAX(day) FROM backday_logs"
    "  WHERE guild_id = :guild AND user_id = :user), '-2 days')"
    " AND (best_streak, total_days) IS NOT (:best, :total)"
)
"""The tie-break copies on the months anyone can be in now: local dates around the world
are at most two days apart and nobody logs after their own today, so every caller is on
or after the member's latest day minus two days (older months keep the copies of their
time)."""


@dataclass(frozen=True, slots=True)
class _BoardSql:
    """Where one kind of board lives: its rows, their order and its histogram."""

    table: str
    scope: str
    """The board's rows among the table's (`?` for the guild id, then the month)."""
    row: str
    """user id, score, best, total."""
    order: tuple[str, ...]
    """The rank index's columns after the scope: the keyset cursor, user id last."""
    counts: str
    """The histogram of shown members per standing."""
    key: tuple[str, ...]
    """The histogram columns that rank (ties on all of them share a rank)."""

    def cursor(self, row: BoardRow) -> tuple[int, ...]:
        if len(self.order) == 3:  # all-time: the score is the total
            return (row.total, row.best, row.user_id)
        return (row.score, row.best, row.total, row.user_id)

    def rank_key(self, row: BoardRow) -> tuple[int, ...]:
        return self.cursor(row)[:-1]


def _columns(names: tuple[str, ...], direction: str = "") -> str:
    return ", ".join(f"{name}{direction}" for name in names)


def _marks(values: tuple[object, ...]) -> str:
    return ", ".join("?" for _ in values)


_BOARDS: dict[BoardKind, _BoardSql] = {
    "streak": _BoardSql(
        table="member_stats",
        scope="guild_id = ?",
        row="user_id, current_streak, best_streak, total_days",
        order=("current_streak", "best_streak", "total_days", "user_id"),
        counts="standing_counts",
        key=("current_streak", "best_streak", "total_days"),
    ),
    "month": _BoardSql(
        table="monthly_days",
        scope="guild_id = ? AND month = ?",
        row="user_id, days, best_streak, total_days",
        order=("days", "best_streak", "total_days", "user_id"),
        counts="month_counts",
        key=("days", "best_streak", "total_days"),
    ),
    "all-time": _BoardSql(
        table="member_stats",
        scope="guild_id = ?",
        row="user_id, total_days, best_streak, total_days",
        order=("total_days", "best_streak", "user_id"),
        counts="standing_counts",
        key=("total_days", "best_streak"),
    ),
}


def _scope(board: Board) -> tuple[int | str, ...]:
    return (board.guild_id,) if board.month is None else (board.guild_id, board.month)


def _board_row(row: sqlite3.Row) -> BoardRow:
    return BoardRow(row[0], row[1], row[2], row[3])


def _as_row(s: Standing) -> BoardRow:
    return BoardRow(s.user_id, s.current, s.best, s.total)


def _as_standing(r: BoardRow) -> Standing:
    return Standing(r.user_id, r.score, r.best, r.total)


class SqliteStreaks:
    """Back-day logs and the streak cache (the `StreakStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def member_streak(self, guild_id: int, user_id: int) -> MemberStreak:
        """The member's zone, the server's target, their logged days and stored best."""
        names = {
            "user": user_id,
            "guild": guild_id,
            "zone": DEFAULT_TIMEZONE,
            "target": DEFAULT_WEEKLY_TARGET,
        }
        timezone, target, days, best = self.conn.execute(MEMBER_STREAK, names).fetchone()
        logged = [] if days is None else [date.fromisoformat(d) for d in sorted(days.split(","))]
        return MemberStreak(str(timezone), int(target), logged, int(best))

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
    ) -> None:
        """Log the day; a day already logged is left as it is (note included)."""
        self.conn.execute(
            "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (guild_id, user_id, day.isoformat(), note, logged_at.isoformat()),
        )

    def delete_log(self, guild_id: int, user_id: int, day: date) -> None:
        """Remove the member's log of that day, if there is one."""
        self.conn.execute(
            "DELETE FROM backday_logs WHERE guild_id = ? AND user_id = ? AND day = ?",
            (guild_id, user_id, day.isoformat()),
        )

    def log_day(
        self,
        guild_id: int,
        user_id: int,
        day: date,
        note: str | None,
        logged_at: datetime,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> None:
        """Log a day not logged yet and store the streak recomputed with it.

        The streak row is saved first, so the log's trigger starts or counts the month
        row with the new tie-break copies in one write (migration 0007); the other month
        anyone can see (in a month's first two days) is refreshed after, nearly always
        finding nothing to change.
        """
        stored = self._upsert_stats(guild_id, user_id, current, best, total, expires_at)
        self.insert_log(guild_id, user_id, day, note, logged_at)
        self._refresh_months(guild_id, user_id, stored)

    def save_stats(
        self,
        guild_id: int,
        user_id: int,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> None:
        """Store the recomputed streak, and its tie-break copies on the member's months.

        The best streak never falls: the stored best is the highest ever recomputed, so an
        undo or a raised weekly target cannot take it away. A member with no logs left has
        no row (and starts again from nothing; the logs' triggers removed their months). A
        new row starts hidden if the member hid themselves from the leaderboards (a first
        log in another server, say).
        """
        if total == 0:
            self.conn.execute(
                "DELETE FROM member_stats WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return
        stored = self._upsert_stats(guild_id, user_id, current, best, total, expires_at)
        self._refresh_months(guild_id, user_id, stored)

    def _upsert_stats(
        self,
        guild_id: int,
        user_id: int,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> tuple[int, int]:
        """Save the streak row; its best streak and total days as stored."""
        expiry = None if expires_at is None else expires_at.isoformat()
        row = self.conn.execute(
            SAVE_STATS, (guild_id, user_id, current, best, total, expiry, user_id)
        ).fetchone()
        return int(row[0]), int(row[1])

    def _refresh_months(self, guild_id: int, user_id: int, stored: tuple[int, int]) -> None:
        """Copy the stored best streak and total days onto the member's month rows that
        anyone's /leaderboard can show now (see monthly_days in migration 0004)."""
        best, total = stored
        self.conn.execute(
            REFRESH_MONTHS,
            {"guild": guild_id, "user": user_id, "best": best, "total": total},
        )

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

    # --- the leaderboards ------------------------------------------------------------------

    def board_page(
        self,
        board: Board,
        limit: int,
        user_id: int,
        *,
        after: BoardRow | None = None,
        before: BoardRow | None = None,
        now: datetime | None = None,
    ) -> BoardPage:
        """The page from its parts: SQLite has no round trips to save."""
        if now is not None:
            self.expire_streaks(now)
        rows = self.board_rows(board, limit, after=after, before=before)
        moved = after is not None or before is not None
        restarted = moved and (not rows or (before is not None and len(rows) < limit))
        if restarted:
            rows = self.board_rows(board, limit)
        return BoardPage(
            self.board_size(board),
            self.board_ranks(board, rows),
            self.board_placing(board, user_id),
            restarted,
        )

    def board_rows(
        self,
        board: Board,
        limit: int,
        *,
        after: BoardRow | None = None,
        before: BoardRow | None = None,
    ) -> list[BoardRow]:
        """Rows in rank order, starting after `after` or ending before `before` (keyset
        paging). Both directions walk the board's rank index from the cursor, so a page deep
        in the board costs the same as the first one.
        """
        spec = _BOARDS[board.kind]
        order = _columns(spec.order)
        cursor = before if before is not None else after
        sql = f"SELECT {spec.row} FROM {spec.table} WHERE {spec.scope} AND hidden = 0"
        params: tuple[int | str, ...] = _scope(board)
        if cursor is not None:
            values = spec.cursor(cursor)
            sql += f" AND ({order}) {'>' if before is not None else '<'} ({_marks(values)})"
            params += values
        direction = "" if before is not None else " DESC"
        sql += f" ORDER BY {_columns(spec.order, direction)} LIMIT ?"
        rows = [_board_row(row) for row in self.conn.execute(sql, (*params, limit))]
        return rows[::-1] if before is not None else rows

    def board_ranks(self, board: Board, rows: list[BoardRow]) -> list[RankedRow]:
        """Ranks for consecutive rows in rank order: ties share a rank (1, 1, 3). Two
        queries whatever the page: the first row's rank, then how many members hold each
        standing the page spans.
        """
        if not rows:
            return []
        spec = _BOARDS[board.kind]
        first, last = spec.rank_key(rows[0]), spec.rank_key(rows[-1])
        key = _columns(spec.key)
        spanned = self.conn.execute(
            f"SELECT {key}, SUM(members) FROM {spec.counts} WHERE {spec.scope}"
            f" AND ({key}) <= ({_marks(first)}) AND ({key}) >= ({_marks(last)})"
            f" GROUP BY {key}",
            (*_scope(board), *first, *last),
        )
        members = {tuple(found[:-1]): int(found[-1]) for found in spanned}
        ranked = [RankedRow(self._rank_of(board, first), rows[0])]
        for row in rows[1:]:
            previous = ranked[-1]
            previous_key = spec.rank_key(previous.row)
            if previous_key == spec.rank_key(row):
                rank = previous.rank
            else:
                rank = previous.rank + members[previous_key]
            ranked.append(RankedRow(rank, row))
        return ranked

    def _rank_of(self, board: Board, key: tuple[int, ...]) -> int:
        """1 + how many shown members of the board stand strictly better than `key`."""
        spec = _BOARDS[board.kind]
        columns = _columns(spec.key)
        (better,) = fetch_one(
            self.conn,
            f"SELECT COALESCE(SUM(members), 0) FROM {spec.counts} WHERE {spec.scope}"
            f" AND ({columns}) > ({_marks(key)})",
            (*_scope(board), *key),
        )
        return 1 + int(better)

    def board_placing(self, board: Board, user_id: int) -> Placing:
        spec = _BOARDS[board.kind]
        if board.month is None:
            found = fetch_one(
                self.conn,
                f"SELECT {spec.row}, hidden FROM member_stats WHERE guild_id = ? AND user_id = ?",
                (board.guild_id, user_id),
            )
        else:
            found = fetch_one(
                self.conn,
                f"SELECT {spec.row}, hidden FROM monthly_days"
                " WHERE user_id = ? AND guild_id = ? AND month = ?",
                (user_id, board.guild_id, board.month),
            )
        if found is None:
            # No row here; a member who hid themselves is still told they are hidden.
            hidden = fetch_one(
                self.conn,
                "SELECT 1 FROM member_settings WHERE user_id = ? AND leaderboard_hidden = 1",
                (user_id,),
            )
            return None if hidden is None else Hidden()
        if found[4]:
            return Hidden()
        row = _board_row(found)
        return RankedRow(self._rank_of(board, spec.rank_key(row)), row)

    def board_size(self, board: Board) -> int:
        spec = _BOARDS[board.kind]
        (members,) = fetch_one(
            self.conn,
            f"SELECT COALESCE(SUM(members), 0) FROM {spec.counts} WHERE {spec.scope}",
            _scope(board),
        )
        return int(members)

    # The streak board in the first version's shape.

    def leaderboard_rows(
        self,
        guild_id: int,
        limit: int,
        *,
        after: Standing | None = None,
        before: Standing | None = None,
    ) -> list[Standing]:
        rows = self.board_rows(
            Board(guild_id, "streak"),
            limit,
            after=None if after is None else _as_row(after),
            before=None if before is None else _as_row(before),
        )
        return [_as_standing(row) for row in rows]

    def rank_rows(self, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
        ranked = self.board_ranks(Board(guild_id, "streak"), [_as_row(s) for s in rows])
        return [RankedStanding(r.rank, _as_standing(r.row)) for r in ranked]

    def standing_of(self, guild_id: int, user_id: int) -> RankedStanding | None:
        placing = self.board_placing(Board(guild_id, "streak"), user_id)
        if not isinstance(placing, RankedRow):
            return None
        return RankedStanding(placing.rank, _as_standing(placing.row))

    def member_count(self, guild_id: int) -> int:
        return self.board_size(Board(guild_id, "streak"))
