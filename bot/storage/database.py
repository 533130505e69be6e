"""Open the SQLite database: one file, WAL, foreign keys, busy timeout, migrated."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000


async def open_database(path: Path) -> aiosqlite.Connection:
    """Create the file (and its folder) if needed, set pragmas and apply migrations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA synchronous = NORMAL")
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db
