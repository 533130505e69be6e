"""/help: what the bot does, listing every registered command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.features.help.replies import help_reply
from bot.runtime.contexts import any_install, anywhere
from bot.runtime.replies import send_reply

if TYPE_CHECKING:
    from bot.app import Backbone


def command_listing(tree: app_commands.CommandTree[Any]) -> list[tuple[str, str]]:
    """(qualified name, description) of every slash command, subcommands expanded."""
    listing: list[tuple[str, str]] = []
    for command in sorted(tree.get_commands(), key=lambda c: c.name):
        if isinstance(command, app_commands.Group):
            listing += [
                (c.qualified_name, c.description)
                for c in command.walk_commands()
                if isinstance(c, app_commands.Command)
            ]
        elif isinstance(command, app_commands.Command):
            listing.append((command.qualified_name, command.description))
    return listing


class HelpCog(commands.Cog):
    def __init__(self, bot: Backbone) -> None:
        self.bot = bot

    @anywhere
    @any_install
    @app_commands.command(name="help", description="What Backbone does and how to start.")
    async def help(self, interaction: discord.Interaction[Backbone]) -> None:
        await send_reply(interaction, help_reply(command_listing(self.bot.tree)))


async def setup(bot: Backbone) -> None:
    await bot.add_cog(HelpCog(bot))
