"""The SQLite database: one file, WAL, foreign keys, busy timeout, migrated on open.

One aiosqlite connection serves the whole bot. Coroutines share it, so every write
goes through `transaction()`, which holds a lock for the whole BEGIN..COMMIT: without
it, two commands awaiting in the middle of their writes would interleave statements
inside one SQLite transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000


class Database:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Create the file (and its folder) if needed, set pragmas and apply migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE .. COMMIT (or ROLLBACK on error), one writer at a time."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()


async def open_database(path: Path) -> Database:
    return await Database.open(path)


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[aiosqlite.Row]:
    """Run a query and fetch every row in one hop to the database thread.

    `execute` + `fetchone` + closing the cursor costs three hops; on a busy machine each
    hop is a thread wake-up, so hot paths use this.
    """
    return list(await conn.execute_fetchall(sql, params))
