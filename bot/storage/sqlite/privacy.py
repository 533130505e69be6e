"""/privacy export, summary and delete of one member's rows, on SQLite.

Every lookup finds the member's rows through an index on their id (the primary key, or
the `*_user` indexes of migration 0003; monthly_days' key leads with it), never by
scanning a table.
"""

from __future__ import annotations

import sqlite3

from bot.storage.privacy import MEMBER_TABLES, MemberSummary
from bot.storage.sqlite.connection import fetch_one


class SqlitePrivacy:
    """Export, count and delete a member's rows (the `PrivacyStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def export_member(self, user_id: int) -> dict[str, list[dict[str, object]]]:
        """Every row stored about the member: table name → rows as {column: value}."""
        exported: dict[str, list[dict[str, object]]] = {}
        for spec in MEMBER_TABLES:
            cursor = self.conn.execute(spec.select_sql, (user_id,))
            columns = [d[0] for d in cursor.description]
            exported[spec.table] = [dict(zip(columns, row, strict=True)) for row in cursor]
        return exported

    def summarize_member(self, user_id: int) -> MemberSummary:
        """How many rows each member table holds for the member, and in how many servers."""
        counts = {
            spec.table: int(fetch_one(self.conn, spec.count_sql, (user_id,))[0])
            for spec in MEMBER_TABLES
        }
        (servers,) = fetch_one(
            self.conn,
            "SELECT COUNT(*) FROM (SELECT guild_id FROM backday_logs WHERE user_id = ?"
            " UNION SELECT guild_id FROM member_stats WHERE user_id = ?)",
            (user_id, user_id),
        )
        return MemberSummary(counts, int(servers))

    def delete_member(self, user_id: int) -> dict[str, int]:
        """Delete every row stored about the member; rows deleted per table.

        Call inside one transaction (`Database.write`). Deleting member_stats and
        monthly_days rows fires the triggers of the standing and month histograms, so every
        leaderboard's ranks stay exact.
        """
        return {
            spec.table: self.conn.execute(spec.delete_sql, (user_id,)).rowcount
            for spec in MEMBER_TABLES
        }
