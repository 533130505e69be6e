"""The PostgreSQL backend: one database shared by several bot processes.

`PostgresStorage` implements `bot.storage.Storage` over a pool of psycopg connections;
each unit of work runs in a worker thread in one transaction (see `connection`). Its
schema is its own, in `migrations/`, numbered like SQLite's but written for PostgreSQL
(plpgsql triggers, BIGINT ids, leases on the schedule).
"""

from __future__ import annotations

from typing import Any

import psycopg

from bot.storage.base import T, Unit
from bot.storage.postgres.backday_reminders import PostgresBackdayReminders
from bot.storage.postgres.connection import PostgresDatabase
from bot.storage.postgres.insights import PostgresInsights
from bot.storage.postgres.posture import PostgresPosture
from bot.storage.postgres.privacy import PostgresPrivacy
from bot.storage.postgres.recaps import PostgresRecaps
from bot.storage.postgres.retention import PostgresRetention
from bot.storage.postgres.schedule import PostgresSchedule
from bot.storage.postgres.settings import PostgresSettings
from bot.storage.postgres.state import PostgresState
from bot.storage.postgres.streaks import PostgresStreaks


class PostgresTransaction:
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

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.settings = PostgresSettings(conn)
        self.streaks = PostgresStreaks(conn)
        self.posture = PostgresPosture(conn)
        self.privacy = PostgresPrivacy(conn)
        self.state = PostgresState(conn)
        self.schedule = PostgresSchedule(conn)
        self.backday_reminders = PostgresBackdayReminders(conn)
        self.recaps = PostgresRecaps(conn)
        self.insights = PostgresInsights(conn)
        self.retention = PostgresRetention(conn)


class PostgresStorage:
    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        """The pool itself, for start-up work, SQL-level tests and benchmarks."""

    @classmethod
    async def open(cls, url: str) -> PostgresStorage:
        """Connect to the database in `url` and apply migrations (under an advisory lock)."""
        return cls(await PostgresDatabase.open(url))

    async def read(self, work: Unit[T]) -> T:
        return await self.database.read(lambda conn: work(PostgresTransaction(conn)))

    async def write(self, work: Unit[T]) -> T:
        return await self.database.write(lambda conn: work(PostgresTransaction(conn)))

    async def close(self) -> None:
        await self.database.close()
