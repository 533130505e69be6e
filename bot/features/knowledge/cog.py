"""/cue, /why-back-pain and /ask: thin adapters over `answers`, usable anywhere (servers,
the bot's DM, private channels, and as an app a member installs for themselves)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.fuzzy import Choice
from bot.features.knowledge.answers import ASK_MAX_LENGTH, ask_reply, cue_reply, why_back_pain_reply
from bot.runtime.contexts import any_install, anywhere
from bot.runtime.replies import send_reply

if TYPE_CHECKING:
    from bot.app import Backbone


def _choices(choices: list[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c.label, value=c.value) for c in choices]


class KnowledgeCog(commands.Cog):
    def __init__(self, bot: Backbone) -> None:
        self.bot = bot

    @anywhere
    @any_install
    @app_commands.command(
        name="cue", description="How to do a back exercise well: setup, cues, mistakes and fixes."
    )
    @app_commands.describe(exercise="The exercise, e.g. rows, pull-up, deadlift")
    async def cue(
        self, interaction: discord.Interaction[Backbone], exercise: app_commands.Range[str, 1, 100]
    ) -> None:
        await send_reply(interaction, cue_reply(self.bot.knowledge.current, exercise))

    @cue.autocomplete("exercise")
    async def cue_exercise(
        self, interaction: discord.Interaction[Backbone], current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.knowledge.current.index.exercises.complete(current))

    @anywhere
    @any_install
    @app_commands.command(
        name="why-back-pain",
        description="Why your back might hurt after squats or sitting, and what to change.",
    )
    @app_commands.describe(situation="Leave empty for the overview, or pick a situation")
    async def why_back_pain(
        self,
        interaction: discord.Interaction[Backbone],
        situation: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await send_reply(interaction, why_back_pain_reply(self.bot.knowledge.current, situation))

    @why_back_pain.autocomplete("situation")
    async def why_back_pain_situation(
        self, interaction: discord.Interaction[Backbone], current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.knowledge.current.index.situations.complete(current))

    @anywhere
    @any_install
    @app_commands.command(
        name="ask", description="Ask a back-training or posture question in your own words."
    )
    @app_commands.describe(question="e.g. lower back hurts after leg day")
    async def ask(
        self,
        interaction: discord.Interaction[Backbone],
        question: app_commands.Range[str, 1, ASK_MAX_LENGTH],
    ) -> None:
        await send_reply(interaction, ask_reply(self.bot.knowledge.current, question))


async def setup(bot: Backbone) -> None:
    await bot.add_cog(KnowledgeCog(bot))
