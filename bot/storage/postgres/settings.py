"""Per-server and per-member settings, on PostgreSQL."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import psycopg
from psycopg import sql

from bot.storage.postgres.connection import fetch_one
from bot.storage.settings import DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET, GuildSettings

_COLUMNS = [f.name for f in fields(GuildSettings)]
_EDITABLE = frozenset(_COLUMNS) - {"guild_id"}

_SELECT_GUILD = (
    sql.SQL("SELECT {} FROM guild_settings WHERE guild_id = %s")
    .format(sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)))
    .as_bytes(None)
)
"""Rendered once: composing it on every call cost more than running it."""

MEMBER_CONTEXT = (
    "SELECT COALESCE("
    " (SELECT timezone FROM member_settings WHERE user_id = %s),"
    " (SELECT timezone FROM guild_settings WHERE guild_id = %s), %s),"
    " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = %s), %s)"
)
"""(timezone, weekly target) of a member in a server, in one statement (every command)."""


class PostgresSettings:
    """Server and member settings (the `SettingsStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get_guild_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings, or the defaults if it never changed any."""
        row = self.conn.execute(_SELECT_GUILD, (guild_id,)).fetchone()
        return GuildSettings(guild_id) if row is None else GuildSettings(*row)

    def update_guild_settings(self, guild_id: int, **changes: str | int | None) -> GuildSettings:
        """Apply `changes` (column names of GuildSettings) and return the settings after,
        in one upsert: a server's first change inserts its row with the defaults for the
        rest (a CHECK or NOT NULL failure raises, as on SQLite)."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not a server setting: {', '.join(sorted(unknown))}")
        if not changes:
            self.conn.execute(
                "INSERT INTO guild_settings (guild_id) VALUES (%s) ON CONFLICT DO NOTHING",
                (guild_id,),
            )
            return self.get_guild_settings(guild_id)
        names = [sql.Identifier(name) for name in changes]  # names checked above
        upsert = sql.SQL(
            "INSERT INTO guild_settings (guild_id, {columns}) VALUES (%s, {values})"
            " ON CONFLICT (guild_id) DO UPDATE SET ({columns}) = ROW({excluded})"
            " RETURNING {returned}"
        ).format(
            columns=sql.SQL(", ").join(names),
            values=sql.SQL(", ").join(sql.Placeholder() for _ in names),
            excluded=sql.SQL(", ").join(sql.SQL("excluded.{}").format(n) for n in names),
            returned=sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
        )
        row = self.conn.execute(upsert, (guild_id, *changes.values())).fetchone()
        assert row is not None  # an upsert's RETURNING always has its row
        return GuildSettings(*row)

    def member_context(self, guild_id: int, user_id: int) -> tuple[str, int]:
        """(timezone, weekly target) for a member in a server, in one statement.

        The member's own timezone wins over the server's; both fall back to the defaults.
        """
        timezone, target = fetch_one(
            self.conn,
            MEMBER_CONTEXT,
            (user_id, guild_id, DEFAULT_TIMEZONE, guild_id, DEFAULT_WEEKLY_TARGET),
        )
        return str(timezone), int(target)

    def member_timezone(self, user_id: int) -> str | None:
        row = fetch_one(
            self.conn, "SELECT timezone FROM member_settings WHERE user_id = %s", (user_id,)
        )
        return None if row is None or row[0] is None else str(row[0])

    def reminder_zone(self, user_id: int) -> str:
        return self.member_timezone(user_id) or DEFAULT_TIMEZONE

    def set_member_timezone(self, user_id: int, timezone: str) -> None:
        self.conn.execute(
            "INSERT INTO member_settings (user_id, timezone) VALUES (%s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, timezone),
        )

    def leaderboard_hidden(self, user_id: int) -> bool:
        row = fetch_one(
            self.conn,
            "SELECT leaderboard_hidden FROM member_settings WHERE user_id = %s",
            (user_id,),
        )
        return row is not None and bool(row[0])

    def set_leaderboard_hidden(self, user_id: int, hidden: bool) -> bool:
        """Store the choice; the triggers of migration 0002 carry it to the member's ranked
        rows in every server, in the same statement."""
        if self.leaderboard_hidden(user_id) == hidden:
            return False
        self.conn.execute(
            "INSERT INTO member_settings (user_id, leaderboard_hidden) VALUES (%s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET leaderboard_hidden = excluded.leaderboard_hidden",
            (user_id, int(hidden)),
        )
        if not hidden:  # a row that only said "hidden" says nothing now: keep no data
            self.conn.execute(
                "DELETE FROM member_settings"
                " WHERE user_id = %s AND timezone IS NULL AND leaderboard_hidden = 0",
                (user_id,),
            )
        return True
