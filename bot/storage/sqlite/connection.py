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

Checkpoints (copying the WAL back into the database file, with an fsync) would
otherwise run inside whichever commit crossed SQLite's threshold, stalling every
command queued behind it. A second connection, in its own thread, runs a PASSIVE
checkpoint every `CHECKPOINT_INTERVAL`, which never blocks the main connection's readers
or writer. The main connection checkpoints only past `WAL_FRAMES_BOUND` frames, which
the background thread keeps it from reaching unless the CPU never idles (a core saturated
by writes): the WAL then stays bounded, at the cost of one commit in several hundred
doing the copy, instead of growing and slowing every read (each page read searches the
WAL's index, which grows with the WAL).

The background thread runs only when nothing else wants the CPU (Linux's SCHED_IDLE
policy, where the system allows it): on a host with one core, or a busy one, a checkpoint
of a large database would otherwise take the CPU from the commands for milliseconds. A
lower nice value was not enough: the scheduler still gave the checkpoint whole time
slices of 2 to 6 ms while a command waited (measured with `benchmarks/streaks.py`),
whereas a thread waking up always preempts a SCHED_IDLE one at once. Any idle moment is
enough for it to keep the WAL short; a core saturated by writes gives it only a slice
every second or two (measured), too little to keep up, which is what the bound is for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.sqlite.files import explain, explains
from bot.storage.sqlite.migrations import migrate

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
CHECKPOINT_INTERVAL = 2.0  # seconds
WAL_FRAMES_BOUND = 10_000
"""WAL frames (pages, about 40 MB) past which a commit checkpoints on the main connection."""
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


class Database:
    def __init__(self, conn: aiosqlite.Connection, checkpointer: aiosqlite.Connection) -> None:
        self.conn = conn
        """The aiosqlite connection, for start-up work (migrations) and tests."""
        self._checkpointer = checkpointer
        self._checkpoints = asyncio.create_task(self._checkpoint_loop(), name="wal-checkpoints")

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Create the file (and its folder) if needed, set pragmas and apply migrations.

        Raises `DatabaseFileError` when the path or file is the problem (an unwritable
        folder, a file that is not a database, ...), `DatabaseTooNewError` for a file a
        newer Backbone wrote.
        """
        try:
            return await cls._open(path)
        except (OSError, sqlite3.Error) as error:
            if not explains(error):
                raise
            raise explain(path, error) from error

    @classmethod
    async def _open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # See the module docstring.
            await conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_FRAMES_BOUND}")
            await migrate(conn)
            checkpointer = await _connect(path)
        except BaseException:
            await conn.close()
            raise
        await checkpointer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await checkpointer._execute(_run_only_when_idle)  # type: ignore[no-untyped-call]
        return cls(conn, checkpointer)

    async def close(self) -> None:
        self._checkpoints.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._checkpoints
        await self.conn.close()
        await self._checkpointer.close()

    async def checkpoint(self) -> None:
        """Copy committed WAL frames into the database file, without blocking anyone."""
        await self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL)
            try:
                await self.checkpoint()
            except sqlite3.Error:
                log.warning("WAL checkpoint failed; trying again later", exc_info=True)

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


async def _connect(path: Path) -> aiosqlite.Connection:
    """Open an aiosqlite connection in autocommit mode: the sqlite3 module opens no
    implicit transactions; `write` says BEGIN IMMEDIATE itself, so a unit's reads take
    the write lock up front."""
    pending = aiosqlite.connect(path, isolation_level=None)
    try:
        return await pending
    except BaseException:
        # When connecting fails, aiosqlite queues its worker thread's shutdown without
        # waiting for it; if the caller then ends the event loop (the CLI reporting a bad
        # DATABASE_PATH), the thread dies printing "Event loop is closed". Wait for it.
        await asyncio.to_thread(pending._thread.join, 5)
        raise


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


def _run_only_when_idle() -> None:
    """Put the calling thread under Linux's SCHED_IDLE policy (see the module docstring).

    On Linux a thread is a task of its own, so the call (pid 0: the calling thread)
    leaves the process's other threads as they are. Elsewhere, or where refused, the
    thread keeps the process's policy."""
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
