"""Retention on PostgreSQL: the job's row (migration 0003) and bounded deletes by age.

Each table is pruned through an index on its age (`*_attempted`, `*_day`), oldest rows
found without a scan; a call deletes at most `limit` rows so one write unit stays short.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from bot.storage.postgres.connection import affected, fetch_one
from bot.storage.retention import Retained, RetentionRun

# table -> (its key columns, the age column, whether age is a day rather than an instant)
_TABLES: dict[Retained, tuple[tuple[str, ...], str, bool]] = {
    "ask_misses": (("guild_id", "day", "question"), "day", True),
    "entry_opens": (("guild_id", "day", "kind", "entry_id"), "day", True),
    "nudge_deliveries": (("user_id", "local_day"), "attempted_at", False),
    "backday_reminder_deliveries": (("user_id", "week"), "attempted_at", False),
}


def _prune_sql(table: str, keys: tuple[str, ...], age: str) -> sql.Composed:
    """Delete the oldest rows of `table` (by `age`) before a cutoff, at most a limit."""
    key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
    return sql.SQL(
        "DELETE FROM {table} WHERE ({keys}) IN"
        " (SELECT {keys} FROM {table} WHERE {age} < %s ORDER BY {age} LIMIT %s)"
    ).format(table=sql.Identifier(table), keys=key_list, age=sql.Identifier(age))


_PRUNE: dict[Retained, sql.Composed] = {
    table: _prune_sql(table, keys, age) for table, (keys, age, _by_day) in _TABLES.items()
}


class PostgresRetention:
    """The retention job's row and pruning (the `RetentionStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get(self) -> RetentionRun | None:
        row = fetch_one(
            self.conn, "SELECT due_at, last_run_at, last_pruned FROM retention WHERE key = 0"
        )
        return None if row is None else RetentionRun(*row)

    def save(self, run: RetentionRun) -> None:
        self.conn.execute(
            "INSERT INTO retention (key, due_at, last_run_at, last_pruned) VALUES (0, %s, %s, %s)"
            " ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at,"
            " last_run_at = excluded.last_run_at, last_pruned = excluded.last_pruned",
            (run.due_at, run.last_run_at, run.last_pruned),
        )

    def prune(self, table: Retained, before: int, limit: int) -> int:
        by_day = _TABLES[table][2]  # a KeyError for anything but the fixed tables above
        cutoff: int | str = (
            datetime.fromtimestamp(before, UTC).date().isoformat() if by_day else before
        )
        return affected(self.conn, _PRUNE[table], (cutoff, limit))
