"""The one dispatcher for every timed delivery: it sleeps until the soonest due row.

Each kind of timed delivery (a member's posture nudge, a server's channel nudge, a
streak-at-risk reminder, ...) registers a `TimedJob` under its kind. The schedule lives
in storage (`tx.schedule`, one index over every kind's due instant), so the dispatcher
holds nothing a restart could lose. It sleeps until the soonest due row, or until
`wake()` says a sooner one was added (an opt-in, a snooze, a settings change), then
runs everything due, a batch at a time, each batch leased (`tx.schedule.lease`) so that
processes sharing one database split the work instead of all trying it. Its tasks run in
the request pacer's background lane (`runtime.pacing.background`), so all of them share
one budget under Discord's global limit and a member's command is never queued behind a
fan-out.

A job claims its row before sending and records the outcome after, so exactly-once
lives in the job (see the posture service). If a job raises, its row is pushed back by
`RETRY_AFTER_ERROR` through the job's own `retry_later`, so it can never spin. A job that
can claim and record many rows in one unit of work (`BatchedJob`: the posture nudges, the
big fan-out) is handed its rows `CLAIM_BATCH` at a time: its database work then costs two
units per batch instead of two per row, which on PostgreSQL is most of a nudge's cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar, runtime_checkable

from bot.core.clock import Clock
from bot.runtime.pacing import background
from bot.storage import Storage

log = logging.getLogger(__name__)

C = TypeVar("C")
R = TypeVar("R")

BATCH = 500
"""Rows leased at a time, at most: a process takes no more than it can send well within
`LEASE`, so another process is never kept waiting on rows this one has not reached."""
LEASE = timedelta(seconds=30)
"""How long a leased batch is this process's alone; if the process dies, its rows are
taken over when their lease ends (a resend then goes under the claim's nonce, which
Discord drops if the dead process had sent it)."""
BATCH_SECONDS = 1
"""A batch holds what the process's request budget sends in this many seconds, far
inside `LEASE`: a row may take two requests (opening a DM channel, then the message),
members' commands go before background work, and the next batch is leased while this one
is sent (`run_due`), so two batches' worth must fit in a lease, or another process would
take over rows this one is still sending. Small batches also split a fan-out evenly
between processes to its last rows, and leave less to take over when a process dies."""
CLAIM_BATCH = 50
"""Rows a `BatchedJob` claims (and records) in one unit of work: few enough that a unit
stays short and a failed one pushes back little, enough to make a unit's cost per row
small."""
MAX_SLEEP = timedelta(hours=1)
"""Look at the schedule at least this often, whatever it says (clock jumps, manual edits)."""
RETRY_AFTER_ERROR = timedelta(minutes=5)
"""How long a row whose job failed waits before it is tried again."""
START_DELAY = 1.0
"""Seconds to wait after start before the first delivery: Discord counts the global limit
per second, and a process restarted mid-fan-out must not add to its predecessor's last
second."""


def batch_for(request_budget: float) -> int:
    """Rows to lease at a time for a process allowed `request_budget` requests a second
    (its share of the global limit): `BATCH_SECONDS` of sending, at most `BATCH`."""
    return max(1, min(BATCH, int(request_budget * BATCH_SECONDS)))


class TimedJob(Protocol):
    """One kind of timed delivery."""

    kind: str
    """Its rows in the schedule carry this kind; keys are the kind's own (a user id...)."""

    async def run(self, key: int) -> None:
        """Claim, deliver and record the row `key` if it is still due; raise on failure."""
        ...

    async def retry_later(self, key: int, delay: timedelta) -> None:
        """Push the row back by `delay` (after a failure), so it cannot spin."""
        ...


@runtime_checkable
class BatchedJob(TimedJob, Protocol):
    """A kind of timed delivery that claims and records many rows in one unit each."""

    async def run_batch(self, keys: Sequence[int]) -> None:
        """`run` for each key; raise only if the batch could not be claimed or recorded
        (each of its rows is then pushed back)."""
        ...


async def deliver_claimed(
    claim: C | None,
    deliver: Callable[[C], Awaitable[R]],
    finish: Callable[[C, R], Awaitable[object]],
    *,
    failed: R,
    what: str,
) -> None:
    """The middle of every job: send a claimed delivery and record how it went.

    Nothing to send when the claim is None. A delivery that raises is logged and
    recorded as `failed`, so it is never retried blindly (the claim already marked it);
    only a failure to claim or to record escapes, for the scheduler to push the row back.
    """
    if claim is None:
        return
    result = failed
    try:
        result = await deliver(claim)
    except Exception:
        log.exception("Could not deliver %s", what)
    await finish(claim, result)


class Scheduler:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        jobs: Sequence[TimedJob] = (),
        *,
        batch: int = BATCH,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.batch = batch
        self.jobs: dict[str, TimedJob] = {}
        for job in jobs:
            self.register(job)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def register(self, job: TimedJob) -> None:
        if job.kind in self.jobs:
            raise ValueError(f"a job is already registered for {job.kind!r}")
        self.jobs[job.kind] = job

    def unregister(self, kind: str) -> None:
        self.jobs.pop(kind, None)

    def start(self, *, delay: float = START_DELAY) -> None:
        if self._task is None:
            with background():
                self._task = asyncio.create_task(self._run(delay), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look at the schedule again now: a row may have become due sooner."""
        self._wake.set()

    async def _run(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while True:
            try:
                self._wake.clear()  # before reading, so a wake during the read is kept
                await self.run_due()
                due = await self.next_due_at()
            except Exception:
                log.exception("Scheduler error; retrying in a minute")
                await asyncio.sleep(60)
                continue
            wait = MAX_SLEEP
            if due is not None:
                wait = min(datetime.fromtimestamp(due, UTC) - self.clock(), MAX_SLEEP)
            if wait.total_seconds() > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait.total_seconds())

    async def run_due(self) -> int:
        """Run everything due now, a batch at a time; return how many rows were handled.

        The next batch is leased and started as soon as the one before it has started, so
        while one batch is being sent the next is claimed: its requests queue in the pacer
        behind the first's (a lane is first come, first served) and the budget never
        waits on the database between batches. At most two batches are in flight."""
        handled = 0
        in_flight: list[asyncio.Future[list[None]]] = []
        try:
            while True:
                rows = await self._lease(int(self.clock().timestamp()), tuple(self.jobs))
                if not rows:
                    break
                with background():
                    in_flight.append(asyncio.gather(*self._tasks(rows)))
                handled += len(rows)
                if len(in_flight) == 2:
                    await in_flight.pop(0)
            for batch in in_flight:
                await batch
        finally:
            for batch in in_flight:  # stopped midway: no batch is left running on its own
                batch.cancel()
        return handled

    async def next_due_at(self) -> int | None:
        kinds = tuple(self.jobs)
        return await self.storage.read(lambda tx: tx.schedule.next_due_at(kinds))

    async def _lease(self, now: int, kinds: tuple[str, ...]) -> list[tuple[str, int]]:
        until = now + int(LEASE.total_seconds())
        return await self.storage.write(lambda tx: tx.schedule.lease(now, until, self.batch, kinds))

    def _tasks(self, rows: list[tuple[str, int]]) -> list[Awaitable[None]]:
        """A task per row, or per `CLAIM_BATCH` rows of a `BatchedJob`'s kind."""
        keys_by_kind: dict[str, list[int]] = {}
        for kind, key in rows:
            keys_by_kind.setdefault(kind, []).append(key)
        tasks: list[Awaitable[None]] = []
        for kind, keys in keys_by_kind.items():
            job = self.jobs[kind]
            if isinstance(job, BatchedJob):
                for start in range(0, len(keys), CLAIM_BATCH):
                    tasks.append(self._batch(job, keys[start : start + CLAIM_BATCH]))
            else:
                tasks.extend(self._one(kind, key) for key in keys)
        return tasks

    async def _batch(self, job: BatchedJob, keys: list[int]) -> None:
        try:
            await job.run_batch(keys)
        except Exception:
            log.exception("Could not handle %d %s deliveries; retrying later", len(keys), job.kind)
            await asyncio.gather(*(self._push_back(job, key) for key in keys))

    async def _push_back(self, job: TimedJob, key: int) -> None:
        try:
            await job.retry_later(key, RETRY_AFTER_ERROR)
        except Exception:
            log.exception("Could not push back the %s delivery %s", job.kind, key)

    async def _one(self, kind: str, key: int) -> None:
        job = self.jobs[kind]
        try:
            await job.run(key)
        except Exception:
            log.exception("Could not handle the %s delivery %s; retrying later", kind, key)
            await self._push_back(job, key)
