"""The confirm and cancel buttons of /privacy delete (only the member can press them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.core.replies import Reply
from bot.features.privacy import service as privacy_service
from bot.features.privacy.replies import (
    CANCELLED,
    NOT_YOURS,
    deleted_reply,
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
