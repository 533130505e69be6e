"""/backday, /streak and /leaderboard: thin adapters over `bot.features.streaks.service`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.features.streaks.replies import (
    LEADERBOARD_PAGE_SIZE,
    already_logged_reply,
    leaderboard_embed,
    logged_reply,
    never_logged_reply,
    streak_reply,
    undo_reply,
)
from bot.features.streaks.service import NOTE_MAX_LENGTH
from bot.runtime.errors import answer_error
from bot.runtime.replies import NO_MENTIONS, send_reply, to_embed
from bot.storage.streaks import Standing

if TYPE_CHECKING:
    from bot.app import Backbone


def _guild_id(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:  # guild_only commands; kept for the type checker
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


class LeaderboardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"leaderboard:(?P<page>[0-9]+):(?P<side>prev|next)"
        r":(?P<current>[0-9]+):(?P<best>[0-9]+):(?P<total>[0-9]+):(?P<user>[0-9]+)"
    ),
):
    """A page button whose custom id carries its target page and the edge row of the page
    it came from, so it keeps working after a restart and never counts through members.
    """

    def __init__(self, page: int, side: str, edge: Standing, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="◀ Previous" if side == "prev" else "Next ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=(
                    f"leaderboard:{page}:{side}:{edge.current}:{edge.best}:{edge.total}"
                    f":{edge.user_id}"
                ),
                disabled=disabled,
            )
        )
        self.page = page
        self.side = side
        self.edge = edge

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> LeaderboardButton:
        edge = Standing(
            int(match["user"]), int(match["current"]), int(match["best"]), int(match["total"])
        )
        return cls(int(match["page"]), match["side"], edge)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # Component callbacks bypass the command tree's error handler: answer here.
        try:
            cursor = {"after": self.edge} if self.side == "next" else {"before": self.edge}
            embed, view = await leaderboard_message(
                interaction.client, interaction, self.page, **cursor
            )
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as error:
            await answer_error(interaction, error)


_NO_EDGE = Standing(0, 0, 0, 0)


async def leaderboard_message(
    bot: Backbone,
    interaction: discord.Interaction[Any],
    page: int,
    *,
    after: Standing | None = None,
    before: Standing | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    board = await bot.streaks.leaderboard(
        _guild_id(interaction),
        interaction.user.id,
        LEADERBOARD_PAGE_SIZE,
        page=page,
        after=after,
        before=before,
    )
    first = board.rows[0].standing if board.rows else _NO_EDGE
    last = board.rows[-1].standing if board.rows else _NO_EDGE
    has_next = board.page < board.pages - 1 and len(board.rows) == LEADERBOARD_PAGE_SIZE
    view = discord.ui.View(timeout=None)
    view.add_item(
        LeaderboardButton(max(board.page - 1, 0), "prev", first, disabled=board.page == 0)
    )
    view.add_item(LeaderboardButton(board.page + 1, "next", last, disabled=not has_next))
    embed = to_embed(leaderboard_embed(board.page, board.pages, board.rows, board.me))
    return embed, view


class StreaksCog(commands.Cog):
    backday = app_commands.Group(
        name="backday", description="Log your back days for the weekly streak.", guild_only=True
    )

    def __init__(self, bot: Backbone) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(LeaderboardButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(LeaderboardButton)

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
        guild_id = _guild_id(interaction)
        result = await self.bot.streaks.log(guild_id, interaction.user.id, when, note)
        reply = logged_reply if result.logged else already_logged_reply
        await send_reply(interaction, reply(result.day, result.today, result.stats))

    @backday.command(
        name="undo", description="Remove your most recent back day (today or yesterday)."
    )
    async def undo(self, interaction: discord.Interaction[Backbone]) -> None:
        guild_id = _guild_id(interaction)
        result = await self.bot.streaks.undo(guild_id, interaction.user.id)
        await send_reply(interaction, undo_reply(result.removed, result.today, result.stats))

    @app_commands.command(name="streak", description="Your weekly back-day streak (or a member's).")
    @app_commands.guild_only()
    @app_commands.describe(member="Whose streak to show (default: yours)")
    async def streak(
        self, interaction: discord.Interaction[Backbone], member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        stats = await self.bot.streaks.stats(_guild_id(interaction), target.id)
        if stats is None:
            reply = never_logged_reply(target.display_name, target.id == interaction.user.id)
        else:
            reply = streak_reply(target.display_name, stats)
        await send_reply(interaction, reply)

    @app_commands.command(name="leaderboard", description="This server's weekly back-day streaks.")
    @app_commands.guild_only()
    async def leaderboard(self, interaction: discord.Interaction[Backbone]) -> None:
        embed, view = await leaderboard_message(self.bot, interaction, page=0)
        await interaction.response.send_message(
            embed=embed, view=view, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: Backbone) -> None:
    await bot.add_cog(StreaksCog(bot))
