"""/coach recap on SQLite (migration 0005); its schedule row follows by trigger."""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, fields

from bot.storage.recaps import ServerRecap
from bot.storage.sqlite.connection import fetch_one

_COLUMNS = ", ".join(f.name for f in fields(ServerRecap))
_MARKS = ", ".join("?" for _ in fields(ServerRecap))


class SqliteRecaps:
    """Weekly server recaps (the `RecapStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, guild_id: int) -> ServerRecap | None:
        row = fetch_one(
            self.conn, f"SELECT {_COLUMNS} FROM server_recaps WHERE guild_id = ?", (guild_id,)
        )
        return None if row is None else ServerRecap(*row)

    def save(self, recap: ServerRecap) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO server_recaps ({_COLUMNS}) VALUES ({_MARKS})", astuple(recap)
        )

    def delete(self, guild_id: int) -> bool:
        cursor = self.conn.execute("DELETE FROM server_recaps WHERE guild_id = ?", (guild_id,))
        return cursor.rowcount == 1
