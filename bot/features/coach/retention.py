"""The daily retention job: history older than `RETENTION_DAYS` days is deleted.

A timed job on the one scheduler (kind "retention", its one row keyed 0, first due right
after the migration that adds it). It prunes the insights counters (`/ask` misses and
entry opens) and the delivery history of posture nudges and streak reminders. Each table
goes in bounded batches, each batch its own write unit, so a large backlog never holds
the database for long and other commands run in between. Pruning is idempotent: a run
cut short by a crash simply runs again on start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from bot.core.clock import Clock
from bot.storage import Storage, Transaction
from bot.storage.privacy import RETENTION_DAYS
from bot.storage.retention import RETAINED, Retained, RetentionRun

log = logging.getLogger(__name__)

RETENTION = timedelta(days=RETENTION_DAYS)
BATCH = 1000
"""Rows deleted per write unit."""
RUN_AT = time(4, 0)
"""The job runs daily at this UTC time (a quiet hour for most servers)."""


def next_run(after: datetime) -> datetime:
    """The first RUN_AT (UTC) strictly after `after`."""
    day = after.astimezone(UTC).date()
    at = datetime.combine(day, RUN_AT, tzinfo=UTC)
    return at if at > after else at + timedelta(days=1)


class Retention:
    """The retention job (kind "retention", key 0)."""

    kind = "retention"

    def __init__(self, storage: Storage, clock: Clock, *, batch: int = BATCH) -> None:
        self.storage = storage
        self.clock = clock
        self.batch = batch

    async def run(self, key: int) -> None:
        now = self.clock()
        seconds = int(now.timestamp())
        current = await self.storage.read(lambda tx: tx.retention.get())
        if current is None or current.due_at > seconds:
            return
        pruned = await self.prune(now)
        await self.storage.write(
            lambda tx: tx.retention.save(
                RetentionRun(int(next_run(now).timestamp()), seconds, sum(pruned.values()))
            )
        )
        if any(pruned.values()):
            log.info("Retention: deleted rows older than %d days: %s", RETENTION_DAYS, pruned)

    async def prune(self, now: datetime) -> dict[Retained, int]:
        """Delete every retained row older than `RETENTION` at `now`; rows per table."""
        before = int((now - RETENTION).timestamp())
        pruned: dict[Retained, int] = {}
        for table in RETAINED:
            pruned[table] = 0
            while True:
                deleted = await self.storage.write(self._pruning(table, before))
                pruned[table] += deleted
                if deleted < self.batch:
                    break
        return pruned

    def _pruning(self, table: Retained, before: int) -> Callable[[Transaction], int]:
        """One bounded batch of `table`, as a write unit."""
        return lambda tx: tx.retention.prune(table, before, self.batch)

    async def retry_later(self, key: int, delay: timedelta) -> None:
        at = int((self.clock() + delay).timestamp())

        def defer(tx: Transaction) -> None:
            run = tx.retention.get()
            if run is not None and run.due_at < at:
                tx.retention.save(replace(run, due_at=at))

        await self.storage.write(defer)
