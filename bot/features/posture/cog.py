"""/posture and the nudges it schedules: a thin adapter over `bot.features.posture.service`.

The dispatcher that sends the nudges runs while this cog is loaded. This module is the
Discord side of a delivery: it turns a claimed nudge into one DM request (the DM
channel id is stored after the first), or a channel post when the member's DMs are
closed, each paced under Discord's global limit and sent with a nonce that Discord
uses to drop a duplicate.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.timezones import timezone_choices
from bot.features.posture.dispatcher import PACE_FRACTION, NudgeDispatcher, Pacer
from bot.features.posture.replies import (
    fallback_content,
    not_yours_reply,
    nudge_embed,
    opted_in_reply,
    opted_out_reply,
    snoozed_reply,
    status_reply,
    welcome_dm,
)
from bot.features.posture.schedule import SNOOZE
from bot.features.posture.service import Claim, Outcome, ServerClaim
from bot.runtime.errors import answer_error
from bot.runtime.replies import NO_MENTIONS, message_kwargs, send_reply, to_embed

if TYPE_CHECKING:
    from bot.app import Backbone

log = logging.getLogger(__name__)

CANNOT_DM = 50007
"""Discord: "Cannot send messages to this user" (closed DMs, blocked, no shared server)."""


def _is_dm_refusal(error: discord.HTTPException) -> bool:
    return isinstance(error, discord.Forbidden) and error.code == CANNOT_DM


class NudgeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nudge:(?P<action>snooze|off):(?P<user>[0-9]+)(?::(?P<topic>[a-z0-9-]+))?",
):
    """Snooze or turn-off button on a nudge. Its custom id says whose nudge and which
    topic, so it works after a restart."""

    def __init__(self, action: str, user_id: int, topic_id: str | None = None) -> None:
        snooze = action == "snooze"
        custom_id = f"nudge:{action}:{user_id}" + (f":{topic_id}" if snooze and topic_id else "")
        super().__init__(
            discord.ui.Button(
                label="Snooze 1 hour" if snooze else "Turn off nudges",
                emoji="⏰" if snooze else "🔕",
                style=discord.ButtonStyle.secondary if snooze else discord.ButtonStyle.danger,
                custom_id=custom_id,
            )
        )
        self.action = action
        self.user_id = user_id
        self.topic_id = topic_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NudgeButton:
        return cls(match["action"], int(match["user"]), match["topic"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Component callbacks bypass the command tree's error handler: answer here.
        try:
            bot: Backbone = interaction.client
            if interaction.user.id != self.user_id:
                await send_reply(interaction, not_yours_reply())
            elif self.action == "off":
                await send_reply(
                    interaction, opted_out_reply(await bot.posture.opt_out(self.user_id))
                )
            else:
                at = await bot.posture.snooze(self.user_id, self.topic_id or "", SNOOZE)
                await send_reply(interaction, snoozed_reply(at))
        except Exception as error:
            await answer_error(interaction, error)


def nudge_view(user_id: int, topic_id: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if topic_id is not None:
        view.add_item(NudgeButton("snooze", user_id, topic_id))
    view.add_item(NudgeButton("off", user_id))
    return view


class PostureCog(commands.Cog):
    posture = app_commands.Group(
        name="posture", description="A daily posture nudge by DM, at your time.", guild_only=True
    )

    def __init__(self, bot: Backbone) -> None:
        self.bot = bot
        self.pacer = Pacer(bot.settings.global_rate_limit * PACE_FRACTION)
        self.dispatcher = NudgeDispatcher(
            bot.posture, self.deliver, self.deliver_to_server, bot.posture.clock
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(NudgeButton)
        if self.bot.background_tasks:
            self.bot.posture.wake = self.dispatcher.wake
            self.dispatcher.start()

    async def cog_unload(self) -> None:
        await self.dispatcher.stop()
        self.bot.posture.wake = lambda: None
        self.bot.remove_dynamic_items(NudgeButton)

    # --- commands ----------------------------------------------------------------------

    @posture.command(name="on", description="Get a daily posture nudge by DM at your time.")
    @app_commands.describe(
        time="Local time, e.g. 07:30 or 7:30am (default: your current one, or the server's)",
        timezone="Your IANA timezone, e.g. Europe/London (pick from the list as you type)",
        days="Every day, or weekdays only",
    )
    async def on(
        self,
        interaction: discord.Interaction[Backbone],
        time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: Literal["every day", "weekdays"] | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        user = interaction.user
        reminder, zone = await self.bot.posture.opt_in(
            interaction.guild_id, user.id, time_text=time, timezone_text=timezone, days=days
        )
        next_at = datetime.fromtimestamp(reminder.due_at, UTC)
        # The welcome DM can take a moment; answer Discord within its 3 seconds first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        refused = False
        channel_id = None
        try:
            channel = await self.bot.create_dm(user)
            channel_id = channel.id
            await channel.send(
                view=nudge_view(user.id, None),
                **message_kwargs(welcome_dm(reminder, zone, next_at)),
            )
        except discord.HTTPException as error:
            if not _is_dm_refusal(error):
                raise
            refused = True
        await self.bot.posture.record_dm(user.id, channel_id=channel_id, refused=refused)
        status = await self.bot.posture.status(interaction.guild_id, user.id)
        await send_reply(
            interaction,
            opted_in_reply(
                reminder,
                zone,
                next_at,
                dm_refused=refused,
                fallback_channel_id=status.fallback_channel_id,
            ),
        )

    @on.autocomplete("timezone")
    async def on_timezone(
        self, interaction: discord.Interaction[Backbone], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c.label, value=c.value) for c in timezone_choices(current)]

    @posture.command(name="off", description="Stop your daily posture nudge.")
    async def off(self, interaction: discord.Interaction[Backbone]) -> None:
        await send_reply(
            interaction, opted_out_reply(await self.bot.posture.opt_out(interaction.user.id))
        )

    @posture.command(name="status", description="Your posture nudge settings and last delivery.")
    async def status(self, interaction: discord.Interaction[Backbone]) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        status = await self.bot.posture.status(interaction.guild_id, interaction.user.id)
        await send_reply(interaction, status_reply(status))

    @posture.command(name="tip", description="One posture nudge, right now.")
    async def tip(self, interaction: discord.Interaction[Backbone]) -> None:
        topic_id = await self.bot.posture.tip(interaction.user.id)
        embed = to_embed(nudge_embed(self.bot.knowledge.current.base, topic_id))
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)

    # --- delivery (called by the dispatcher) ---------------------------------------------

    async def deliver(self, claim: Claim) -> tuple[Outcome, int | None]:
        kb = self.bot.knowledge.current.base
        if claim.topic_id not in kb.posture_topics:  # removed by a reload since the claim
            return "failed", claim.dm_channel_id
        embed = to_embed(nudge_embed(kb, claim.topic_id, snoozed=claim.kind == "snooze"))
        view = nudge_view(claim.user_id, claim.topic_id)
        channel_id = claim.dm_channel_id
        if not claim.dms_refused:
            try:
                if channel_id is None:
                    await self.pacer.wait()
                    channel_id = (await self.bot.create_dm(discord.Object(claim.user_id))).id
                await self.pacer.wait()
                dm = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
                await self._send(dm, embed=embed, view=view, nonce=claim.nonce)
                return "dm", channel_id
            except discord.HTTPException as error:
                if not _is_dm_refusal(error):
                    raise
                log.info(
                    "Member %s does not accept DMs; no more DMs until /posture on", claim.user_id
                )
        if claim.fallback_channel_id is None:
            return "refused", channel_id
        await self.pacer.wait()
        channel = self.bot.get_partial_messageable(claim.fallback_channel_id)
        await self._send(
            channel,
            content=fallback_content(claim.user_id),
            embed=embed,
            view=view,
            nonce=claim.nonce,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(claim.user_id)]
            ),
        )
        return "channel", channel_id

    async def deliver_to_server(self, claim: ServerClaim) -> str:
        embed = to_embed(nudge_embed(self.bot.knowledge.current.base, claim.topic_id))
        await self.pacer.wait()
        channel = self.bot.get_partial_messageable(claim.channel_id)
        try:
            await self._send(channel, embed=embed, nonce=claim.nonce)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning(
                "Cannot post the daily nudge in channel %s of server %s: %s",
                claim.channel_id,
                claim.guild_id,
                error.text,
            )
            return "failed"
        return "channel"

    @staticmethod
    async def _send(
        channel: discord.PartialMessageable,
        *,
        view: discord.ui.View | None = None,
        allowed_mentions: discord.AllowedMentions = NO_MENTIONS,
        **kwargs: Any,
    ) -> None:
        kwargs["allowed_mentions"] = allowed_mentions
        if view is not None:
            kwargs["view"] = view
        await channel.send(**kwargs)
        if view is not None:
            # The buttons are dynamic items, routed by custom id: the view object need
            # not be kept per message (thousands a day).
            view.stop()


async def setup(bot: Backbone) -> None:
    await bot.add_cog(PostureCog(bot))
