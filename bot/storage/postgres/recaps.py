"""/coach recap on PostgreSQL (migration 0003); its schedule row follows by trigger."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import psycopg

from bot.storage.postgres.connection import affected, fetch_one
from bot.storage.recaps import ServerRecap


class PostgresRecaps:
    """Weekly server recaps (the `RecapStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get(self, guild_id: int) -> ServerRecap | None:
        row = fetch_one(
            self.conn,
            "SELECT guild_id, channel_id, due_at, last_week, last_status, last_at"
            " FROM server_recaps WHERE guild_id = %s",
            (guild_id,),
        )
        return None if row is None else ServerRecap(*row)

    def save(self, recap: ServerRecap) -> None:
        self.conn.execute(
            "INSERT INTO server_recaps"
            " (guild_id, channel_id, due_at, last_week, last_status, last_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,"
            " due_at = excluded.due_at, last_week = excluded.last_week,"
            " last_status = excluded.last_status, last_at = excluded.last_at",
            astuple(recap),
        )

    def delete(self, guild_id: int) -> bool:
        return (
            affected(self.conn, "DELETE FROM server_recaps WHERE guild_id = %s", (guild_id,)) == 1
        )
