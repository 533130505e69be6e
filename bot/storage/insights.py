"""/coach insights: anonymous usage counters, and the figures read for one server.

Nothing here holds a user id. `/ask` questions that found no good match and the entries
members opened are counted per server and day (UTC); server 0 stands for DMs and servers
without the bot. Everything else is read from what the features already store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AskMiss:
    question: str
    count: int


@dataclass(frozen=True, slots=True)
class EntryOpen:
    kind: str
    """'exercise', 'situation' or 'posture'."""
    entry_id: str
    count: int


@dataclass(frozen=True, slots=True)
class Totals:
    distinct: int
    """Different questions (or entries)."""
    count: int
    """Times asked (or opened)."""


class InsightsStore(Protocol):
    def record_miss(self, guild_id: int, day: date, question: str) -> None:
        """Count one more ask of `question` on `day` in the server."""
        ...

    def record_open(self, guild_id: int, day: date, kind: str, entry_id: str) -> None:
        """Count one more opening of the entry on `day` in the server."""
        ...

    def top_misses(self, guild_id: int, since: date, limit: int) -> list[AskMiss]:
        """The most asked unanswered questions from `since` on (counts summed over days),
        most asked first, then alphabetically."""
        ...

    def miss_totals(self, guild_id: int, since: date) -> Totals: ...

    def top_opens(self, guild_id: int, since: date, limit: int) -> list[EntryOpen]:
        """The most opened entries from `since` on, most opened first, then by kind and id."""
        ...

    def open_totals(self, guild_id: int, since: date) -> Totals: ...

    def nudge_outcomes(self, guild_id: int, since: int) -> dict[str, int]:
        """Posture nudges attempted at or after `since` (unix seconds) for the members
        whose nudges follow this server, by status."""
        ...

    def reminder_outcomes(self, guild_id: int, since: int) -> dict[str, int]:
        """Streak-at-risk reminders attempted at or after `since` for members with a streak
        row in this server, by status."""
        ...

    def posture_members(self, guild_id: int) -> int:
        """Members whose posture nudges follow this server (they opted in here)."""
        ...

    def reminder_members(self, guild_id: int) -> int:
        """Members with a streak row here who have a streak-at-risk reminder set."""
        ...

    def members_logged(self, guild_id: int, since: date) -> int:
        """Members who logged a back day here on `since` or later."""
        ...

    def streak_spread(self, guild_id: int) -> dict[int, int]:
        """Current streak -> how many members of the server hold it (stored figures)."""
        ...
