"""Units on PostgreSQL where they differ from SQLite's: they run at once, and in
pipeline mode.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pytest

from bot.storage.postgres.connection import PostgresDatabase
from tests.postgres import fresh_database


async def test_a_statement_prepared_in_a_failed_pipeline_still_runs_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit's statements are sent without waiting, so some may follow one that fails.
    The server skips them, including a PREPARE psycopg sent on a statement's sixth run
    and already counts as done; the connection must not be left believing it (every
    later run would fail with "prepared statement does not exist"), nor log about the
    aborted pipeline."""
    database = await PostgresDatabase.open(fresh_database(), size=1)  # one connection
    statement = b"SELECT %s::int + 1"

    def warm(conn: psycopg.Connection[Any]) -> None:
        for _ in range(conn.prepare_threshold or 0):  # the next run prepares it
            conn.execute(statement, (1,)).fetchone()

    def fail_then_prepare(conn: psycopg.Connection[Any]) -> None:
        conn.execute(b"SELECT 1 / %s", (0,))
        conn.execute(statement, (2,))

    def fail(conn: psycopg.Connection[Any]) -> None:
        conn.execute(b"SELECT 1 / %s", (0,)).fetchone()

    try:
        # A first failure: psycopg happens to forget its prepared statements on the
        # first ROLLBACK a connection runs, and only then.
        with pytest.raises(psycopg.errors.DivisionByZero):
            await database.write(fail)
        await database.write(warm)
        with (
            caplog.at_level(logging.WARNING, logger="psycopg"),
            pytest.raises(psycopg.errors.DivisionByZero),
        ):
            await database.write(fail_then_prepare)
        assert not caplog.records
        again = await database.write(lambda conn: conn.execute(statement, (3,)).fetchone())
        assert again == (4,)
    finally:
        await database.close()
