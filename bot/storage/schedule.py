"""The one schedule of timed deliveries: which (kind, key) is due next, and who has it.

Each kind (posture nudges, server channel nudges, streak reminders, ...) keeps its own
state in its own store; the backend keeps this schedule in step with it, so the one
dispatcher finds the soonest work of every kind in one index search.

Several bot processes may share one schedule (PostgreSQL). Each takes due rows with a
*lease*: rows it holds until the lease ends are skipped by the others, so a fan-out is
split between the processes instead of attempted by all. A lease ends early when the
row's due instant changes (its job ran, or pushed it back), and on its own when its time
is up, so the rows of a process that died are taken over by another. Exactly-once still
rests on each job's claim, which a late second attempt finds already made.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class ScheduleStore(Protocol):
    def next_due_at(self, kinds: Collection[str]) -> int | None:
        """The soonest instant (unix seconds) a row of these kinds can be leased: its due
        instant, or the end of another process's lease on it; None when there is none."""
        ...

    def lease(
        self, now: int, until: int, limit: int, kinds: Collection[str]
    ) -> list[tuple[str, int]]:
        """Take up to `limit` rows of these kinds due at `now` that nobody holds (no lease,
        or one that ended by `now`), soonest first, and hold them until `until`.

        Returns their (kind, key). A write unit: the lease is recorded when it commits.
        """
        ...
