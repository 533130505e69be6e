"""The floor for `benchmarks/e2e.py`: the least a discord.py bot can do per interaction.

Same library and the same start-up as Backbone (DISCORD_TOKEN, and DISCORD_API_BASE_URL
pointed at the loopback Discord double via `discord.http.Route.BASE`), with /cue, /ask,
/backday log and /leaderboard answering one constant string: no knowledge base, no
database, no error handler.

It asks GET /gateway/bot where the gateway is before connecting, as Backbone does: a
non-sharded discord.py Client would otherwise dial wss://gateway.discord.gg.

    DISCORD_TOKEN=... DISCORD_API_BASE_URL=http://127.0.0.1:PORT/api/v10 \\
        python benchmarks/e2e_floor_bot.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

import discord
import yarl
from discord import app_commands

REPLY = "ok"


class FloorBot(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        _shards, url, _limits = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.tree.sync()


client = FloorBot()


@client.tree.command(name="cue", description="Constant reply (benchmark floor).")
async def cue(interaction: discord.Interaction, exercise: str) -> None:
    await interaction.response.send_message(REPLY)


@client.tree.command(name="ask", description="Constant reply (benchmark floor).")
async def ask(interaction: discord.Interaction, question: str) -> None:
    await interaction.response.send_message(REPLY)


backday = app_commands.Group(name="backday", description="Constant replies (benchmark floor).")
client.tree.add_command(backday)


@backday.command(name="log", description="Constant reply (benchmark floor).")
async def log(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(REPLY)


@client.tree.command(name="leaderboard", description="Constant reply (benchmark floor).")
async def leaderboard(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(REPLY)


async def main() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE_URL"].rstrip("/")
    async with client:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(client.close()))
        await client.start(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    discord.utils.setup_logging(level=getattr(logging, os.environ.get("LOG_LEVEL", "INFO")))
    asyncio.run(main())
