"""The schedule on SQLite: triggers on each kind's table keep it (migration 0005).

A SQLite file belongs to one bot process, so its leases only ever keep that process's
scheduler from taking a row twice (it leases the next batch while one is still being
sent): they live in the process's memory (`Leases`), not in the file, and a restart
rightly starts with none. See `bot.storage.schedule` for what leases are for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from bot.storage.sqlite.connection import fetch_one

Row = tuple[str, int]


class Leases:
    """The rows this process holds: (kind, key) -> (the due instant it was leased at, the
    end of the lease). A lease ends early when the row's due instant changes."""

    def __init__(self) -> None:
        self._held: dict[Row, tuple[int, int]] = {}

    def holds(self, row: Row, due_at: int, now: int) -> bool:
        held = self._held.get(row)
        return held is not None and held[0] == due_at and held[1] > now

    def hold(self, row: Row, due_at: int, until: int) -> None:
        self._held[row] = (due_at, until)

    def forget_ended(self, now: int) -> None:
        self._held = {row: held for row, held in self._held.items() if held[1] > now}


class SqliteSchedule:
    """The schedule of timed deliveries (the `ScheduleStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection, leases: Leases | None = None) -> None:
        self.conn = conn
        self.leases = Leases() if leases is None else leases
        """The storage's leases; a schedule made on its own (a plan check) holds none."""

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
        self.leases.forget_ended(now)
        rows = self.conn.execute(
            # The due index, walked from the soonest (and only as far as needed, past the
            # rows this process holds): the primary key (kind first) would have to sort
            # every row of those kinds.
            f"SELECT kind, key, due_at FROM schedule INDEXED BY schedule_due"
            f" WHERE due_at <= ? AND kind IN ({marks}) ORDER BY due_at",
            (now, *kinds),
        )
        taken: list[Row] = []
        try:
            for kind, key, due_at in rows:
                if len(taken) == limit:
                    break
                row = (str(kind), int(key))
                if not self.leases.holds(row, due_at, now):
                    self.leases.hold(row, due_at, until)
                    taken.append(row)
        finally:
            rows.close()
        return taken
