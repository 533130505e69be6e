"""/privacy export, delete and leaderboard: thin adapters over `bot.features.privacy.service`.

The delete confirmation buttons are DynamicItems whose custom id carries the member's
id and the choice (`privacy:delete:<user_id>:<confirm|cancel>`): they hold no state in
memory, so they keep working across a restart, and the id lets the callback refuse
anyone but the member who asked (and only ever delete the presser's own data).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserFacingError
from bot.features.privacy import service as privacy_service
from bot.features.privacy.replies import (
    delete_prompt,
    export_filename,
    export_reply,
    visibility_reply,
)
from bot.features.privacy.views import PrivacyDeleteButton, confirm_view
from bot.runtime.replies import reply_kwargs, send_reply

if TYPE_CHECKING:
    from bot.app import Backbone


class PrivacyCog(commands.Cog):
    # Not guild_only: the data spans every server (and posture nudges come by DM), so a
    # member can reach it from any server or from a DM with the bot, even after leaving.
    privacy = app_commands.Group(
        name="privacy", description="See or delete everything Backbone stores about you."
    )

    def __init__(self, bot: Backbone) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PrivacyDeleteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PrivacyDeleteButton)

    @privacy.command(name="export", description="Get a JSON file of everything stored about you.")
    async def export(self, interaction: discord.Interaction[Backbone]) -> None:
        user_id = interaction.user.id
        exported = await privacy_service.export_json(
            self.bot.storage, user_id, self.bot.streaks.clock()
        )
        file = discord.File(io.BytesIO(exported.content), export_filename(user_id))
        await interaction.response.send_message(
            **reply_kwargs(export_reply(exported.summary)), file=file
        )

    @privacy.command(
        name="delete", description="Delete everything stored about you (asks to confirm)."
    )
    async def delete(self, interaction: discord.Interaction[Backbone]) -> None:
        user_id = interaction.user.id
        stored = await privacy_service.summary(self.bot.storage, user_id)
        kwargs = reply_kwargs(delete_prompt(stored))
        if stored.total:
            kwargs["view"] = confirm_view(user_id)
        await interaction.response.send_message(**kwargs)

    @privacy.command(
        name="leaderboard", description="Hide or show yourself on every server's leaderboards."
    )
    @app_commands.describe(
        show="False: hidden from every leaderboard (your streaks still count); True: shown"
    )
    async def leaderboard(self, interaction: discord.Interaction[Backbone], show: bool) -> None:
        if not isinstance(show, bool):  # a modified client can send anything
            raise UserFacingError("`show` takes True or False.")
        changed = await privacy_service.show_on_leaderboards(
            self.bot.storage, interaction.user.id, show
        )
        await send_reply(interaction, visibility_reply(show, changed))


async def setup(bot: Backbone) -> None:
    await bot.add_cog(PrivacyCog(bot))
