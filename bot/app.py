"""The Bot subclass: wires the services over the storage `main()` opened, loads every feature."""

from __future__ import annotations

import importlib.util
import logging
import pkgutil

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
from bot.runtime.pacing import Pacer
from bot.runtime.scheduler import Scheduler
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


class Backbone(commands.Bot):
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
        )
        amortize_bucket_sweeps(self.http)
        self.pacer = Pacer(settings.global_rate_limit)
        """The one budget every request the bot starts on its own waits for."""
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
        self.scheduler = Scheduler(storage, clock)
        """Every timed delivery; features register their jobs when they load."""
        self.posture.wake = self.scheduler.wake
        self.backday_reminders.wake = self.scheduler.wake
        self.recaps.wake = self.scheduler.wake
        self.sync_on_start = sync_on_start
        self.background_tasks = background_tasks
        """Whether this process serves members (`backbone run`): the scheduler runs and
        streak cards get their worker process; not for `sync` or `preview`."""

    async def setup_hook(self) -> None:
        if self.settings.api_base_url != DISCORD_API:
            # discord.py's unsharded client dials its built-in gateway address without
            # asking the API. With another API base (the tests' local Discord double),
            # ask that API where its gateway is, so nothing connects to Discord itself.
            _shards, url, _limits = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
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
            self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.stop()
        await super().close()
        await self.pacer.close()

    async def on_ready(self) -> None:
        log.info("Ready as %s in %d servers", self.user, len(self.guilds))
