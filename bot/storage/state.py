"""The `bot_state` table: small facts the bot remembers about itself."""

from __future__ import annotations

from bot.storage.database import Database, fetch_all


async def get_state(db: Database, key: str) -> str | None:
    rows = await fetch_all(db.conn, "SELECT value FROM bot_state WHERE key = ?", (key,))
    row = rows[0] if rows else None
    return None if row is None else str(row[0])


async def set_state(db: Database, key: str, value: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
