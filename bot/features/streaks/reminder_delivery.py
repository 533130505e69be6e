"""The Discord side of a streak-at-risk reminder: one DM with a turn-off button.

The reminder job claims a due reminder through the service, sends it here and records
the outcome. Discord's error 50007 (DMs closed) is recorded as 'refused', and the member
is not DMed again until they set the reminder again. Unlike posture nudges, a reminder
is never posted in a server channel: a streak at risk is the member's own business.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.features.streaks.reminder_replies import not_yours_reply, reminder_dm, reminder_off_reply
from bot.features.streaks.reminders import BackdayReminderService, Outcome, ReminderClaim
from bot.runtime.errors import answer_error
from bot.runtime.replies import message_kwargs, send_reply
from bot.runtime.scheduler import deliver_claimed

if TYPE_CHECKING:
    from bot.app import Backbone

log = logging.getLogger(__name__)

CANNOT_DM = 50007
MAX_ID = 2**63 - 1


class ReminderOffButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"backday-reminder:off:(?P<user>[0-9]{1,20})",
):
    """Turns the member's streak reminder off; its custom id says whose, so it works after
    a restart."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Turn off this reminder",
                emoji="🔕",
                style=discord.ButtonStyle.secondary,
                custom_id=f"backday-reminder:off:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ReminderOffButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Component callbacks bypass the command tree's error handler: answer here.
        try:
            bot: Backbone = interaction.client
            if interaction.user.id != self.user_id or self.user_id > MAX_ID:
                await send_reply(interaction, not_yours_reply())
            else:
                was_on = await bot.backday_reminders.off(self.user_id)
                await send_reply(interaction, reminder_off_reply(was_on))
        except Exception as error:
            await answer_error(interaction, error)


def reminder_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReminderOffButton(user_id))
    return view


class ReminderSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def to_member(self, claim: ReminderClaim) -> tuple[Outcome, int | None]:
        names = {}
        for risk in claim.at_risk:
            guild = self.client.get_guild(risk.guild_id)
            if guild is not None:
                names[risk.guild_id] = guild.name
        channel_id = claim.dm_channel_id
        try:
            if channel_id is None:
                channel_id = (await self.client.create_dm(discord.Object(claim.user_id))).id
            dm = self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
            view = reminder_view(claim.user_id)
            await dm.send(view=view, nonce=claim.nonce, **message_kwargs(reminder_dm(claim, names)))
            view.stop()  # the button is a dynamic item, routed by its custom id
        except discord.Forbidden as error:
            if error.code != CANNOT_DM:
                raise
            log.info("Member %s does not accept DMs; no reminders until set again", claim.user_id)
            return "refused", channel_id
        return "dm", channel_id


class BackdayReminders:
    """Streak-at-risk reminders as a timed job (kind "backday", keyed by user id)."""

    kind = "backday"

    def __init__(self, service: BackdayReminderService, sender: ReminderSender) -> None:
        self.service = service
        self.sender = sender

    async def run(self, key: int) -> None:
        claim = await self.service.claim(key)
        await deliver_claimed(
            claim,
            self.sender.to_member,
            lambda c, sent: self.service.finish(c, *sent),
            failed=("failed", claim.dm_channel_id if claim else None),
            what=f"the streak reminder for member {key}",
        )

    async def retry_later(self, key: int, delay: timedelta) -> None:
        await self.service.defer(key, delay)
