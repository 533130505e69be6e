"""Per-server and per-member settings."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.storage.database import Database

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    timezone: str = DEFAULT_TIMEZONE
    weekly_target: int = 1
    nudge_channel_id: int | None = None
    nudge_time: str | None = None
    default_reminder_time: str = "09:00"


_COLUMNS = [f.name for f in fields(GuildSettings)]
_EDITABLE = frozenset(_COLUMNS) - {"guild_id"}


async def get_guild_settings(db: Database, guild_id: int) -> GuildSettings:
    """The server's settings, or the defaults if it never changed any."""
    async with db.conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
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


async def get_member_timezone(db: Database, user_id: int) -> str | None:
    async with db.conn.execute(
        "SELECT timezone FROM member_settings WHERE user_id = ?", (user_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]
