"""The Discord side of a nudge: one DM request, or a channel post when DMs are closed.

The scheduler's posture jobs claim due nudges and hand each here. The DM channel id is
stored after the first nudge, so each later one is a single request; every request is
paced under Discord's global limit by the HTTP client (`runtime.pacing`) and carries the
claim's nonce, which Discord uses to drop a duplicate sent again after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord.http import handle_message_parameters

from bot.features.knowledge import KnowledgeBase
from bot.features.posture.replies import fallback_content, nudge_embed
from bot.features.posture.service import Claim, Outcome, ServerClaim
from bot.features.posture.views import nudge_components
from bot.runtime.replies import NO_MENTIONS, to_embed

log = logging.getLogger(__name__)

CANNOT_DM = 50007
"""Discord: "Cannot send messages to this user" (closed DMs, blocked, no shared server)."""


def is_dm_refusal(error: discord.HTTPException) -> bool:
    return isinstance(error, discord.Forbidden) and error.code == CANNOT_DM


class NudgeDelivery:
    def __init__(self, client: discord.Client, knowledge: Callable[[], KnowledgeBase]) -> None:
        self.client = client
        self.knowledge = knowledge
        """The knowledge base in use now (a reload may change it between nudges)."""

    async def to_member(self, claim: Claim) -> tuple[Outcome, int | None]:
        kb = self.knowledge()
        if claim.topic_id not in kb.posture_topics:  # removed by a reload since the claim
            return "failed", claim.dm_channel_id
        embed = to_embed(nudge_embed(kb, claim.topic_id, snoozed=claim.kind == "snooze"))
        components = nudge_components(claim.user_id, claim.topic_id)
        channel_id = claim.dm_channel_id
        if not claim.dms_refused:
            try:
                if channel_id is None:
                    channel_id = (await self.client.create_dm(discord.Object(claim.user_id))).id
                await self._send(channel_id, embed=embed, components=components, nonce=claim.nonce)
                return "dm", channel_id
            except discord.HTTPException as error:
                if not is_dm_refusal(error):
                    raise
                log.info(
                    "Member %s does not accept DMs; no more DMs until /posture on", claim.user_id
                )
        if claim.fallback_channel_id is None:
            return "refused", channel_id
        await self._send(
            claim.fallback_channel_id,
            content=fallback_content(claim.user_id),
            embed=embed,
            components=components,
            nonce=claim.nonce,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(claim.user_id)]
            ),
        )
        return "channel", channel_id

    async def to_server(self, claim: ServerClaim) -> str:
        embed = to_embed(nudge_embed(self.knowledge(), claim.topic_id))
        try:
            await self._send(claim.channel_id, embed=embed, nonce=claim.nonce)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning(
                "Cannot post the daily nudge in channel %s of server %s: %s",
                claim.channel_id,
                claim.guild_id,
                error.text,
            )
            return "failed"
        return "channel"

    async def _send(
        self,
        channel_id: int,
        *,
        components: list[dict[str, Any]] | None = None,
        allowed_mentions: discord.AllowedMentions = NO_MENTIONS,
        **kwargs: Any,
    ) -> None:
        """Post a message in `channel_id`: one request, straight through the HTTP client.

        Not `Messageable.send`, which builds a `Message` from Discord's reply (author,
        embeds, components): nothing here reads it, and building it was a large share of a
        fan-out's CPU. The buttons come as Discord's JSON (`nudge_components`): they are
        dynamic items, routed by custom id, so no view is needed."""
        with handle_message_parameters(
            allowed_mentions=allowed_mentions,
            previous_allowed_mentions=self.client.allowed_mentions,
            **kwargs,
        ) as params:
            if components is not None and params.payload is not None:  # no files: JSON
                params.payload["components"] = components
            await self.client.http.send_message(channel_id, params=params)
