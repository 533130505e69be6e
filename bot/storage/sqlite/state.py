"""The `bot_state` table: small facts the bot remembers about itself."""

from __future__ import annotations

import sqlite3

from bot.storage.sqlite.connection import fetch_one


class SqliteState:
    """Small facts the bot remembers about itself (the `StateStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get_state(self, key: str) -> str | None:
        row = fetch_one(self.conn, "SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
