"""Per-server and per-member settings."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields

from bot.storage.sqlite.connection import fetch_one

DEFAULT_TIMEZONE = "UTC"
DEFAULT_WEEKLY_TARGET = 1


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    timezone: str = DEFAULT_TIMEZONE
    weekly_target: int = DEFAULT_WEEKLY_TARGET
    nudge_channel_id: int | None = None
    nudge_time: str | None = None
    default_reminder_time: str = "09:00"


_COLUMNS = [f.name for f in fields(GuildSettings)]
_EDITABLE = frozenset(_COLUMNS) - {"guild_id"}


def get_guild_settings(conn: sqlite3.Connection, guild_id: int) -> GuildSettings:
    """The server's settings, or the defaults if it never changed any."""
    row = fetch_one(
        conn, f"SELECT {', '.join(_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    return GuildSettings(guild_id) if row is None else GuildSettings(*row)


def update_guild_settings(
    conn: sqlite3.Connection, guild_id: int, **changes: str | int | None
) -> GuildSettings:
    """Apply `changes` (column names of GuildSettings) and return the settings after."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValueError(f"not a server setting: {', '.join(sorted(unknown))}")
    conn.execute(
        "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,)
    )
    if changes:
        assignments = ", ".join(f"{name} = ?" for name in changes)  # names checked above
        conn.execute(
            f"UPDATE guild_settings SET {assignments} WHERE guild_id = ?",
            (*changes.values(), guild_id),
        )
    return get_guild_settings(conn, guild_id)


def member_context(conn: sqlite3.Connection, guild_id: int, user_id: int) -> tuple[str, int]:
    """(timezone, weekly target) for a member in a server, in one statement.

    The member's own timezone wins over the server's; both fall back to the defaults.
    """
    timezone, target = fetch_one(
        conn,
        "SELECT COALESCE("
        " (SELECT timezone FROM member_settings WHERE user_id = ?),"
        " (SELECT timezone FROM guild_settings WHERE guild_id = ?), ?),"
        " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = ?), ?)",
        (user_id, guild_id, DEFAULT_TIMEZONE, guild_id, DEFAULT_WEEKLY_TARGET),
    )
    return str(timezone), int(target)
