"""Retention: the daily job that forgets old history, and the pruning it does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Retained = Literal["ask_misses", "entry_opens", "nudge_deliveries", "backday_reminder_deliveries"]
"""Every table whose rows expire with age."""

RETAINED: tuple[Retained, ...] = (
    "ask_misses",
    "entry_opens",
    "nudge_deliveries",
    "backday_reminder_deliveries",
)


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """The job's one row: when it is next due and what the last run did."""

    due_at: int
    last_run_at: int | None = None
    last_pruned: int | None = None


class RetentionStore(Protocol):
    def get(self) -> RetentionRun | None: ...

    def save(self, run: RetentionRun) -> None:
        """Insert or replace the job's row (its schedule row follows)."""
        ...

    def prune(self, table: Retained, before: int, limit: int) -> int:
        """Delete at most `limit` rows of `table` older than `before` (unix seconds) and
        return how many went. Delivery history is aged by when it was attempted
        (`attempted_at < before`); the per-day counters by their day (`day` earlier than
        the UTC date of `before`)."""
        ...
