"""Numbered, forward-only `.sql` migrations tracked by `PRAGMA user_version`.

`migrations/0003_add_x.sql` upgrades a database from version 2 to 3. Each file runs
in its own transaction together with the version bump, so a failed migration leaves
the database at the previous version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseTooNewError(Exception):
    """The file was written by a newer Backbone; running older code on it could lose data."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("bot.storage.sqlite").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(
            f"migration numbers must run 1..n without gaps: {[m.name for m in found]}"
        )
    return found


async def schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: aiosqlite.Connection, target: int | None = None) -> int:
    """Apply pending migrations up to `target` (default: all); return the final version."""
    migrations = available_migrations()
    latest = migrations[-1].version if migrations else 0
    current = await schema_version(db)
    if current > latest:
        raise DatabaseTooNewError(
            f"the database is at schema version {current}, but this Backbone only knows up to "
            f"{latest}. Upgrade Backbone, or point DATABASE_PATH at another file."
        )
    goal = latest if target is None else target
    for migration in migrations:
        if current < migration.version <= goal:
            try:
                await db.executescript(
                    f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
                )
            except Exception:
                if db.in_transaction:
                    await db.rollback()
                raise
            current = migration.version
    return current
