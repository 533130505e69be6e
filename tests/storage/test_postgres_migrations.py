"""PostgreSQL migrations: numbered files, applied once under an advisory lock, even when
several processes start at the same moment against an empty database."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from bot.storage.postgres import PostgresStorage
from bot.storage.postgres.connection import PostgresDatabase
from bot.storage.postgres.migrations import (
    DatabaseTooNewError,
    available_migrations,
    migrate,
    schema_version,
)
from tests.postgres import fresh_database

LATEST = available_migrations()[-1].version


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in available_migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_processes_starting_together_migrate_once() -> None:
    """Eight openings at once on an empty database (threads stand in for processes: each
    has its own connection, so only the advisory lock keeps them apart)."""
    url = fresh_database(migrated=False)
    with ThreadPoolExecutor(8) as pool:
        opened = list(pool.map(lambda _: PostgresDatabase._open(url, 1), range(8)))
    for database in opened:
        database.pool.close()
    with psycopg.connect(url) as conn:
        assert schema_version(conn) == LATEST
        assert conn.execute(b"SELECT COUNT(*) FROM backbone_schema").fetchone() == (1,)
        # The retention job's one row was inserted once, by the one migration run.
        assert conn.execute(b"SELECT COUNT(*) FROM retention").fetchone() == (1,)


def test_a_database_from_a_newer_backbone_is_refused() -> None:
    url = fresh_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(b"UPDATE backbone_schema SET version = version + 1")
    with pytest.raises(DatabaseTooNewError, match="only knows up to"):
        asyncio.run(PostgresStorage.open(url))


def test_migrating_in_steps_reaches_the_same_schema() -> None:
    """An older database (here: after the first migration only) upgrades in place."""
    url = fresh_database(migrated=False)
    with psycopg.connect(url, autocommit=True) as conn:
        assert migrate(conn, target=1) == 1
        assert migrate(conn) == LATEST
        assert migrate(conn) == LATEST  # nothing left to do
        tables = {
            name
            for (name,) in conn.execute(
                b"SELECT table_name FROM information_schema.tables"
                b" WHERE table_schema = current_schema()"
            )
        }
    assert {"bot_state", "member_stats", "schedule", "retention"} <= tables
