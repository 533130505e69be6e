"""The one schedule of timed deliveries: which (kind, key) is due next.

Each kind (posture nudges, server channel nudges, streak reminders, ...) keeps its own
state in its own store; the backend keeps this schedule in step with it, so the one
dispatcher finds the soonest work of every kind in one index search.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class ScheduleStore(Protocol):
    def next_due_at(self, kinds: Collection[str]) -> int | None:
        """The soonest due instant (unix seconds) of these kinds, or None when none is."""
        ...

    def due(self, now: int, limit: int, kinds: Collection[str]) -> list[tuple[str, int]]:
        """(kind, key) of these kinds due at `now`, soonest first, at most `limit`."""
        ...
