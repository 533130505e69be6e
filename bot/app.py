"""The Bot subclass: wires the services over the storage `main()` opened, loads every feature.

Backbone is always an `AutoShardedBot`, whatever SHARD_COUNT says:

* SHARD_COUNT and SHARD_IDS set: this process runs those shards of a bot split over
  several processes (sharing one PostgreSQL database). SHARD_COUNT alone: all its shards.
* No SHARD_COUNT: discord.py asks GET /gateway/bot and runs Discord's recommended number
  of shards, all in this process. Below 1,000 servers that is one shard, which behaves
  like the plain client; past 2,500, where Discord refuses unsharded sessions, the same
  process grows to as many shards as Discord asks for at its next start, by itself.

Every IDENTIFY, from any shard and any process, waits for its bucket's slot
(`runtime.identify`); the request budget and the scheduler's batch are this process's
share of the bot's global rate limit (`Settings.request_budget`).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import pkgutil
from collections.abc import Iterable
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot import features
from bot.config import DISCORD_API, Settings
from bot.core.clock import Clock, utc_now
from bot.features.coach.insights import InsightsService
from bot.features.coach.recap import RecapService
from bot.features.coach.retention import Retention
from bot.features.knowledge.store import KnowledgeStore
from bot.features.posture.service import PostureService
from bot.features.streaks.reminders import BackdayReminderService
from bot.features.streaks.service import StreakService
from bot.runtime.errors import BackboneTree
from bot.runtime.http import amortize_bucket_sweeps, pace_requests
from bot.runtime.identify import IdentifyGate
from bot.runtime.pacing import Pacer
from bot.runtime.scheduler import Scheduler, batch_for
from bot.runtime.sync import clear_stale_guilds, sync_commands
from bot.storage import Storage

log = logging.getLogger(__name__)


def feature_extensions() -> tuple[str, ...]:
    """Every feature under `bot.features` that has a `cog` module, as extension names.

    Features are found, not listed: the bot, the CLI and the tests all load this set, so
    a new feature folder with a `cog.py` (and its `setup`) is picked up everywhere.
    """
    found = []
    for module in pkgutil.iter_modules(features.__path__, f"{features.__name__}."):
        if module.ispkg and importlib.util.find_spec(f"{module.name}.cog") is not None:
            found.append(f"{module.name}.cog")
    return tuple(sorted(found))


EXTENSIONS = feature_extensions()


def bot_intents() -> discord.Intents:
    """Slash commands need only the guilds intent; nothing privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


# Backbone never joins voice, so discord.py's "voice will NOT be supported" warnings
# at every start would only be noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def shard_options(settings: Settings) -> dict[str, Any]:
    """AutoShardedBot's `shard_count` and `shard_ids`, only those the settings give: with
    neither, discord.py runs Discord's recommended count."""
    options: dict[str, Any] = {}
    if settings.shard_count is not None:
        options["shard_count"] = settings.shard_count
    if settings.shard_ids is not None:
        options["shard_ids"] = list(settings.shard_ids)
    return options


class Backbone(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        settings: Settings,
        knowledge: KnowledgeStore,
        storage: Storage,
        sync_on_start: bool = True,
        background_tasks: bool = True,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=BackboneTree,
            **shard_options(settings),
        )
        amortize_bucket_sweeps(self.http)
        self.pacer = Pacer(settings.request_budget)
        """The one budget every request this process starts on its own waits for: its
        shards' share of the bot's global limit, which every process draws on."""
        pace_requests(self.http, self.pacer)
        self.settings = settings
        self.knowledge = knowledge
        self.storage = storage
        self.streaks = StreakService(storage, clock)
        self.posture = PostureService(
            storage,
            lambda: list(knowledge.current.base.posture_topics),
            clock,
            timezone_changed=self.streaks.recompute_member,
        )
        self.backday_reminders = BackdayReminderService(
            storage, clock, timezone_changed=self.streaks.recompute_member
        )
        self.recaps = RecapService(storage, clock)
        self.insights = InsightsService(storage, clock)
        self.retention = Retention(storage, clock)
        self.scheduler = Scheduler(storage, clock, batch=batch_for(settings.request_budget))
        """Every timed delivery; features register their jobs when they load."""
        self.posture.wake = self.scheduler.wake
        self.backday_reminders.wake = self.scheduler.wake
        self.recaps.wake = self.scheduler.wake
        self.sync_on_start = sync_on_start
        self.background_tasks = background_tasks
        self._deliveries: asyncio.Task[None] | None = None
        """Whether this process serves members (`backbone run`): the scheduler runs and
        streak cards get their worker process; not for `sync` or `preview`."""
        self.identify_gate = IdentifyGate(storage, clock, self._max_concurrency)
        """Every IDENTIFY of every shard waits here for its bucket's slot."""

    async def _max_concurrency(self) -> int:
        return (await self.fetch_session_start_limits()).max_concurrency

    async def setup_hook(self) -> None:
        if self.settings.api_base_url != DISCORD_API:
            # discord.py dials its built-in gateway address without asking the API when
            # SHARD_COUNT is given, and every shard goes back to it after Discord
            # invalidates its session. With another API base (the tests' local Discord
            # double), ask that API where its gateway is, so nothing dials Discord itself.
            _shards, url, _limits = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        count = self.settings.shard_count
        if count is None:
            log.info("Running the number of shards Discord recommends, all in this process")
        else:
            ids = self.settings.shard_ids or range(count)
            log.info("Running shards %s of %d", describe_shards(ids), count)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        log.info("Knowledge base: %s", self.knowledge.current.base.counts())
        if self.sync_on_start:
            await sync_commands(
                self.tree,
                self.storage,
                self.application_id,
                self.settings.dev_guild_id,
                force=False,
            )
            # After turning DEV_GUILD_ID off (or to another server), the old server would
            # show every command twice: its guild copies and the global ones.
            await clear_stale_guilds(
                self.tree, self.storage, self.application_id, self.settings.dev_guild_id
            )
        if self.background_tasks:
            self._deliveries = asyncio.create_task(
                self._start_deliveries(), name="start-deliveries"
            )

    async def _start_deliveries(self) -> None:
        """Start the scheduler once every shard of this process has its servers: a
        delivery names its server and finds its channel in the cache, which is empty
        until then (and a shard may wait a while for its identify slot)."""
        await self.wait_until_ready()
        # Everything made so far (the knowledge base, discord.py's caches of this
        # process's servers) lives as long as the bot: moved out of the collector's
        # sight, a full collection no longer walks it. Measured in a fan-out of 10,000
        # nudges: full collections paused the event loop 50 to 100 ms every few seconds,
        # and the requests it then owed bunched up; frozen, 10 to 30 ms. Reference
        # counting still frees these objects; only a cycle among them would stay.
        gc.freeze()
        self.scheduler.start()

    async def close(self) -> None:
        if self._deliveries is not None:
            self._deliveries.cancel()
        await self.scheduler.stop()
        await super().close()
        await self.pacer.close()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for the bucket's identify slot, shared with the bot's other processes.

        Replaces discord.py's default (5 s between this process's own shards), for the
        first IDENTIFY of every shard and every re-identify alike.
        """
        await self.identify_gate.wait(shard_id or 0)

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        """discord.py's, but not once the bot is closing.

        discord.py starts shards one after another and retries a failed one forever; a
        SIGTERM while a shard waits for its identify slot would otherwise leave the rest
        (and the retries) connecting after `close()`, and the process would never exit.
        """
        if self.is_closed():
            return
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def on_shard_ready(self, shard_id: int) -> None:
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("Shard %d of %s ready in %d servers", shard_id, self.shard_count, servers)

    async def on_ready(self) -> None:
        ids = describe_shards(sorted(self.shards))
        log.info(
            "Ready as %s in %d servers (shards %s of %s)",
            self.user,
            len(self.guilds),
            ids,
            self.shard_count,
        )


def describe_shards(ids: Iterable[int]) -> str:
    """Shard ids as SHARD_IDS writes them: `0-3,6`."""
    runs: list[list[int]] = []
    for shard in sorted(ids):
        if runs and shard == runs[-1][1] + 1:
            runs[-1][1] = shard
        else:
            runs.append([shard, shard])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
