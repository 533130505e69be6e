"""/privacy export, summary and delete of one member's rows, on PostgreSQL.

The statements are built from the shared `MEMBER_TABLES` (whose own `*_sql` are written
for SQLite's `?` placeholders), with every name quoted as an identifier. Every lookup
finds the member's rows through an index on their id (a primary key leading with it, or
a `*_user` index), never by scanning a table.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from bot.storage.postgres.connection import affected
from bot.storage.privacy import MEMBER_TABLES, MemberSummary, MemberTable


def _names(columns: str) -> sql.Composed:
    """A comma-separated list of column names (a `MemberTable.order_by`), quoted."""
    return sql.SQL(", ").join(sql.Identifier(name.strip()) for name in columns.split(","))


def _select(spec: MemberTable) -> sql.Composed:
    return sql.SQL("SELECT * FROM {} WHERE {} = %s ORDER BY {}").format(
        sql.Identifier(spec.table), sql.Identifier(spec.column), _names(spec.order_by)
    )


def _delete(spec: MemberTable) -> sql.Composed:
    return sql.SQL("DELETE FROM {} WHERE {} = %s").format(
        sql.Identifier(spec.table), sql.Identifier(spec.column)
    )


def _summary() -> sql.Composed:
    """One statement: each member table's count (in MEMBER_TABLES order), then servers."""
    counts = [
        sql.SQL("(SELECT COUNT(*) FROM {} WHERE {} = %(user_id)s)").format(
            sql.Identifier(spec.table), sql.Identifier(spec.column)
        )
        for spec in MEMBER_TABLES
    ]
    servers = sql.SQL(
        "(SELECT COUNT(*) FROM (SELECT guild_id FROM backday_logs WHERE user_id = %(user_id)s"
        " UNION SELECT guild_id FROM member_stats WHERE user_id = %(user_id)s) AS servers)"
    )
    return sql.SQL("SELECT {}").format(sql.SQL(", ").join([*counts, servers]))


_SELECT = [(spec.table, _select(spec)) for spec in MEMBER_TABLES]
_DELETE = [(spec.table, _delete(spec)) for spec in MEMBER_TABLES]
_SUMMARY = _summary()


class PostgresPrivacy:
    """Export, count and delete a member's rows (the `PrivacyStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def export_member(self, user_id: int) -> dict[str, list[dict[str, object]]]:
        """Every row stored about the member: table name → rows as {column: value}, the
        columns in the table's own order."""
        exported: dict[str, list[dict[str, object]]] = {}
        for table, query in _SELECT:
            cursor = self.conn.execute(query, (user_id,))
            rows = cursor.fetchall()  # in a unit's pipeline, the columns come with the rows
            columns = [d.name for d in cursor.description or ()]
            exported[table] = [dict(zip(columns, row, strict=True)) for row in rows]
        return exported

    def summarize_member(self, user_id: int) -> MemberSummary:
        """How many rows each member table holds for the member, and in how many servers,
        in one round trip."""
        row = self.conn.execute(_SUMMARY, {"user_id": user_id}).fetchone()
        assert row is not None  # a SELECT without FROM always has its one row
        *counts, servers = (int(n) for n in row)
        tables = [spec.table for spec in MEMBER_TABLES]
        return MemberSummary(dict(zip(tables, counts, strict=True)), servers)

    def delete_member(self, user_id: int) -> dict[str, int]:
        """Delete every row stored about the member; rows deleted per table.

        Call inside one transaction (a write unit). The statements run one by one in
        MEMBER_TABLES order, so the triggers of each delete (the standing and month
        histograms, the month rows a deleted log counts in) see the ones before it.
        """
        return {table: affected(self.conn, query, (user_id,)) for table, query in _DELETE}
