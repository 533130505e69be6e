"""Server and member settings: the records and the interface features use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class SettingsStore(Protocol):
    def get_guild_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings, or the defaults if it never changed any."""
        ...

    def update_guild_settings(self, guild_id: int, **changes: str | int | None) -> GuildSettings:
        """Apply `changes` (field names of GuildSettings) and return the settings after."""
        ...

    def member_context(self, guild_id: int, user_id: int) -> tuple[str, int]:
        """(timezone, weekly target) for a member in a server: the member's own zone wins
        over the server's; both fall back to the defaults."""
        ...

    def member_timezone(self, user_id: int) -> str | None:
        """The member's own timezone, if they chose one."""
        ...

    def reminder_zone(self, user_id: int) -> str:
        """The zone the member's posture nudges follow (their own, else UTC)."""
        ...

    def set_member_timezone(self, user_id: int, timezone: str) -> None: ...

    def leaderboard_hidden(self, user_id: int) -> bool:
        """Whether the member hid themselves from every leaderboard (default: shown)."""
        ...

    def set_leaderboard_hidden(self, user_id: int, hidden: bool) -> bool:
        """Hide or show the member on every board of every server, at once; False when
        that was already so (nothing changed). Showing a member who never hid stores
        nothing."""
        ...
