"""The PostgreSQL database: a pool of connections, each unit of work in one transaction.

A unit (`bot.storage.base.Unit`) is synchronous, so it runs in a worker thread on a
pooled psycopg connection, as on SQLite it runs in the connection's own thread: one hop
between the event loop and the database per command, whatever the unit does. psycopg 3's
synchronous connections fit this model directly (asyncpg would need every store method
to become a coroutine), and psycopg prepares a statement on the server once it has run a
few times, so a hot unit pays parsing once.

SQLite runs one unit at a time, so every unit there is serial by construction. Here
several run at once, across threads and processes. Write units run at REPEATABLE READ
(snapshot isolation): each sees one snapshot, and when two change the same row the later
one is refused with a serialization failure (or they deadlock), and is simply run again
on a fresh snapshot. That is enough for every unit in the bot, because each unit that
reads rows and writes what follows from them writes a row that a conflicting unit writes
too: two logs of one member both write their member_stats row, two claims of one nudge
both write its delivery row, two identify reservations the same bucket row, two counts
of one standing the same histogram row. (SERIALIZABLE would also catch conflicts through
rows merely read, but its predicate locks are per index page: concurrent claims of
*different* members, whose keys share pages, refused each other about twice per claim
and cut a fan-out's throughput in half.) A unit must therefore be safe to re-run: it
does nothing but use its stores, which holds for every unit in the bot. Read units run
at REPEATABLE READ, READ ONLY: one snapshot, never refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, LiteralString, TypeVar

import psycopg
import psycopg.errors
from psycopg import pq, sql
from psycopg_pool import ConnectionPool

from bot.storage.postgres.migrations import migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[psycopg.Connection[Any]], T]

POOL_SIZE = 8
"""Connections (and worker threads) per process: enough for the scheduler's fan-out and
members' commands at once, few enough that several processes fit PostgreSQL's default
100 connections."""
MAX_ATTEMPTS = 30
"""A write unit refused this many times in a row (each with a growing pause) gives up."""
CONNECT_TIMEOUT = 10


class PostgresUnavailable(Exception):
    """DATABASE_URL names a server Backbone cannot use; the message says why and how to fix."""


_RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)


class PostgresDatabase:
    def __init__(self, pool: ConnectionPool[psycopg.Connection[Any]]) -> None:
        self.pool = pool
        self._threads = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="postgres")

    @classmethod
    async def open(cls, url: str, *, size: int = POOL_SIZE) -> PostgresDatabase:
        """Connect, apply pending migrations (under an advisory lock) and open the pool."""
        return await asyncio.to_thread(cls._open, url, size)

    @classmethod
    def _open(cls, url: str, size: int) -> PostgresDatabase:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                migrate(conn)
        except psycopg.OperationalError as error:
            raise PostgresUnavailable(explain_connect_error(error)) from error
        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            configure=_configure,
            open=False,
            name="backbone",
        )
        pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        return cls(pool)

    async def close(self) -> None:
        await asyncio.to_thread(self.pool.close)
        self._threads.shutdown(wait=True)

    async def read(self, work: Work[T]) -> T:
        """Run `work` on one snapshot (REPEATABLE READ, READ ONLY), in a worker thread."""
        return await self._in_thread(lambda: self._read(work))

    async def write(self, work: Work[T]) -> T:
        """Run `work` in one REPEATABLE READ transaction, re-run if PostgreSQL refuses it."""
        return await self._in_thread(lambda: self._write(work))

    async def _in_thread(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    def _read(self, work: Work[T]) -> T:
        with self.pool.connection() as conn:
            return in_transaction(conn, work, "REPEATABLE READ, READ ONLY")

    def _write(self, work: Work[T]) -> T:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.pool.connection() as conn:
                    return in_transaction(conn, work, "REPEATABLE READ")
            except _RETRYABLE:
                if attempt == MAX_ATTEMPTS:
                    raise
                # Spread the retries of units that collided, so they do not collide again.
                time.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.05)))
        raise AssertionError("unreachable")


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Each new connection commits without waiting for its WAL to reach the disk.

    The same durability as the SQLite backend (WAL with `synchronous = NORMAL`): a crash
    of the machine (not of PostgreSQL or the bot) may lose the last fraction of a second
    of commits, never consistency. The wait for the disk was the largest part of a
    write's tail latency, and what could be lost is small: a back day logged in that
    instant (the member logs it again), or a nudge claimed in it, resent after the
    restart under the same nonce (which Discord drops if it still remembers it).
    """
    conn.execute(b"SET synchronous_commit = off")


def in_transaction(conn: psycopg.Connection[Any], work: Work[T], mode: str) -> T:
    """BEGIN (in `mode`); work; COMMIT, or ROLLBACK if `work` raises.

    The unit runs in pipeline mode: a statement is sent at once but its result is only
    waited for when the unit reads it (a fetch, or `affected`). So BEGIN travels with
    the first statement, and writes whose results nobody reads travel with the next
    read or the COMMIT: on a two-core machine each round trip to the server is a tenth
    of a millisecond or more, and a unit saves about a third of them.

    When a statement fails (a serialization failure, say), the server skips everything
    sent after it until the pipeline syncs, and psycopg records a statement as prepared
    when it sends its PREPARE, not when it succeeds: one prepared in the skipped part
    would be missing on the server ("prepared statement does not exist") every later
    time it ran on this connection. So the rollback is psycopg's own, which forgets
    every prepared statement on both sides (they are prepared again after a few runs).
    """
    try:
        with conn.pipeline() as pipeline:
            try:
                conn.execute(b"BEGIN ISOLATION LEVEL " + mode.encode())
                result = work(conn)
                conn.execute(b"COMMIT")
            except psycopg.Error:
                # psycopg may raise a failure as soon as its result arrives, in the
                # middle of the unit; collect the rest of the aborted pipeline here, or
                # leaving the block would log a warning about it on every retry.
                with contextlib.suppress(psycopg.Error):
                    pipeline.sync()
                raise
    except BaseException:
        if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
            conn.rollback()
        raise
    return result


def affected(
    conn: psycopg.Connection[Any],
    statement: LiteralString | bytes | sql.Composed,
    params: tuple[object, ...] = (),
    *,
    prepare: bool | None = None,
) -> int:
    """How many rows `statement` changed. A unit runs in pipeline mode, where a row count
    is only known once the statement's result is back: the nested block waits for it."""
    with conn.pipeline():
        cursor = conn.execute(statement, params, prepare=prepare)
    return cursor.rowcount


def fetch_one(conn: psycopg.Connection[Any], sql: str, params: tuple[object, ...] = ()) -> Any:
    """The first row of a query, or None."""
    return conn.execute(sql.encode(), params).fetchone()


def explain_connect_error(error: psycopg.OperationalError) -> str:
    """The first line of libpq's message, which names the host and what failed."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"cannot connect to the PostgreSQL server in DATABASE_URL: {first}. Check that the "
        "server runs, and the host, port, user, password and database name in the URL."
    )
