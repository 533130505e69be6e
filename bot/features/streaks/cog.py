"""/backday, /streak and /leaderboard: thin adapters over `bot.features.streaks.service`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserFacingError
from bot.features.streaks.card import CARD_WEEKS, CardCache, render_pool
from bot.features.streaks.reminder_delivery import (
    BackdayReminders,
    ReminderOffButton,
    ReminderSender,
)
from bot.features.streaks.reminder_replies import reminder_off_reply, reminder_set_reply
from bot.features.streaks.replies import (
    already_logged_reply,
    logged_reply,
    never_logged_reply,
    streak_reply,
    undo_reply,
)
from bot.features.streaks.service import NOTE_MAX_LENGTH
from bot.features.streaks.views import LeaderboardButton, guild_id_of, leaderboard_message
from bot.runtime.replies import NO_MENTIONS, send_reply

if TYPE_CHECKING:
    from bot.app import Backbone


class StreaksCog(commands.Cog):
    backday = app_commands.Group(
        name="backday", description="Log your back days for the weekly streak.", guild_only=True
    )

    def __init__(self, bot: Backbone, reminders: BackdayReminders) -> None:
        self.bot = bot
        self.reminders = reminders
        self.cards = CardCache()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(LeaderboardButton, ReminderOffButton)
        self.bot.scheduler.register(self.reminders)
        # Cards render in a worker process: Pillow holds the GIL for milliseconds at a
        # time, which in a thread would slow every other command (benchmarks/cards.py).
        # Only a serving bot starts one: `preview` and `sync` load the cogs to read the
        # command tree and render nothing.
        if self.bot.background_tasks:
            self.cards.executor = render_pool()

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(self.reminders.kind)
        self.bot.remove_dynamic_items(LeaderboardButton, ReminderOffButton)
        if self.cards.executor is not None:
            self.cards.executor.shutdown(wait=False, cancel_futures=True)
            self.cards.executor = None

    @backday.command(name="log", description="Log a back day (today or yesterday).")
    @app_commands.describe(
        when="Which day to log (default: today)", note="Optional note, e.g. what you trained"
    )
    async def log(
        self,
        interaction: discord.Interaction[Backbone],
        when: Literal["today", "yesterday"] = "today",
        note: app_commands.Range[str, 1, NOTE_MAX_LENGTH] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        result = await self.bot.streaks.log(guild_id, interaction.user.id, when, note)
        if result.logged:
            reply = logged_reply(
                result.day, result.today, result.stats, earned_freeze=result.earned_freeze
            )
        else:
            reply = already_logged_reply(result.day, result.today, result.stats)
        await send_reply(interaction, reply)

    @backday.command(
        name="undo", description="Remove your most recent back day (today or yesterday)."
    )
    async def undo(self, interaction: discord.Interaction[Backbone]) -> None:
        guild_id = guild_id_of(interaction)
        result = await self.bot.streaks.undo(guild_id, interaction.user.id)
        await send_reply(interaction, undo_reply(result.removed, result.today, result.stats))

    @backday.command(
        name="reminder", description="A DM on Friday, Saturday or Sunday if a streak is at risk."
    )
    @app_commands.describe(
        day="Which day to check your week (or off to stop)",
        time="Local time, e.g. 18:00 or 6pm (default 18:00)",
    )
    async def reminder(
        self,
        interaction: discord.Interaction[Backbone],
        day: Literal["friday", "saturday", "sunday", "off"],
        time: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        if day not in ("friday", "saturday", "sunday", "off"):  # a modified client
            raise UserFacingError(
                "Pick `friday`, `saturday` or `sunday` for the reminder, or `off` to stop it."
            )
        if day == "off":
            was_on = await self.bot.backday_reminders.off(interaction.user.id)
            await send_reply(interaction, reminder_off_reply(was_on))
            return
        result = await self.bot.backday_reminders.set(guild_id, interaction.user.id, day, time)
        await send_reply(interaction, reminder_set_reply(result))

    @app_commands.command(name="streak", description="Your weekly back-day streak (or a member's).")
    @app_commands.guild_only()
    @app_commands.describe(member="Whose streak to show (default: yours)")
    async def streak(
        self, interaction: discord.Interaction[Backbone], member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        guild_id = guild_id_of(interaction)
        found = await self.bot.streaks.stats_with_days(guild_id, target.id, CARD_WEEKS)
        if found is None:
            reply = never_logged_reply(target.display_name, target.id == interaction.user.id)
        else:
            stats, days = found
            # The card is drawn off the event loop; without it the text still says it all.
            card = await self.cards.attachment(
                (guild_id, target.id), target.display_name, stats, days
            )
            reply = streak_reply(target.display_name, stats, card)
        await send_reply(interaction, reply)

    @app_commands.command(
        name="leaderboard", description="This server's back-day leaderboards, with your rank."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        board="streak: current weekly streak (default) · month: back days this month · "
        "all-time: total back days"
    )
    async def leaderboard(
        self,
        interaction: discord.Interaction[Backbone],
        board: Literal["streak", "month", "all-time"] = "streak",
    ) -> None:
        # `board` is checked again by the service: a modified client can send anything.
        embed, view = await leaderboard_message(
            self.bot, guild_id_of(interaction), interaction.user.id, board, page=0
        )
        await interaction.response.send_message(
            embed=embed, view=view, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: Backbone) -> None:
    reminders = BackdayReminders(bot.backday_reminders, ReminderSender(bot))
    await bot.add_cog(StreaksCog(bot, reminders))
