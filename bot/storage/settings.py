"""Per-server and per-member settings."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.storage.database import Database, fetch_all

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


async def get_guild_settings(db: Database, guild_id: int) -> GuildSettings:
    """The server's settings, or the defaults if it never changed any."""
    rows = await fetch_all(
        db.conn, f"SELECT {', '.join(_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    row = rows[0] if rows else None
    return GuildSettings(guild_id) if row is None else GuildSettings(*row)


async def update_guild_settings(
    db: Database, guild_id: int, **changes: str | int | None
) -> GuildSettings:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValueError(f"not a server setting: {', '.join(sorted(unknown))}")
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,)
        )
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)  # names checked above
            await conn.execute(
                f"UPDATE guild_settings SET {assignments} WHERE guild_id = ?",
                (*changes.values(), guild_id),
            )
    return await get_guild_settings(db, guild_id)


async def member_context(db: Database, guild_id: int, user_id: int) -> tuple[str, int]:
    """(timezone, weekly target) for a member in a server, in one round trip.

    The member's own timezone wins over the server's; both fall back to the defaults.
    """
    rows = await fetch_all(
        db.conn,
        "SELECT COALESCE("
        " (SELECT timezone FROM member_settings WHERE user_id = ?),"
        " (SELECT timezone FROM guild_settings WHERE guild_id = ?), ?),"
        " COALESCE((SELECT weekly_target FROM guild_settings WHERE guild_id = ?), ?)",
        (user_id, guild_id, DEFAULT_TIMEZONE, guild_id, DEFAULT_WEEKLY_TARGET),
    )
    (timezone, target), *_ = rows
    return str(timezone), int(target)
