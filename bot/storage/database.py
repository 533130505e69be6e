"""The SQLite database: one file, WAL, foreign keys, busy timeout, migrated on open.

One aiosqlite connection serves the whole bot, and aiosqlite runs every call in the
connection's own thread. Each unit of work here (`read`, `write`) is a plain function
over the `sqlite3.Connection` that runs there in one hop: a command's reads, its
computation and its writes cross between the event loop and the database thread once,
not once per statement. On a busy two-core machine each hop is a thread wake-up costing
up to a millisecond, which is what set the tail latency of the streak commands.

Because the thread runs one unit at a time, a unit is never interleaved with another:
`write` is BEGIN IMMEDIATE .. COMMIT with nothing else in between, and the statements of
a `read` see one consistent state without a transaction of their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


class Database:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        """The aiosqlite connection, for start-up work (migrations) and tests."""

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Create the file (and its folder) if needed, set pragmas and apply migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: the sqlite3 module opens no implicit transactions; `write` says
        # BEGIN IMMEDIATE itself, so a unit's reads take the write lock up front.
        conn = await aiosqlite.connect(path, isolation_level=None)
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

    async def read(self, work: Work[T]) -> T:
        """Run `work` in the database thread, in one hop."""
        return await self._in_thread(work)

    async def write(self, work: Work[T]) -> T:
        """Run `work` in one IMMEDIATE transaction in the database thread, in one hop.

        Committed if `work` returns, rolled back if it raises.
        """
        return await self._in_thread(lambda conn: in_transaction(conn, work))

    async def _in_thread(self, work: Work[T]) -> T:
        # aiosqlite queues `_execute`'s function on the connection's thread, the thread
        # its sqlite3 connection belongs to. Its public methods do the same, one
        # statement each; this is the one place that reaches past them.
        result: T = await self.conn._execute(work, self.conn._conn)  # type: ignore[no-untyped-call]
        return result


def in_transaction(conn: sqlite3.Connection, work: Work[T]) -> T:
    """BEGIN IMMEDIATE; work; COMMIT, or ROLLBACK if `work` raises. Database thread only."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def fetch_one(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> Any:
    """The first row of a query, or None."""
    return conn.execute(sql, params).fetchone()
