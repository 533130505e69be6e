"""Posture nudges as timed jobs for the one scheduler (`bot.runtime.scheduler`).

`MemberNudges` (kind "posture", keyed by user id) and `ChannelNudges` (kind "channel",
keyed by guild id) claim a due nudge through the service, hand it to a delivery
function, and record the outcome; an error in the delivery itself is recorded as
'failed' and never stops the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.features.posture.service import Claim, Outcome, PostureService, ServerClaim

log = logging.getLogger(__name__)

DeliverMember = Callable[[Claim], Awaitable[tuple[Outcome, int | None]]]
DeliverServer = Callable[[ServerClaim], Awaitable[str]]


class MemberNudges:
    kind = "posture"

    def __init__(self, service: PostureService, deliver: DeliverMember) -> None:
        self.service = service
        self.deliver = deliver

    async def run(self, key: int) -> None:
        claim = await self.service.claim(key)
        if claim is None:
            return
        outcome: Outcome = "failed"
        channel_id = claim.dm_channel_id
        try:
            outcome, channel_id = await self.deliver(claim)
        except Exception:
            log.exception("Could not deliver the nudge for member %s", key)
        await self.service.finish(claim, outcome, channel_id)

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer(key, delay)


class ChannelNudges:
    kind = "channel"

    def __init__(self, service: PostureService, deliver: DeliverServer) -> None:
        self.service = service
        self.deliver = deliver

    async def run(self, key: int) -> None:
        claim = await self.service.claim_server(key)
        if claim is None:
            return
        outcome = "failed"
        try:
            outcome = await self.deliver(claim)
        except Exception:
            log.exception("Could not post the channel nudge for server %s", key)
        await self.service.finish_server(claim, outcome)

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer_server(key, delay)
