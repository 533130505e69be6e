"""The `bot_state` table: small facts the bot remembers about itself."""

from __future__ import annotations

from bot.storage.database import Database


async def get_state(db: Database, key: str) -> str | None:
    async with db.conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def set_state(db: Database, key: str, value: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
