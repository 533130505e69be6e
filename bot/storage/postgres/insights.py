"""/coach insights on PostgreSQL: the anonymous counters (migration 0003) and the figures
read for one server from the features' own tables.

Every read starts from the server: its counters by the (guild_id, day, ...) primary keys,
its members' posture reminders by `reminders_guild`, its streak rows by member_stats'
primary key, and each member's deliveries by theirs; its logs by `backday_logs_guild_day`.
Ties in the top lists are broken in byte order (COLLATE "C"), as SQLite compares text,
whatever collation the database was created with. COUNT and SUM come back as bigint or
numeric and are returned as Python ints.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from bot.storage.insights import AskMiss, EntryOpen, Totals
from bot.storage.postgres.connection import fetch_one


class PostgresInsights:
    """Usage counters and server figures (the `InsightsStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def record_miss(self, guild_id: int, day: date, question: str) -> None:
        self.conn.execute(
            "INSERT INTO ask_misses (guild_id, day, question, count) VALUES (%s, %s, %s, 1)"
            " ON CONFLICT (guild_id, day, question) DO UPDATE SET count = ask_misses.count + 1",
            (guild_id, day.isoformat(), question),
        )

    def record_open(self, guild_id: int, day: date, kind: str, entry_id: str) -> None:
        self.conn.execute(
            "INSERT INTO entry_opens (guild_id, day, kind, entry_id, count)"
            " VALUES (%s, %s, %s, %s, 1)"
            " ON CONFLICT (guild_id, day, kind, entry_id)"
            " DO UPDATE SET count = entry_opens.count + 1",
            (guild_id, day.isoformat(), kind, entry_id),
        )

    def top_misses(self, guild_id: int, since: date, limit: int) -> list[AskMiss]:
        rows = self.conn.execute(
            "SELECT question, SUM(count) AS asked FROM ask_misses"
            " WHERE guild_id = %s AND day >= %s GROUP BY question"
            ' ORDER BY asked DESC, question COLLATE "C" LIMIT %s',
            (guild_id, since.isoformat(), limit),
        )
        return [AskMiss(str(question), int(asked)) for question, asked in rows]

    def miss_totals(self, guild_id: int, since: date) -> Totals:
        distinct, count = fetch_one(
            self.conn,
            "SELECT COUNT(DISTINCT question), COALESCE(SUM(count), 0) FROM ask_misses"
            " WHERE guild_id = %s AND day >= %s",
            (guild_id, since.isoformat()),
        )
        return Totals(int(distinct), int(count))

    def top_opens(self, guild_id: int, since: date, limit: int) -> list[EntryOpen]:
        rows = self.conn.execute(
            "SELECT kind, entry_id, SUM(count) AS opened FROM entry_opens"
            " WHERE guild_id = %s AND day >= %s GROUP BY kind, entry_id"
            ' ORDER BY opened DESC, kind COLLATE "C", entry_id COLLATE "C" LIMIT %s',
            (guild_id, since.isoformat(), limit),
        )
        return [EntryOpen(str(kind), str(entry), int(opened)) for kind, entry, opened in rows]

    def open_totals(self, guild_id: int, since: date) -> Totals:
        distinct, count = fetch_one(
            self.conn,
            "SELECT COUNT(*), COALESCE(SUM(opened), 0) FROM (SELECT SUM(count) AS opened"
            " FROM entry_opens WHERE guild_id = %s AND day >= %s GROUP BY kind, entry_id)"
            " AS entries",
            (guild_id, since.isoformat()),
        )
        return Totals(int(distinct), int(count))

    def nudge_outcomes(self, guild_id: int, since: int) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT d.status, COUNT(*) FROM reminders AS r"
            " JOIN nudge_deliveries AS d ON d.user_id = r.user_id"
            " WHERE r.guild_id = %s AND d.attempted_at >= %s GROUP BY d.status",
            (guild_id, since),
        )
        return {str(status): int(n) for status, n in rows}

    def reminder_outcomes(self, guild_id: int, since: int) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT d.status, COUNT(*) FROM member_stats AS m"
            " JOIN backday_reminder_deliveries AS d ON d.user_id = m.user_id"
            " WHERE m.guild_id = %s AND d.attempted_at >= %s GROUP BY d.status",
            (guild_id, since),
        )
        return {str(status): int(n) for status, n in rows}

    def posture_members(self, guild_id: int) -> int:
        (n,) = fetch_one(
            self.conn, "SELECT COUNT(*) FROM reminders WHERE guild_id = %s", (guild_id,)
        )
        return int(n)

    def reminder_members(self, guild_id: int) -> int:
        (n,) = fetch_one(
            self.conn,
            "SELECT COUNT(*) FROM member_stats AS m"
            " JOIN backday_reminders AS b ON b.user_id = m.user_id WHERE m.guild_id = %s",
            (guild_id,),
        )
        return int(n)

    def members_logged(self, guild_id: int, since: date) -> int:
        (n,) = fetch_one(
            self.conn,
            "SELECT COUNT(DISTINCT user_id) FROM backday_logs WHERE guild_id = %s AND day >= %s",
            (guild_id, since.isoformat()),
        )
        return int(n)

    def streak_spread(self, guild_id: int) -> dict[int, int]:
        # standing_counts already counts members per standing: a few thousand rows at most.
        rows = self.conn.execute(
            "SELECT current_streak, SUM(members) FROM standing_counts WHERE guild_id = %s"
            " GROUP BY current_streak",
            (guild_id,),
        )
        return {int(current): int(n) for current, n in rows}
