"""Buttons on a nudge: snooze it an hour, or turn nudges off. They survive restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.features.posture.replies import not_yours_reply, opted_out_reply, snoozed_reply
from bot.features.posture.schedule import SNOOZE
from bot.runtime.errors import answer_error
from bot.runtime.replies import send_reply

if TYPE_CHECKING:
    from bot.app import Backbone


SNOOZE_LABEL, SNOOZE_EMOJI = "Snooze 1 hour", "⏰"
OFF_LABEL, OFF_EMOJI = "Turn off nudges", "🔕"


def _custom_id(action: str, user_id: int, topic_id: str | None) -> str:
    snooze = action == "snooze"
    return f"nudge:{action}:{user_id}" + (f":{topic_id}" if snooze and topic_id else "")


class NudgeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"nudge:(?P<action>snooze|off):(?P<user>[0-9]+)(?::(?P<topic>[a-z0-9-]+))?",
):
    """Snooze or turn-off button on a nudge. Its custom id says whose nudge and which
    topic, so it works after a restart."""

    def __init__(self, action: str, user_id: int, topic_id: str | None = None) -> None:
        snooze = action == "snooze"
        super().__init__(
            discord.ui.Button(
                label=SNOOZE_LABEL if snooze else OFF_LABEL,
                emoji=SNOOZE_EMOJI if snooze else OFF_EMOJI,
                style=discord.ButtonStyle.secondary if snooze else discord.ButtonStyle.danger,
                custom_id=_custom_id(action, user_id, topic_id),
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


def nudge_components(user_id: int, topic_id: str | None) -> list[dict[str, Any]]:
    """`nudge_view(user_id, topic_id).to_components()`, built without the view.

    For the scheduler's nudges, thousands a minute: a view and its items refer to each
    other, so each one sent left a dozen objects in reference cycles, and the collector's
    full passes over them paused the bot for a tenth of a second every few seconds of a
    fan-out. The buttons are routed by custom id (`NudgeButton`), so no view is kept."""

    def button(action: str, style: discord.ButtonStyle, label: str, emoji: str) -> dict[str, Any]:
        return {
            "type": discord.ComponentType.button.value,
            "style": style.value,
            "disabled": False,
            "label": label,
            "custom_id": _custom_id(action, user_id, topic_id),
            "emoji": {"id": None, "name": emoji},
        }

    buttons = [button("off", discord.ButtonStyle.danger, OFF_LABEL, OFF_EMOJI)]
    if topic_id is not None:
        snooze = button("snooze", discord.ButtonStyle.secondary, SNOOZE_LABEL, SNOOZE_EMOJI)
        buttons.insert(0, snooze)
    return [{"type": discord.ComponentType.action_row.value, "components": buttons}]
