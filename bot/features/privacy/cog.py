"""/privacy export and /privacy delete: thin adapters over `bot.features.privacy.service`.

The delete confirmation buttons are DynamicItems whose custom id carries the member's
id and the choice (`privacy:delete:<user_id>:<confirm|cancel>`): they hold no state in
memory, so they keep working across a restart, and the id lets the callback refuse
anyone but the member who asked (and only ever delete the presser's own data).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.replies import Reply
from bot.features.privacy import service as privacy_service
from bot.features.privacy.replies import (
    CANCELLED,
    NOT_YOURS,
    delete_prompt,
    deleted_reply,
    export_filename,
    export_reply,
)
from bot.runtime.errors import answer_error
from bot.runtime.replies import reply_kwargs

if TYPE_CHECKING:
    from bot.app import Backbone


class PrivacyDeleteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"privacy:delete:(?P<user>[0-9]+):(?P<action>confirm|cancel)",
):
    def __init__(self, user_id: int, action: str) -> None:
        confirm = action == "confirm"
        super().__init__(
            discord.ui.Button(
                label="Delete everything" if confirm else "Cancel",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"privacy:delete:{user_id}:{action}",
            )
        )
        self.user_id = user_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> PrivacyDeleteButton:
        return cls(int(match["user"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Component callbacks bypass the command tree's error handler: answer here.
        try:
            if interaction.user.id != self.user_id:
                await interaction.response.send_message(
                    **reply_kwargs(Reply(content=NOT_YOURS, ephemeral=True))
                )
                return
            if self.action == "confirm":
                bot: Backbone = interaction.client
                deleted = await privacy_service.delete_everything(bot.storage, self.user_id)
                reply = deleted_reply(deleted)
            else:
                reply = Reply(content=CANCELLED, ephemeral=True)
            kwargs = reply_kwargs(reply)
            del kwargs["ephemeral"]  # an edit keeps the message's own visibility
            await interaction.response.edit_message(**kwargs, view=None)
        except Exception as error:
            await answer_error(interaction, error)


def confirm_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PrivacyDeleteButton(user_id, "confirm"))
    view.add_item(PrivacyDeleteButton(user_id, "cancel"))
    return view


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


async def setup(bot: Backbone) -> None:
    await bot.add_cog(PrivacyCog(bot))
