"""The SQLite backend: the embedded default, one file, no server.

`SqliteStorage` implements `bot.storage.Storage` over one `Database` connection; each
unit of work runs in the connection's thread in one hop (see `connection`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.storage.base import T, Unit
from bot.storage.sqlite.backday_reminders import SqliteBackdayReminders
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.insights import SqliteInsights
from bot.storage.sqlite.posture import SqlitePosture
from bot.storage.sqlite.privacy import SqlitePrivacy
from bot.storage.sqlite.recaps import SqliteRecaps
from bot.storage.sqlite.retention import SqliteRetention
from bot.storage.sqlite.schedule import Leases, SqliteSchedule
from bot.storage.sqlite.settings import SqliteSettings
from bot.storage.sqlite.state import SqliteState
from bot.storage.sqlite.streaks import SqliteStreaks


class SqliteTransaction:
    """The typed stores of one unit of work, over the connection it runs on."""

    __slots__ = (
        "backday_reminders",
        "insights",
        "posture",
        "privacy",
        "recaps",
        "retention",
        "schedule",
        "settings",
        "state",
        "streaks",
    )

    def __init__(self, conn: sqlite3.Connection, leases: Leases) -> None:
        self.settings = SqliteSettings(conn)
        self.streaks = SqliteStreaks(conn)
        self.posture = SqlitePosture(conn)
        self.privacy = SqlitePrivacy(conn)
        self.state = SqliteState(conn)
        self.schedule = SqliteSchedule(conn, leases)
        self.backday_reminders = SqliteBackdayReminders(conn)
        self.recaps = SqliteRecaps(conn)
        self.insights = SqliteInsights(conn)
        self.retention = SqliteRetention(conn)


class SqliteStorage:
    def __init__(self, database: Database) -> None:
        self.database = database
        """The connection itself, for start-up work, SQL-level tests and benchmarks."""
        self.leases = Leases()
        """The schedule rows this process holds (see `sqlite.schedule`)."""

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        """Create the file (and its folder) if needed, set pragmas and apply migrations."""
        return cls(await Database.open(path))

    async def read(self, work: Unit[T]) -> T:
        return await self.database.read(lambda conn: work(SqliteTransaction(conn, self.leases)))

    async def write(self, work: Unit[T]) -> T:
        return await self.database.write(lambda conn: work(SqliteTransaction(conn, self.leases)))

    async def close(self) -> None:
        await self.database.close()
