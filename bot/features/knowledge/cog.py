"""/cue, /why-back-pain and /ask: thin adapters over `answers`, usable anywhere (servers,
the bot's DM, private channels, and as an app a member installs for themselves).

After answering, each command counts what it served for /coach insights (`bot.insights`):
the entry opened, or an `/ask` question with no good match. Nothing says who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.fuzzy import Choice
from bot.features.knowledge.answers import (
    ASK_MAX_LENGTH,
    ask_answer,
    cue_reply,
    why_back_pain_reply,
)
from bot.runtime.contexts import any_install, anywhere
from bot.runtime.replies import send_reply

if TYPE_CHECKING:
    from bot.app import Backbone

log = logging.getLogger(__name__)


def _choices(choices: list[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c.label, value=c.value) for c in choices]


def counted_in(interaction: discord.Interaction[Backbone]) -> int:
    """The server a use is counted for: the one the command ran in if it added the bot,
    else 0 (DMs, private channels, a member's own install used in a server)."""
    if interaction.guild_id is not None and interaction.is_guild_integration():
        return interaction.guild_id
    return 0


async def count(recording: Awaitable[None]) -> None:
    """Count a use after the reply went out; a failure here never reaches the member."""
    try:
        await recording
    except Exception:
        log.exception("Could not count a knowledge command for /coach insights")


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
        knowledge = self.bot.knowledge.current
        await send_reply(interaction, cue_reply(knowledge, exercise))
        entry_id = knowledge.index.exercises.resolve(exercise)
        if entry_id is not None:
            await count(
                self.bot.insights.record_open(counted_in(interaction), "exercise", entry_id)
            )

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
        knowledge = self.bot.knowledge.current
        await send_reply(interaction, why_back_pain_reply(knowledge, situation))
        entry_id = None if situation is None else knowledge.index.situations.resolve(situation)
        if entry_id is not None:
            await count(
                self.bot.insights.record_open(counted_in(interaction), "situation", entry_id)
            )

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
        reply, outcome = ask_answer(self.bot.knowledge.current, question)
        await send_reply(interaction, reply)
        server = counted_in(interaction)
        if not outcome.answered:
            await count(self.bot.insights.record_unanswered(server, question))
        if outcome.top is not None:
            kind, entry_id = outcome.top
            await count(self.bot.insights.record_open(server, kind, entry_id))


async def setup(bot: Backbone) -> None:
    await bot.add_cog(KnowledgeCog(bot))
