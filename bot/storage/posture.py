"""Posture nudges: the records and the interface. Instants are unix seconds (UTC)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Reminder:
    """A member's daily nudge: their choice and the next instants it is due."""

    user_id: int
    guild_id: int
    local_time: str
    days: str
    slot_at: int
    snooze_at: int | None
    snooze_topic: str | None
    due_at: int
    dm_channel_id: int | None
    dm_refused_at: int | None
    opted_in_at: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One local day's nudge to a member and how it went."""

    user_id: int
    local_day: str
    topic_id: str
    nonce: str
    status: str
    attempted_at: int


DELIVERIES_BEFORE_SLOT = 2 * 86_400
"""`NudgeState.deliveries` start this many seconds before the slot's UTC date."""


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How a claimed delivery went: the new status of the member's record for that day."""

    user_id: int
    local_day: str
    status: str
    attempted_at: int


@dataclass(frozen=True, slots=True)
class TopicSeen:
    audience_id: int
    topic_id: str
    new_cycle: bool
    """Forget the audience's previous cycle first."""


@dataclass(frozen=True, slots=True)
class NudgeState:
    """Everything claiming a member's due nudge reads, for one member
    (`PostureStore.nudge_states` reads a whole batch of them at once)."""

    reminder: Reminder
    timezone: str
    """The member's zone (the default if they never chose one)."""
    fallback_channel_id: int | None
    """The reminder's server's nudge channel, for members whose DMs are closed."""
    seen_topics: frozenset[str]
    deliveries: tuple[Delivery, ...]
    """The member's delivery records from `DELIVERIES_BEFORE_SLOT` (two days) before the
    UTC date of the reminder's slot on: every local day the slot can belong to (zones run
    from UTC-12 to UTC+14, and a gap across local midnight gives a slot the date before
    its own)."""

    def delivery(self, local_day: str) -> Delivery | None:
        return next((d for d in self.deliveries if d.local_day == local_day), None)


@dataclass(frozen=True, slots=True)
class ServerNudge:
    """A server's daily public nudge: when it is next due and how the last one went."""

    guild_id: int
    due_at: int
    last_day: str | None
    last_status: str | None


class PostureStore(Protocol):
    def get_reminder(self, user_id: int) -> Reminder | None: ...

    def save_reminder(self, reminder: Reminder) -> None:
        """Insert or replace the member's whole reminder."""
        ...

    def save_reminders(self, reminders: Sequence[Reminder]) -> None:
        """`save_reminder` for each (of different members), in one statement."""
        ...

    def delete_reminder(self, user_id: int) -> bool: ...

    def nudge_states(self, user_ids: Sequence[int]) -> dict[int, NudgeState]:
        """The claim-time state of each member who has a reminder (others are left out),
        read in one go: the scheduler claims nudges a batch at a time."""
        ...

    def reminders_with_zones(self, user_ids: Sequence[int]) -> dict[int, tuple[Reminder, str]]:
        """Each member's reminder and zone (the default if unset); members without a
        reminder are left out."""
        ...

    def get_delivery(self, user_id: int, local_day: str) -> Delivery | None: ...

    def set_delivery_statuses(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record how claimed deliveries went, in one statement (nothing for a record that
        is gone: a member who deleted their data meanwhile)."""
        ...

    def last_delivery(self, user_id: int) -> Delivery | None: ...

    def save_delivery(self, delivery: Delivery) -> None: ...

    def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """`save_delivery` for each (of different days or members), in one statement."""
        ...

    def seen_topics(self, audience_id: int) -> set[str]: ...

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        """Record a topic as seen; a new cycle first forgets the previous one."""
        ...

    def mark_seen_many(self, seen: Sequence[TopicSeen]) -> None:
        """`mark_seen` for each (of different audiences), in two statements at most."""
        ...

    def get_server_nudge(self, guild_id: int) -> ServerNudge | None: ...

    def save_server_nudge(self, nudge: ServerNudge) -> None: ...

    def delete_server_nudge(self, guild_id: int) -> None: ...

    def defer_reminder(self, user_id: int, until: int) -> None:
        """Move every pending time of the member's reminder to no earlier than `until`."""
        ...

    def defer_server_nudge(self, guild_id: int, until: int) -> None: ...
