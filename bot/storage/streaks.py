"""Back-day logs and the per-member streak cache: the records and the interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Standing:
    user_id: int
    current: int
    best: int
    total: int


@dataclass(frozen=True, slots=True)
class RankedStanding:
    rank: int
    standing: Standing


class StreakStore(Protocol):
    def logged_days(self, guild_id: int, user_id: int) -> list[date]:
        """The member's logged days in the server, oldest first."""
        ...

    def insert_log(
        self, guild_id: int, user_id: int, day: date, note: str | None, logged_at: datetime
    ) -> bool:
        """False when that day is already logged (the store decides races)."""
        ...

    def logs_between(self, guild_id: int, first: date, last: date) -> list[tuple[int, date]]:
        """(user id, day) of every back day logged in the server from `first` to `last`
        (both included), by member then day."""
        ...

    def delete_latest_log(self, guild_id: int, user_id: int, earliest: date) -> date | None:
        """Remove the most recent log on or after `earliest`; return its day."""
        ...

    def save_stats(
        self,
        guild_id: int,
        user_id: int,
        *,
        current: int,
        best: int,
        total: int,
        expires_at: datetime | None,
    ) -> int:
        """Store the recomputed streak; return the best streak as stored, which never
        falls. A member with no logs left (`total` 0) has no row."""
        ...

    def stored_best(self, guild_id: int, user_id: int) -> int:
        """The member's best streak as stored (0 if they have no row)."""
        ...

    def expire_streaks(self, now: datetime) -> int:
        """Zero every current streak whose last qualifying week has lapsed by `now`.
        Allowed in a read unit: it commits its own small write when there is one."""
        ...

    def guild_members(self, guild_id: int) -> list[int]:
        """Everyone with a streak row in this server."""
        ...

    def member_guilds(self, user_id: int) -> list[int]:
        """The servers where this member has a streak row."""
        ...

    def leaderboard_rows(
        self,
        guild_id: int,
        limit: int,
        *,
        after: Standing | None = None,
        before: Standing | None = None,
    ) -> list[Standing]:
        """Rows in rank order, starting after `after` or ending before `before`."""
        ...

    def rank_rows(self, guild_id: int, rows: list[Standing]) -> list[RankedStanding]:
        """Ranks for consecutive rows in rank order; ties on all three numbers share one."""
        ...

    def standing_of(self, guild_id: int, user_id: int) -> RankedStanding | None: ...

    def member_count(self, guild_id: int) -> int: ...
