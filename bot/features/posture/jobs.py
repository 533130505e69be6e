"""Posture nudges as timed jobs for the one scheduler (`bot.runtime.scheduler`).

`MemberNudges` (kind "posture", keyed by user id) claims a batch of due nudges through
the service, sends them all and records every outcome ('failed' for a send that raised)
in one unit: a minute's fan-out to thousands of members. `ChannelNudges` (kind
"channel", keyed by guild id, one a server a day) goes row by row through
`deliver_claimed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.features.posture.service import Claim, Outcome, PostureService, Sent, ServerClaim
from bot.runtime.scheduler import RETRY_AFTER_ERROR, deliver_claimed

log = logging.getLogger(__name__)

DeliverMember = Callable[[Claim], Awaitable[tuple[Outcome, int | None]]]
DeliverServer = Callable[[ServerClaim], Awaitable[str]]


class MemberNudges:
    kind = "posture"

    def __init__(self, service: PostureService, deliver: DeliverMember) -> None:
        self.service = service
        self.deliver = deliver

    async def run(self, key: int) -> None:
        await self.run_batch([key])

    async def run_batch(self, keys: Sequence[int]) -> None:
        claims = await self.service.claim_many(keys, retry_unreadable=RETRY_AFTER_ERROR)
        sent = await asyncio.gather(*(self._send(claim) for claim in claims))
        await self.service.finish_many(sent)

    async def _send(self, claim: Claim) -> Sent:
        """Send one claimed nudge; a send that raises is logged and recorded as failed, so
        it is never retried blindly (the claim already marked it)."""
        try:
            outcome, channel_id = await self.deliver(claim)
        except Exception:
            log.exception("Could not deliver the nudge for member %s", claim.user_id)
            return claim, "failed", claim.dm_channel_id
        return claim, outcome, channel_id

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer(key, delay)


class ChannelNudges:
    kind = "channel"

    def __init__(self, service: PostureService, deliver: DeliverServer) -> None:
        self.service = service
        self.deliver = deliver

    async def run(self, key: int) -> None:
        await deliver_claimed(
            await self.service.claim_server(key),
            self.deliver,
            self.service.finish_server,
            failed="failed",
            what=f"the channel nudge for server {key}",
        )

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer_server(key, delay)
