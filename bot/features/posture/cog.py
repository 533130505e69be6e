"""/posture: a thin adapter over the posture service.

`setup` wires the posture jobs to the Discord delivery (`delivery.NudgeDelivery`) when
the extension loads, and the cog registers them with the bot's one scheduler while it is
loaded; the scheduler runs only under `backbone run`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserFacingError
from bot.core.timezones import timezone_choices
from bot.features.posture.delivery import NudgeDelivery, is_dm_refusal
from bot.features.posture.jobs import ChannelNudges, MemberNudges
from bot.features.posture.replies import (
    nudge_embed,
    opted_in_reply,
    opted_out_reply,
    status_reply,
    welcome_dm,
)
from bot.features.posture.views import NudgeButton, nudge_view
from bot.runtime.contexts import ANY_INSTALL, ANYWHERE
from bot.runtime.replies import NO_MENTIONS, message_kwargs, send_reply, to_embed
from bot.runtime.scheduler import TimedJob

if TYPE_CHECKING:
    from bot.app import Backbone

log = logging.getLogger(__name__)


SERVER_ONLY_ON = (
    "`/posture on` works in a server that has added Backbone: your nudges follow that "
    "server's settings, and use its nudge channel if your DMs are closed. "
    "`/posture tip` works anywhere."
)


class PostureCog(commands.Cog):
    # tip, off and status work anywhere (the member's own nudges, or one tip now); `on`
    # needs a server that added the bot, and says so elsewhere.
    posture = app_commands.Group(
        name="posture",
        description="A daily posture nudge by DM, at your time.",
        allowed_contexts=ANYWHERE,
        allowed_installs=ANY_INSTALL,
    )

    def __init__(self, bot: Backbone, jobs: Sequence[TimedJob]) -> None:
        self.bot = bot
        self.jobs = jobs

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(NudgeButton)
        for job in self.jobs:
            self.bot.scheduler.register(job)

    async def cog_unload(self) -> None:
        for job in self.jobs:
            self.bot.scheduler.unregister(job.kind)
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
        if interaction.guild_id is None or not interaction.is_guild_integration():
            raise UserFacingError(SERVER_ONLY_ON)
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
            if not is_dm_refusal(error):
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
        # Outside a server, the member's own settings (or the defaults) still answer.
        status = await self.bot.posture.status(interaction.guild_id or 0, interaction.user.id)
        await send_reply(interaction, status_reply(status))

    @posture.command(name="tip", description="One posture nudge, right now.")
    async def tip(self, interaction: discord.Interaction[Backbone]) -> None:
        topic_id = await self.bot.posture.tip(interaction.user.id)
        embed = to_embed(nudge_embed(self.bot.knowledge.current.base, topic_id))
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)


async def setup(bot: Backbone) -> None:
    delivery = NudgeDelivery(bot, lambda: bot.knowledge.current.base)
    jobs: list[TimedJob] = [
        MemberNudges(bot.posture, delivery.to_member),
        ChannelNudges(bot.posture, delivery.to_server),
    ]
    await bot.add_cog(PostureCog(bot, jobs))
