"""Leaderboard page buttons that survive restarts, and the page they show."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.features.streaks.replies import (
    LEADERBOARD_PAGE_SIZE,
    leaderboard_embed,
)
from bot.runtime.errors import answer_error
from bot.runtime.replies import to_embed
from bot.storage.streaks import Standing

if TYPE_CHECKING:
    from bot.app import Backbone


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
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
        guild_id_of(interaction),
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
