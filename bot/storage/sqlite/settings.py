"""Per-server and per-member settings, on SQLite."""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from bot.storage.settings import DEFAULT_TIMEZONE, DEFAULT_WEEKLY_TARGET, GuildSettings
from bot.storage.sqlite.connection import fetch_one

_COLUMNS = [f.name for f in fields(GuildSettings)]
_EDITABLE = frozenset(_COLUMNS) - {"guild_id"}


class SqliteSettings:
    """Server and member settings (the `SettingsStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get_guild_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings, or the defaults if it never changed any."""
        row = fetch_one(
            self.conn,
            f"SELECT {', '.join(_COLUMNS)} FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return GuildSettings(guild_id) if row is None else GuildSettings(*row)

    def update_guild_settings(self, guild_id: int, **changes: str | int | None) -> GuildSettings:
        """Apply `changes` (column names of GuildSettings) and return the settings after."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not a server setting: {', '.join(sorted(unknown))}")
        self.conn.execute(
            "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,)
        )
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)  # names checked above
            self.conn.execute(
                f"UPDATE guild_settings SET {assignments} WHERE guild_id = ?",
                (*changes.values(), guild_id),
            )
        return self.get_guild_settings(guild_id)

    def member_context(self, guild_id: int, user_id: int) -> tuple[str, int]:
        """(timezone, weekly target) for a member in a server, in one statement.

        The member's own timezone wins over the server's; both fall back to the defaults.
        """
        timezone, target = fetch_one(
            self.conn,
            "SELECT COALESCE("
            " (SELECT timezone FROM member_settings WHERE user_id = ?),"
            " (SELECT timezone FROM guild_settings WHERE guild_id = ?), ?),"
            " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = ?), ?)",
            (user_id, guild_id, DEFAULT_TIMEZONE, guild_id, DEFAULT_WEEKLY_TARGET),
        )
        return str(timezone), int(target)

    def member_timezone(self, user_id: int) -> str | None:
        row = fetch_one(
            self.conn, "SELECT timezone FROM member_settings WHERE user_id = ?", (user_id,)
        )
        return None if row is None or row[0] is None else str(row[0])

    def reminder_zone(self, user_id: int) -> str:
        return self.member_timezone(user_id) or DEFAULT_TIMEZONE

    def set_member_timezone(self, user_id: int, timezone: str) -> None:
        self.conn.execute(
            "INSERT INTO member_settings (user_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, timezone),
        )

    def leaderboard_hidden(self, user_id: int) -> bool:
        row = fetch_one(
            self.conn,
            "SELECT leaderboard_hidden FROM member_settings WHERE user_id = ?",
            (user_id,),
        )
        return row is not None and bool(row[0])

    def set_leaderboard_hidden(self, user_id: int, hidden: bool) -> bool:
        """Store the choice; the triggers of migration 0004 carry it to the member's ranked
        rows in every server, in the same statement."""
        if self.leaderboard_hidden(user_id) == hidden:
            return False
        self.conn.execute(
            "INSERT INTO member_settings (user_id, leaderboard_hidden) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET leaderboard_hidden = excluded.leaderboard_hidden",
            (user_id, int(hidden)),
        )
        if not hidden:  # a row that only said "hidden" says nothing now: keep no data
            self.conn.execute(
                "DELETE FROM member_settings"
                " WHERE user_id = ? AND timezone IS NULL AND leaderboard_hidden = 0",
                (user_id,),
            )
        return True
