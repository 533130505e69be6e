"""/backday reminder: the member's weekly streak-at-risk DM. Instants are unix seconds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BackdayReminder:
    user_id: int
    weekday: int
    """4 Friday, 5 Saturday, 6 Sunday (Python's `date.weekday()`)."""
    local_time: str
    due_at: int
    dm_channel_id: int | None
    dm_refused_at: int | None
    set_at: int


@dataclass(frozen=True, slots=True)
class ReminderDelivery:
    """One week's reminder to a member and how it went."""

    user_id: int
    week: str
    """The Monday of the member's week, 'YYYY-MM-DD'."""
    nonce: str
    status: str
    attempted_at: int


class BackdayReminderStore(Protocol):
    def get(self, user_id: int) -> BackdayReminder | None: ...

    def save(self, reminder: BackdayReminder) -> None:
        """Insert or replace the member's whole reminder."""
        ...

    def delete(self, user_id: int) -> bool: ...

    def get_delivery(self, user_id: int, week: str) -> ReminderDelivery | None: ...

    def last_delivery(self, user_id: int) -> ReminderDelivery | None: ...

    def save_delivery(self, delivery: ReminderDelivery) -> None: ...
