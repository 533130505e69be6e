"""The Discord side of the weekly recap, and the timed job that claims and records it.

One channel post per claim, carrying the claim's nonce (discord.py sends it with
`enforce_nonce`, so Discord drops a duplicate resent after a crash) and no mentions that
ping: members are named by mention, which renders their name, with allowed mentions off.
The request is paced under Discord's global limit by the HTTP client (`runtime.pacing`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import discord

from bot.features.coach.recap import Outcome, RecapClaim, RecapService
from bot.features.coach.replies import recap_embed
from bot.runtime.replies import NO_MENTIONS, to_embed
from bot.runtime.scheduler import deliver_claimed

log = logging.getLogger(__name__)

PostRecap = Callable[[RecapClaim], Awaitable[Outcome]]


class RecapSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, claim: RecapClaim) -> Outcome:
        channel = self.client.get_partial_messageable(claim.channel_id)
        try:
            await channel.send(
                embed=to_embed(recap_embed(claim.recap)),
                nonce=claim.nonce,
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning(
                "Cannot post the weekly recap in channel %s of server %s: %s",
                claim.channel_id,
                claim.guild_id,
                error.text,
            )
            return "failed"
        return "channel"


class RecapJob:
    """Weekly recaps as a timed job (kind "recap", keyed by guild id)."""

    kind = "recap"

    def __init__(self, service: RecapService, post: PostRecap) -> None:
        self.service = service
        self.post = post

    async def run(self, key: int) -> None:
        failed: Outcome = "failed"
        await deliver_claimed(
            await self.service.claim(key),
            self.post,
            self.service.finish,
            failed=failed,
            what=f"the weekly recap for server {key}",
        )

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer(key, delay)
