"""Retention on SQLite: the job's row (migration 0005) and bounded deletes by age.

Each table is pruned through an index on its age (`*_attempted`, `*_day`), oldest rows
found without a scan; a call deletes at most `limit` rows so one write unit stays short.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.storage.retention import Retained, RetentionRun
from bot.storage.sqlite.connection import fetch_one

# table -> (its key columns, the age column, whether age is a day rather than an instant)
_TABLES: dict[Retained, tuple[str, str, bool]] = {
    "ask_misses": ("guild_id, day, question", "day", True),
    "entry_opens": ("guild_id, day, kind, entry_id", "day", True),
    "nudge_deliveries": ("user_id, local_day", "attempted_at", False),
    "backday_reminder_deliveries": ("user_id, week", "attempted_at", False),
}


class SqliteRetention:
    """The retention job's row and pruning (the `RetentionStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self) -> RetentionRun | None:
        row = fetch_one(
            self.conn, "SELECT due_at, last_run_at, last_pruned FROM retention WHERE key = 0"
        )
        return None if row is None else RetentionRun(*row)

    def save(self, run: RetentionRun) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO retention (key, due_at, last_run_at, last_pruned)"
            " VALUES (0, ?, ?, ?)",
            (run.due_at, run.last_run_at, run.last_pruned),
        )

    def prune(self, table: Retained, before: int, limit: int) -> int:
        keys, age, by_day = _TABLES[table]  # names from the fixed table above, never input
        cutoff: int | str = (
            datetime.fromtimestamp(before, UTC).date().isoformat() if by_day else before
        )
        cursor = self.conn.execute(
            f"DELETE FROM {table} WHERE ({keys}) IN"
            f" (SELECT {keys} FROM {table} WHERE {age} < ? ORDER BY {age} LIMIT ?)",
            (cutoff, limit),
        )
        return cursor.rowcount
