"""Numbered, forward-only `.sql` migrations for PostgreSQL, applied under an advisory lock.

`migrations/0002_add_x.sql` upgrades a database from version 1 to 2, as on SQLite, but the
version lives in the one-row table `backbone_schema` (PostgreSQL has no user_version).
Several processes may start at once against one database: each takes the same
session-level advisory lock before reading the version, so exactly one applies the
pending migrations and the others then find nothing to do. Each file runs in its own
transaction with the version bump, so a failed migration leaves the previous version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

MIGRATION_LOCK = 0x6261636B626F6E65  # "backbone", as a 64-bit advisory lock key


class DatabaseTooNewError(Exception):
    """The database was written by a newer Backbone; running older code on it could lose data."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("bot.storage.postgres").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(
            f"migration numbers must run 1..n without gaps: {[m.name for m in found]}"
        )
    return found


def schema_version(conn: psycopg.Connection[Any]) -> int:
    exists = conn.execute(b"SELECT to_regclass('backbone_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute(b"SELECT version FROM backbone_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection[Any], target: int | None = None) -> int:
    """Apply pending migrations up to `target` (default: all); return the final version.

    `conn` must be in autocommit mode: the lock is held across the migrations' own
    transactions and released at the end, even if one fails.
    """
    migrations = available_migrations()
    latest = migrations[-1].version if migrations else 0
    conn.execute(b"SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        current = schema_version(conn)
        if current > latest:
            raise DatabaseTooNewError(
                f"the database is at schema version {current}, but this Backbone only knows "
                f"up to {latest}. Upgrade Backbone, or point DATABASE_URL at another database."
            )
        goal = latest if target is None else target
        for migration in migrations:
            if current < migration.version <= goal:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        b"CREATE TABLE IF NOT EXISTS backbone_schema (version INTEGER NOT NULL)"
                    )
                    conn.execute(b"DELETE FROM backbone_schema")
                    conn.execute(
                        b"INSERT INTO backbone_schema (version) VALUES (%s)", (migration.version,)
                    )
                current = migration.version
        return current
    finally:
        conn.execute(b"SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
