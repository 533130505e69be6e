"""The `bot_state` table: small facts the bot remembers about itself."""

from __future__ import annotations

import sqlite3

from bot.storage.sqlite.connection import fetch_one


def get_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = fetch_one(conn, "SELECT value FROM bot_state WHERE key = ?", (key,))
    return None if row is None else str(row[0])


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO bot_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
