"""Back-day logs, the per-member streak cache and the leaderboards, on PostgreSQL.

The three boards are read as on SQLite (migration 0002 here, 0004 there): a page walks
one rank index from a cursor, a rank sums a histogram of distinct standings, and both
leave hidden members out (`hidden = 0` is part of every rank index's key and the
histograms count shown members only). The hot statements are module constants (and
`BoardSql` per board) so the plan tests explain exactly what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import sql

from bot.storage.postgres.connection import affected, fetch_one
from bot.storage.settings import DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET
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
    " (SELECT timezone FROM member_settings WHERE user_id = %s),"
    " (SELECT timezone FROM guild_settings WHERE guild_id = %s), %s),"
    " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = %s), %s),"
    " ARRAY(SELECT day FROM backday_logs WHERE guild_id = %s AND user_id = %s ORDER BY day),"
    " COALESCE((SELECT best_streak FROM member_stats WHERE guild_id = %s AND user_id = %s), 0)"
)
"""A member's streak inputs (`settings.MEMBER_CONTEXT`, their days, their stored best) in
one statement, so /streak waits for one result and /backday log for one before its
writes."""

LOGGED_DAYS = "SELECT day FROM backday_logs WHERE guild_id = %s AND user_id = %s ORDER BY day"

INSERT_LOG = (
    "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)

DELETE_LOG = "DELETE FROM backday_logs WHERE guild_id = %s AND user_id = %s AND day = %s"

SAVE_STATS = (
    "INSERT INTO member_stats AS s"
    " (guild_id, user_id, current_streak, best_streak, total_days, expires_at, hidden)"
    " VALUES (%s, %s, %s, %s, %s, %s, COALESCE("
    "  (SELECT leaderboard_hidden FROM member_settings WHERE user_id = %s), 0))"
    " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
    " current_streak = excluded.current_streak,"
    " best_streak = GREATEST(s.best_streak, excluded.best_streak),"
    " total_days = excluded.total_days, expires_at = excluded.expires_at"
)
"""Upsert the recomputed streak; a new row starts hidden if the member hid themselves."""

DELETE_STATS = "DELETE FROM member_stats WHERE guild_id = %s AND user_id = %s"

EXPIRY_DUE = (
    "SELECT current_setting('transaction_read_only') = 'on', ("
    " SELECT expires_at FROM member_stats WHERE expires_at IS NOT NULL"
    " ORDER BY expires_at LIMIT 1) <= %s"
)
"""Whether this is a read unit, and whether any streak has lapsed: the soonest expiry, the
first entry of the expiry index, compared with the cutoff. Not `EXISTS (... expires_at
<= %s)`: once psycopg prepares the statement, PostgreSQL may switch to a generic plan,
which guesses a third of the rows match and scans the table for the first one (10 ms at
100,000 members, finding none); this plan has no parameter to guess about."""

EXPIRE = (
    "UPDATE member_stats SET current_streak = 0, expires_at = NULL"
    " WHERE expires_at IS NOT NULL AND expires_at <= %s"
)
"""Run rarely and never prepared (`prepare=False`, like EXPIRE_UNLOCKED), so it is always
planned for its cutoff: a generic plan would have to guess how many rows have lapsed."""

EXPIRE_UNLOCKED = (
    "UPDATE member_stats AS s SET current_streak = 0, expires_at = NULL FROM ("
    " SELECT guild_id, user_id FROM member_stats"
    " WHERE expires_at IS NOT NULL AND expires_at <= %s FOR UPDATE SKIP LOCKED) AS due"
    " WHERE s.guild_id = due.guild_id AND s.user_id = due.user_id"
)
"""EXPIRE in its own transaction from a read unit: rows a write holds are left to the
next call (that write is recomputing them), so a read never waits on a write and cannot
deadlock with one."""

LOGS_BETWEEN = (
    # The covering (guild_id, day, user_id) index: only the range's entries are read.
    "SELECT user_id, day FROM backday_logs WHERE guild_id = %s AND day BETWEEN %s AND %s"
)

GUILD_MEMBERS = "SELECT user_id FROM member_stats WHERE guild_id = %s"
MEMBER_GUILDS = "SELECT guild_id FROM member_stats WHERE user_id = %s"


def _names(names: tuple[str, ...], direction: sql.SQL | None = None) -> sql.Composable:
    if direction is None:
        return sql.SQL(", ").join(map(sql.Identifier, names))
    return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), direction) for n in names)


def _marks(count: int) -> sql.Composable:
    return sql.SQL(", ").join(sql.Placeholder() for _ in range(count))


@dataclass(frozen=True, slots=True)
class BoardSql:
    """Where one kind of board lives, and the statements that read it.

    Every statement takes the board's scope first (guild id, then the month for the
    month board), then what its docstring says.
    """

    table: str
    scoped: tuple[str, ...]
    """The columns that pick the board's rows (guild_id, then month)."""
    row: tuple[str, ...]
    """user id, score, best, total."""
    order: tuple[str, ...]
    """The rank index's columns after the scope: the keyset cursor, user id last."""
    counts: str
    """The histogram of shown members per standing."""
    key: tuple[str, ...]
    """The histogram columns that rank (ties on all of them share a rank)."""
    page_key: tuple[str, ...]
    """The same columns as a page's rows name them (`ranked`: score, best, total)."""

    def cursor(self, row: BoardRow) -> tuple[int, ...]:
        if len(self.order) == 3:  # all-time: the score is the total
            return (row.total, row.best, row.user_id)
        return (row.score, row.best, row.total, row.user_id)

    def rank_key(self, row: BoardRow) -> tuple[int, ...]:
        return self.cursor(row)[:-1]

    def _scope(self) -> sql.Composable:
        return sql.SQL(" AND ").join(
            sql.SQL("{} = %s").format(sql.Identifier(name)) for name in self.scoped
        )

    def _page(self, compare: str | None, direction: str) -> sql.Composed:
        where = sql.SQL("{scope} AND hidden = 0").format(scope=self._scope())
        if compare is not None:
            where = sql.SQL("{} AND ({}) {} ({})").format(
                where, _names(self.order), sql.SQL(compare), _marks(len(self.order))
            )
        return sql.SQL("SELECT {row} FROM {table} WHERE {where} ORDER BY {order} LIMIT %s").format(
            row=_names(self.row),
            table=sql.Identifier(self.table),
            where=where,
            order=_names(self.order, sql.SQL(direction)),
        )

    @property
    def top(self) -> sql.Composed:
        """The first `limit` rows (then: limit)."""
        return self._page(None, "DESC")

    @property
    def after(self) -> sql.Composed:
        """The `limit` rows after a cursor, in rank order (then: cursor, limit)."""
        return self._page("<", "DESC")

    @property
    def before(self) -> sql.Composed:
        """The `limit` rows before a cursor, nearest first (then: cursor, limit)."""
        return self._page(">", "ASC")

    def _ranked(self, page: sql.Composed) -> sql.Composed:
        """A page statement's rows, each with its board-wide rank, in rank order.

        The rank of a row is 1 + the shown members standing better: those better than
        the page's first standing (summed through the histogram's index, as `better`),
        plus those of the standings the page spans (`ranks`' second part) better than
        the row's. One statement, so a page and its ranks share one round trip (then:
        the page's parameters, the scope, the scope)."""
        pk = _names(self.page_key)

        def of(table: str) -> sql.Composable:
            return sql.SQL(", ").join(
                sql.SQL("{}.{}").format(sql.Identifier(table), sql.Identifier(n))
                for n in self.page_key
            )

        def edge(cte: str) -> sql.Composable:
            return sql.SQL(", ").join(
                sql.SQL("(SELECT {} FROM {})").format(sql.Identifier(n), sql.Identifier(cte))
                for n in self.page_key
            )

        spanned = sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(sql.Identifier(k), sql.Identifier(n))
            for k, n in zip(self.key, self.page_key, strict=True)
        )
        return sql.SQL(
            "WITH page (user_id, score, best, total) AS MATERIALIZED ({page}),"
            " first AS (SELECT {pk} FROM page ORDER BY {pk_desc} LIMIT 1),"
            " last AS (SELECT {pk} FROM page ORDER BY {pk} LIMIT 1),"
            " spanned AS MATERIALIZED (SELECT {spanned}, members FROM {counts}"
            "  WHERE {scope} AND ({key}) <= ({first}) AND ({key}) >= ({last}))"
            " SELECT p.user_id, p.score, p.best, p.total, (1"
            "  + (SELECT COALESCE(SUM(members), 0) FROM {counts}"
            "   WHERE {scope} AND ({key}) > ({first}))"
            "  + COALESCE((SELECT SUM(s.members) FROM spanned AS s WHERE ({s}) > ({p})), 0)"
            " )::bigint"
            " FROM page AS p ORDER BY {p_desc}, p.user_id DESC"
        ).format(
            page=page,
            pk=pk,
            pk_desc=_names(self.page_key, sql.SQL("DESC")),
            spanned=spanned,
            counts=sql.Identifier(self.counts),
            scope=self._scope(),
            key=_names(self.key),
            first=edge("first"),
            last=edge("last"),
            s=of("s"),
            p=of("p"),
            p_desc=sql.SQL(", ").join(
                sql.SQL("p.{} DESC").format(sql.Identifier(n)) for n in self.page_key
            ),
        )

    @property
    def ranked_top(self) -> sql.Composed:
        """`top` with ranks (`_ranked`)."""
        return self._ranked(self.top)

    @property
    def ranked_after(self) -> sql.Composed:
        """`after` with ranks (`_ranked`), in rank order."""
        return self._ranked(self.after)

    @property
    def ranked_before(self) -> sql.Composed:
        """`before` with ranks (`_ranked`), in rank order."""
        return self._ranked(self.before)

    @property
    def better(self) -> sql.Composed:
        """How many shown members stand strictly better than a standing (then: its key)."""
        return sql.SQL(
            "SELECT COALESCE(SUM(members), 0)::bigint FROM {counts}"
            " WHERE {scope} AND ({key}) > ({marks})"
        ).format(
            counts=sql.Identifier(self.counts),
            scope=self._scope(),
            key=_names(self.key),
            marks=_marks(len(self.key)),
        )

    @property
    def ranks(self) -> sql.Composed:
        """A page's ranks in one statement: the members better than its first standing,
        on every row, then each standing from the first to the last with its members
        (then: first key; scope, first key, last key). Always at least one row; its key
        columns are NULL if the page's standings are gone."""
        return sql.SQL(
            "SELECT better.members, spanned.* FROM ({better}) AS better (members)"
            " LEFT JOIN (SELECT {key}, SUM(members)::bigint FROM {counts}"
            "  WHERE {scope} AND ({key}) <= ({marks}) AND ({key}) >= ({marks})"
            "  GROUP BY {key}) AS spanned ON true"
        ).format(
            better=self.better,
            key=_names(self.key),
            counts=sql.Identifier(self.counts),
            scope=self._scope(),
            marks=_marks(len(self.key)),
        )

    @property
    def placing(self) -> sql.Composed:
        """The member's row (NULLs without one), whether they are hidden (from their row,
        else from their settings) and how many shown members stand better (NULL unless
        they have a shown row): one row, always (takes the user id first, then the
        scope, then the user id again)."""
        found = sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(n)) for n in self.row)
        key = sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(n)) for n in self.key)
        counted = sql.SQL(" AND ").join(
            sql.SQL("c.{0} = r.{0}").format(sql.Identifier(n)) for n in self.scoped
        )
        return sql.SQL(
            "SELECT {found}, COALESCE(r.hidden, (SELECT s.leaderboard_hidden"
            "  FROM member_settings AS s WHERE s.user_id = %s), 0),"
            " CASE WHEN r.hidden = 0 THEN ("
            " SELECT COALESCE(SUM(c.members), 0)::bigint FROM {counts} AS c"
            " WHERE {counted} AND ({ckey}) > ({key})) END"
            " FROM (SELECT 1) AS one LEFT JOIN {table} AS r ON {scope} AND r.user_id = %s"
        ).format(
            found=found,
            counts=sql.Identifier(self.counts),
            counted=counted,
            ckey=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(n)) for n in self.key),
            key=key,
            table=sql.Identifier(self.table),
            scope=sql.SQL(" AND ").join(
                sql.SQL("r.{} = %s").format(sql.Identifier(n)) for n in self.scoped
            ),
        )

    @property
    def size(self) -> sql.Composed:
        """How many shown members the board ranks."""
        return sql.SQL("SELECT COALESCE(SUM(members), 0)::bigint FROM {} WHERE {}").format(
            sql.Identifier(self.counts), self._scope()
        )


BOARDS: dict[BoardKind, BoardSql] = {
    "streak": BoardSql(
        table="member_stats",
        scoped=("guild_id",),
        row=("user_id", "current_streak", "best_streak", "total_days"),
        order=("current_streak", "best_streak", "total_days", "user_id"),
        counts="standing_counts",
        key=("current_streak", "best_streak", "total_days"),
        page_key=("score", "best", "total"),
    ),
    "month": BoardSql(
        table="monthly_days",
        scoped=("guild_id", "month"),
        row=("user_id", "days", "best_streak", "total_days"),
        order=("days", "best_streak", "total_days", "user_id"),
        counts="month_counts",
        key=("days", "best_streak", "total_days"),
        page_key=("score", "best", "total"),
    ),
    "all-time": BoardSql(
        table="member_stats",
        scoped=("guild_id",),
        row=("user_id", "total_days", "best_streak", "total_days"),
        order=("total_days", "best_streak", "user_id"),
        counts="standing_counts",
        key=("total_days", "best_streak"),
        page_key=("score", "best"),
    ),
}

RENDERED: dict[tuple[BoardKind, str], bytes] = {
    (kind, name): getattr(spec, name).as_bytes(None)
    for kind, spec in BOARDS.items()
    for name in (
        *("top", "after", "before", "ranks", "placing", "size"),
        *("ranked_top", "ranked_after", "ranked_before"),
    )
}
"""Every board statement as the bytes sent. Composing one from its parts costs more than
running it (about 0.2 ms for `ranks`), so it is done once, at import."""


def _scope(board: Board) -> tuple[int | str, ...]:
    return (board.guild_id,) if board.month is None else (board.guild_id, board.month)


def _cutoff(now: datetime) -> str:
    return now.astimezone(UTC).isoformat()  # stored expiries are UTC text


def _board_row(row: tuple[Any, ...]) -> BoardRow:
    return BoardRow(row[0], row[1], row[2], row[3])


def _ranked_rows(found: psycopg.Cursor[Any]) -> list[RankedRow]:
    """What a ranked page statement (`BoardSql._ranked`) returns."""
    return [RankedRow(int(row[4]), _board_row(row)) for row in found]


def _placing(found: psycopg.Cursor[Any]) -> Placing:
    """What the placing statement (always one row) says of the member."""
    row = found.fetchone()
    assert row is not None
    if row[4]:
        return Hidden()
    if row[0] is None:
        return None
    return RankedRow(1 + int(row[5]), _board_row(row))


def _as_row(s: Standing) -> BoardRow:
    return BoardRow(s.user_id, s.current, s.best, s.total)


def _as_standing(r: BoardRow) -> Standing:
    return Standing(r.user_id, r.score, r.best, r.total)


class PostgresStreaks:
    """Back-day logs and the streak cache (the `StreakStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def member_streak(self, guild_id: int, user_id: int) -> MemberStreak:
        """The member's zone, the server's target, their logged days and stored best, in
        one statement."""
        params = (
            *(user_id, guild_id, DEFAULT_TIMEZONE, guild_id, DEFAULT_WEEKLY_TARGET),
            *(guild_id, user_id, guild_id, user_id),
        )
        timezone, target, days, best = fetch_one(self.conn, MEMBER_STREAK, params)
        logged = [date.fromisoformat(day) for day in days]
        return MemberStreak(str(timezone), int(target), logged, int(best))

    def logged_days(self, guild_id: int, user_id: int) -> list[date]:
        rows = self.conn.execute(LOGGED_DAYS, (guild_id, user_id))
        return [date.fromisoformat(row[0]) for row in rows]

    def logs_between(self, guild_id: int, first: date, last: date) -> list[tuple[int, date]]:
        rows = self.conn.execute(LOGS_BETWEEN, (guild_id, first.isoformat(), last.isoformat()))
        return sorted((int(user_id), date.fromisoformat(day)) for user_id, day in rows)

    def insert_log(
        self,
        guild_id: int,
        user_id: int,
        day: date,
        note: str | None,
        logged_at: datetime,
    ) -> None:
        """Log the day; a day already logged is left as it is. Sent without waiting: a
        log of the same day committed by another unit after this one's snapshot makes
        the insert fail with a serialization failure (at REPEATABLE READ, even with ON
        CONFLICT DO NOTHING), and the unit re-runs."""
        params = (guild_id, user_id, day.isoformat(), note, logged_at.isoformat())
        self.conn.execute(INSERT_LOG, params)

    def delete_log(self, guild_id: int, user_id: int, day: date) -> None:
        """Remove the member's log of that day, if there is one; sent without waiting."""
        self.conn.execute(DELETE_LOG, (guild_id, user_id, day.isoformat()))

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
        """`insert_log` then `save_stats`, both sent without waiting (the triggers of
        migration 0002 keep the month row)."""
        self.insert_log(guild_id, user_id, day, note, logged_at)
        self.save_stats(
            guild_id, user_id, current=current, best=best, total=total, expires_at=expires_at
        )

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
        """Store the recomputed streak, sent without waiting (the caller knows the stored
        best from `member_streak`; a concurrent change of the row after this unit's
        snapshot makes the upsert fail with a serialization failure, and the unit re-run).

        The best streak never falls: the stored best is the highest ever recomputed, so an
        undo or a raised weekly target cannot take it away. A member with no logs left has
        no row (and starts again from nothing). A new row starts hidden if the member hid
        themselves from the leaderboards (a first log in another server, say).
        """
        if total == 0:
            self.conn.execute(DELETE_STATS, (guild_id, user_id))
            return
        expiry = None if expires_at is None else expires_at.isoformat()
        self.conn.execute(SAVE_STATS, (guild_id, user_id, current, best, total, expiry, user_id))

    def expire_streaks(self, now: datetime) -> int:
        """Zero every current streak whose last qualifying week has lapsed by `now`.

        Most calls find nothing to do, in one read through the expiry index. In a write
        unit the update is part of it. A read unit runs READ ONLY on one snapshot, so there
        the read transaction is ended (it wrote nothing), the update commits on its own,
        and a new read-only snapshot, which sees it, carries the rest of the unit: in one
        round trip (a pipeline). Statements of the unit before this call saw the older
        snapshot; every caller expires first, or reads nothing this changes before.
        """
        cutoff = _cutoff(now)
        return self._expire(self.conn.execute(EXPIRY_DUE, (cutoff,)), cutoff)

    def _expire(self, check: psycopg.Cursor[Any], cutoff: str) -> int:
        """`expire_streaks` once EXPIRY_DUE (`check`, already sent) answers."""
        read_only, due = check.fetchone() or (None, None)
        if not due:
            return 0
        if not read_only:
            return affected(self.conn, EXPIRE, (cutoff,), prepare=False)
        with self.conn.pipeline():
            self.conn.execute(b"COMMIT")
            self.conn.execute(b"BEGIN ISOLATION LEVEL READ COMMITTED")
            expired = self.conn.execute(EXPIRE_UNLOCKED, (cutoff,), prepare=False)
            self.conn.execute(b"COMMIT")
            self.conn.execute(b"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return expired.rowcount

    def guild_members(self, guild_id: int) -> list[int]:
        """Everyone with a log in this server (for recomputing after a target change)."""
        return [row[0] for row in self.conn.execute(GUILD_MEMBERS, (guild_id,))]

    def member_guilds(self, user_id: int) -> list[int]:
        """The servers where this member has a streak row."""
        return [row[0] for row in self.conn.execute(MEMBER_GUILDS, (user_id,))]

    # --- the leaderboards ------------------------------------------------------------------

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
        spec = BOARDS[board.kind]
        if before is not None:
            params = (*_scope(board), *spec.cursor(before), limit)
            found = self.conn.execute(RENDERED[board.kind, "before"], params)
            return [_board_row(row) for row in found][::-1]
        if after is not None:
            params = (*_scope(board), *spec.cursor(after), limit)
            found = self.conn.execute(RENDERED[board.kind, "after"], params)
        else:
            found = self.conn.execute(RENDERED[board.kind, "top"], (*_scope(board), limit))
        return [_board_row(row) for row in found]

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
        """The expiry check, the board's size, the page's ranked rows and the member's
        placing are sent before any result is waited for, so they share one round trip.
        In the rare cases the expiry check finds lapsed streaks (it expires them, on a
        new snapshot in a read unit) or the cursor reaches nothing, what depends on it
        is read again.
        """
        expiry = None
        if now is not None:
            cutoff = _cutoff(now)
            expiry = (self.conn.execute(EXPIRY_DUE, (cutoff,)), cutoff)
        size = self.conn.execute(RENDERED[board.kind, "size"], _scope(board))
        rows = self._send_ranked(board, limit, after, before)
        placing = self._send_placing(board, user_id)
        if expiry is not None and self._expire(*expiry):
            return self.board_page(board, limit, user_id, after=after, before=before)
        found = _ranked_rows(rows)
        moved = after is not None or before is not None
        restarted = moved and (not found or (before is not None and len(found) < limit))
        if restarted:
            found = _ranked_rows(self._send_ranked(board, limit, None, None))
        (members,) = size.fetchone() or (0,)
        return BoardPage(int(members), found, _placing(placing), restarted)

    def _send_ranked(
        self, board: Board, limit: int, after: BoardRow | None, before: BoardRow | None
    ) -> psycopg.Cursor[Any]:
        """The ranked page statement (`BoardSql._ranked`), sent."""
        spec, scope = BOARDS[board.kind], _scope(board)
        if before is not None:
            params = (*scope, *spec.cursor(before), limit, *scope, *scope)
            return self.conn.execute(RENDERED[board.kind, "ranked_before"], params)
        if after is not None:
            params = (*scope, *spec.cursor(after), limit, *scope, *scope)
            return self.conn.execute(RENDERED[board.kind, "ranked_after"], params)
        params = (*scope, limit, *scope, *scope)
        return self.conn.execute(RENDERED[board.kind, "ranked_top"], params)

    def board_ranks(self, board: Board, rows: list[BoardRow]) -> list[RankedRow]:
        """Ranks for consecutive rows in rank order: ties share a rank (1, 1, 3). One
        statement whatever the page: the first row's rank, and how many members hold each
        standing the page spans.
        """
        if not rows:
            return []
        spec = BOARDS[board.kind]
        first, last = spec.rank_key(rows[0]), spec.rank_key(rows[-1])
        scope = _scope(board)
        found = self.conn.execute(
            RENDERED[board.kind, "ranks"], (*scope, *first, *scope, *first, *last)
        ).fetchall()
        members = {tuple(row[1:-1]): int(row[-1]) for row in found if row[-1] is not None}
        ranked = [RankedRow(1 + int(found[0][0]), rows[0])]
        for row in rows[1:]:
            previous = ranked[-1]
            previous_key = spec.rank_key(previous.row)
            if previous_key == spec.rank_key(row):
                rank = previous.rank
            else:
                rank = previous.rank + members[previous_key]
            ranked.append(RankedRow(rank, row))
        return ranked

    def board_placing(self, board: Board, user_id: int) -> Placing:
        """The member's row and rank, or whether they hid themselves, in one statement."""
        return _placing(self._send_placing(board, user_id))

    def _send_placing(self, board: Board, user_id: int) -> psycopg.Cursor[Any]:
        return self.conn.execute(
            RENDERED[board.kind, "placing"], (user_id, *_scope(board), user_id)
        )

    def board_size(self, board: Board) -> int:
        size = RENDERED[board.kind, "size"]
        (members,) = self.conn.execute(size, _scope(board)).fetchone() or (0,)
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
