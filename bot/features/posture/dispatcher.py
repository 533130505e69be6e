"""The nudge dispatcher: one task that sleeps until the soonest due nudge and sends it.

The schedule lives in SQLite (`reminders.due_at`, `server_nudges.due_at`, both indexed),
so the dispatcher holds nothing that a restart could lose. It sleeps until the soonest
due row, or until `wake()` says a sooner one was added (opt-in, snooze, settings), and
then delivers everything due, a batch at a time. Sends are paced under Discord's
global request limit, so a minute with thousands of nudges never trips it. An error in
one send is logged and recorded and never stops the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.core.clock import Clock
from bot.features.posture.service import Claim, Outcome, PostureService, ServerClaim

log = logging.getLogger(__name__)

BATCH = 500
MAX_SLEEP = timedelta(hours=1)
"""Look at the table at least this often, whatever it says (clock jumps, manual edits)."""
RETRY_AFTER_ERROR = timedelta(minutes=5)
"""How long a row whose claim failed waits before it is tried again."""

DeliverMember = Callable[[Claim], Awaitable[tuple[Outcome, int | None]]]
DeliverServer = Callable[[ServerClaim], Awaitable[str]]


class NudgeDispatcher:
    def __init__(
        self,
        nudges: PostureService,
        deliver_member: DeliverMember,
        deliver_server: DeliverServer,
        clock: Clock,
    ) -> None:
        self.nudges = nudges
        self.deliver_member = deliver_member
        self.deliver_server = deliver_server
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="nudge-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look at the schedule again now: a row may have become due sooner."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                self._wake.clear()  # before reading, so a wake during the read is kept
                await self.run_due()
                wake_at = await self.nudges.next_wake()
            except Exception:
                log.exception("Nudge dispatcher error; retrying in a minute")
                await asyncio.sleep(60)
                continue
            delay = MAX_SLEEP if wake_at is None else min(wake_at - self.clock(), MAX_SLEEP)
            if delay.total_seconds() > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay.total_seconds())

    async def run_due(self) -> int:
        """Deliver everything due now, a batch at a time; return how many were handled."""
        handled = 0
        while True:
            members, servers = await self.nudges.due(BATCH)
            if not members and not servers:
                return handled
            await asyncio.gather(
                *(self._member(user_id) for user_id in members),
                *(self._server(guild_id) for guild_id in servers),
            )
            handled += len(members) + len(servers)

    async def _member(self, user_id: int) -> None:
        try:
            claim = await self.nudges.claim(user_id)
            if claim is None:
                return
            outcome: Outcome = "failed"
            channel_id = claim.dm_channel_id
            try:
                outcome, channel_id = await self.deliver_member(claim)
            except Exception:
                log.exception("Could not deliver the nudge for member %s", user_id)
            await self.nudges.finish(claim, outcome, channel_id)
        except Exception:
            # Claiming or recording failed: push the row back rather than spin on it.
            log.exception("Could not handle the nudge for member %s; retrying later", user_id)
            await self.nudges.defer(user_id, RETRY_AFTER_ERROR)

    async def _server(self, guild_id: int) -> None:
        try:
            claim = await self.nudges.claim_server(guild_id)
            if claim is None:
                return
            outcome = "failed"
            try:
                outcome = await self.deliver_server(claim)
            except Exception:
                log.exception("Could not post the channel nudge for server %s", guild_id)
            await self.nudges.finish_server(claim, outcome)
        except Exception:
            log.exception("Could not handle the channel nudge for server %s", guild_id)
            await self.nudges.defer_server(guild_id, RETRY_AFTER_ERROR)
