"""Every IDENTIFY waits for its bucket's slot, reserved in storage across processes.

discord.py calls `Client.before_identify_hook` before each IDENTIFY it sends, the first
connect of every shard and every re-identify after Discord invalidated a session (a
RESUME skips it: resuming is not a session start). Its default only sleeps 5 s between
one process's own shards, which says nothing of the bot's other processes. `Backbone`
routes the hook here instead: `IdentifyGate.wait` reserves the bucket's slot in one
storage write unit (atomic; on PostgreSQL two processes writing the bucket's row at
once conflict and one is re-run, so they cannot both take the same instant), then
sleeps until the slot. A slot reserved by a connection that then fails is simply left
unused: the rule only ever errs on the late side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.clock import Clock
from bot.runtime.identify_slots import bucket_of, decode, encode, reserve, slot_key
from bot.storage import Storage
from bot.storage.base import Transaction

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


class IdentifySlotUnavailable(ConnectionError):
    """Storage could not reserve a slot. A ConnectionError, so discord.py treats it like a
    failed connection: it backs off and reconnects (asking for a slot again) instead of
    ending the bot, which it does on any other error raised while re-identifying."""


class IdentifyGate:
    """Holds every IDENTIFY of this process until its bucket's slot.

    `max_concurrency` is asked for once, on the first IDENTIFY (discord.py's
    `fetch_session_start_limits`: GET /gateway/bot), and kept: Discord changes it only
    when it moves a bot to larger buckets, and a process restart picks that up.
    """

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        max_concurrency: Callable[[], Awaitable[int]],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self._fetch_max_concurrency = max_concurrency
        self._max_concurrency: int | None = None
        self._sleep = sleep

    async def max_concurrency(self) -> int:
        if self._max_concurrency is None:
            self._max_concurrency = await self._fetch_max_concurrency()
        return self._max_concurrency

    async def wait(self, shard_id: int) -> datetime:
        """Reserve `shard_id`'s slot and return at it; returns the slot."""
        bucket = bucket_of(shard_id, await self.max_concurrency())
        key = slot_key(bucket)

        def take_slot(tx: Transaction) -> datetime:
            # `now` is read inside the unit: a unit retried after a serialization
            # failure must reserve from the instant it actually runs.
            reservation = reserve(self.clock(), decode(tx.state.get_state(key)))
            tx.state.set_state(key, encode(reservation.next_free))
            return reservation.slot

        try:
            slot = await self.storage.write(take_slot)
        except Exception as error:
            raise IdentifySlotUnavailable(
                f"could not reserve an identify slot for shard {shard_id}"
            ) from error
        delay = (slot - self.clock()).total_seconds()
        if delay > 0:
            log.info(
                "Shard %d waits %.1fs for its identify slot (bucket %d)", shard_id, delay, bucket
            )
            await self._sleep(delay)
        return slot
