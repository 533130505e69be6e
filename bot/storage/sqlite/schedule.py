"""The schedule on SQLite: triggers on each kind's table keep it (migration 0005).

A SQLite file belongs to one bot process, whose scheduler handles one batch at a time,
so a due row can only ever be taken by that process: `lease` returns the due rows
without recording a lease (see `bot.storage.schedule` for what leases are for).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from bot.storage.sqlite.connection import fetch_one


class SqliteSchedule:
    """The schedule of timed deliveries (the `ScheduleStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def next_due_at(self, kinds: Collection[str]) -> int | None:
        found = []
        for kind in kinds:  # one index lookup each: kinds are few
            (due,) = fetch_one(
                self.conn, "SELECT MIN(due_at) FROM schedule WHERE kind = ?", (kind,)
            )
            if due is not None:
                found.append(int(due))
        return min(found, default=None)

    def lease(
        self, now: int, until: int, limit: int, kinds: Collection[str]
    ) -> list[tuple[str, int]]:
        if not kinds:
            return []
        marks = ", ".join("?" for _ in kinds)
        rows = self.conn.execute(
            # The due index, walked from the soonest: the primary key (kind first) would
            # have to sort every row of those kinds.
            f"SELECT kind, key FROM schedule INDEXED BY schedule_due"
            f" WHERE due_at <= ? AND kind IN ({marks}) ORDER BY due_at LIMIT ?",
            (now, *kinds, limit),
        )
        return [(str(kind), int(key)) for kind, key in rows]
