"""Posture nudges as timed jobs for the one scheduler (`bot.runtime.scheduler`).

`MemberNudges` (kind "posture", keyed by user id) and `ChannelNudges` (kind "channel",
keyed by guild id) claim a due nudge through the service and hand it to a delivery
function through `deliver_claimed`, which records the outcome ('failed' if it raised).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.features.posture.service import Claim, Outcome, PostureService, ServerClaim
from bot.runtime.scheduler import deliver_claimed

DeliverMember = Callable[[Claim], Awaitable[tuple[Outcome, int | None]]]
DeliverServer = Callable[[ServerClaim], Awaitable[str]]


class MemberNudges:
    kind = "posture"

    def __init__(self, service: PostureService, deliver: DeliverMember) -> None:
        self.service = service
        self.deliver = deliver

    async def run(self, key: int) -> None:
        claim = await self.service.claim(key)
        await deliver_claimed(
            claim,
            self.deliver,
            lambda c, sent: self.service.finish(c, *sent),
            failed=("failed", claim.dm_channel_id if claim else None),
            what=f"the nudge for member {key}",
        )

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
