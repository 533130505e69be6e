"""The `bot_state` table: small facts the bot remembers about itself."""

from __future__ import annotations

from typing import Any

import psycopg

from bot.storage.postgres.connection import fetch_one


class PostgresState:
    """Small facts the bot remembers about itself (the `StateStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get_state(self, key: str) -> str | None:
        row = fetch_one(self.conn, "SELECT value FROM bot_state WHERE key = %s", (key,))
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
