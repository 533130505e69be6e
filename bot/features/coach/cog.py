"""/coach: server-admin commands (Manage Server), checked again at run time.

`setup` wires the weekly recap job to its Discord side and the cog registers it, with
the daily retention job, on the bot's one scheduler while it is loaded (the scheduler
runs only under `backbone run`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserFacingError
from bot.core.replies import DESCRIPTION_LIMIT, EmbedSpec, Field, Reply, discord_timestamp
from bot.core.time_of_day import parse_member_time
from bot.core.timezones import resolve_timezone, timezone_choices
from bot.features.coach.insights import DEFAULT_DAYS, MAX_DAYS, validate_days
from bot.features.coach.recap_delivery import RecapJob, RecapSender
from bot.features.coach.replies import (
    insights_reply,
    recap_off_reply,
    recap_on_reply,
    recap_show_reply,
)
from bot.features.knowledge import KnowledgeBaseError
from bot.runtime.replies import NO_MENTIONS, send_reply
from bot.runtime.scheduler import TimedJob
from bot.storage.settings import GuildSettings

if TYPE_CHECKING:
    from bot.app import Backbone

log = logging.getLogger(__name__)


def error_listing(lines: list[str], limit: int = DESCRIPTION_LIMIT) -> tuple[str, bool]:
    """As many `file:line: message` lines as fit in a code block; True if some were cut."""
    shown: list[str] = []
    budget = limit - len("```\n\n```") - 40
    for n, line in enumerate(lines):
        if len(line) + 1 > budget:
            shown.append(f"… and {len(lines) - n} more (see the attached file)")
            return "```\n" + "\n".join(shown) + "\n```", True
        shown.append(line)
        budget -= len(line) + 1
    return "```\n" + "\n".join(shown) + "\n```", False


_SHOWN = (
    ("timezone", "Timezone"),
    ("weekly_target", "Weekly target"),
    ("nudge_channel_id", "Nudge channel"),
    ("nudge_time", "Daily channel nudge"),
    ("default_reminder_time", "Default reminder time"),
)


def _shown(settings: GuildSettings, name: str) -> str:
    value = getattr(settings, name)
    if name == "weekly_target":
        return f"{value} back day(s)"
    if name == "nudge_channel_id":
        return "none" if value is None else f"<#{value}>"
    if name == "nudge_time":
        if value is None:
            return "off"
        where = "" if settings.nudge_channel_id else " (set nudge_channel to post it)"
        return f"{value} ({settings.timezone}){where}"
    return str(value)


def _changed(settings: GuildSettings, name: str) -> str:
    """A value as the "what changed" line shows it: bare numbers and names."""
    return (
        str(getattr(settings, name))
        if name in ("timezone", "weekly_target")
        else _shown(settings, name)
    )


def settings_reply(before: GuildSettings, after: GuildSettings, next_channel_nudge: str) -> Reply:
    changed = [
        f"{label}: {_changed(before, name)} → **{_changed(after, name)}**"
        for name, label in _SHOWN
        if getattr(before, name) != getattr(after, name)
    ]
    fields = [Field(label, _shown(after, name), inline=True) for name, label in _SHOWN]
    if next_channel_nudge:
        fields.append(Field("Next channel nudge", next_channel_nudge, inline=True))
    return Reply(
        embed=EmbedSpec(
            title="Server settings",
            description="\n".join(changed) if changed else "Nothing changed.",
            fields=tuple(fields),
            footer="Change with /coach settings and any of its options; nudge_time:off stops "
            "the channel nudge.",
        ),
        ephemeral=True,
    )


POSTING_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
"""What the bot needs in a channel to post a nudge or a recap there."""


def bot_permissions_in(
    channel: discord.TextChannel, interaction: discord.Interaction[Backbone]
) -> discord.Permissions:
    """The bot's permissions in `channel`, overwrites included.

    From the cached guild when the bot's own member is there (it always is with the
    guilds intent); otherwise Discord's figure sent with the interaction, which is exact
    when the command runs in that channel and the best guess there is otherwise.
    """
    me: discord.Member | None = channel.guild.me  # typed as always there; it may not be
    if me is not None:
        return channel.permissions_for(me)
    return interaction.app_permissions


def missing_posting_permission(permissions: discord.Permissions) -> str | None:
    """The permission to grant, or None if the bot can post.

    The three form a chain in Discord's (and discord.py's) computation: without View
    Channel every text permission is dropped, and without Send Messages Embed Links is
    too. So only the first one missing is named: granting it is the fix, and naming the
    ones it implies would send an admin after permissions that were never denied.
    """
    for name, label in POSTING_PERMISSIONS:
        if not getattr(permissions, name):
            return label
    return None


def check_can_post(
    channel: discord.TextChannel, interaction: discord.Interaction[Backbone], what: str
) -> None:
    """Refuse a channel the bot could not post `what` in, naming what is missing."""
    missing = missing_posting_permission(bot_permissions_in(channel, interaction))
    if missing is not None:
        raise UserFacingError(
            f"I can't post {what} in {channel.mention}: I'm missing the **{missing}** "
            "permission there. Give Backbone that permission in the channel's settings "
            "(Edit Channel > Permissions), then run this again. Nothing was changed."
        )


class AdminCog(commands.Cog):
    coach = app_commands.Group(
        name="coach",
        description="Server settings and knowledge base tools (Manage Server).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: Backbone, jobs: Sequence[TimedJob] = ()) -> None:
        self.bot = bot
        self.jobs = jobs

    async def cog_load(self) -> None:
        for job in self.jobs:
            self.bot.scheduler.register(job)

    async def cog_unload(self) -> None:
        for job in self.jobs:
            self.bot.scheduler.unregister(job.kind)

    @coach.command(name="settings", description="Show or change this server's Backbone settings.")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        timezone="IANA timezone for weeks and reminders, e.g. Europe/London",
        weekly_target="Back days a week that keep a streak alive (1-7)",
        nudge_channel="Channel for the daily public nudge, and for members whose DMs are closed",
        nudge_time="Local time of the daily channel nudge, e.g. 09:00 or 9am; 'off' to stop it",
        default_reminder_time="Time members get if /posture on is given no time, e.g. 08:00",
    )
    async def settings(
        self,
        interaction: discord.Interaction[Backbone],
        timezone: app_commands.Range[str, 1, 64] | None = None,
        weekly_target: app_commands.Range[int, 1, 7] | None = None,
        nudge_channel: discord.TextChannel | None = None,
        nudge_time: app_commands.Range[str, 1, 20] | None = None,
        default_reminder_time: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if weekly_target is not None and not 1 <= weekly_target <= 7:  # a modified client
            raise UserFacingError(
                f"The weekly target is the back days a week that keep a streak: 1 to 7, "
                f"not {weekly_target}."
            )
        zone = resolve_timezone(timezone) if timezone is not None else None
        other: dict[str, str | int | None] = {}
        if nudge_channel is not None:
            check_can_post(nudge_channel, interaction, "the daily nudge")
            other["nudge_channel_id"] = nudge_channel.id
        if nudge_time is not None:
            off = nudge_time.strip().lower() in {"off", "none", "stop"}
            other["nudge_time"] = None if off else parse_member_time(nudge_time)
        if default_reminder_time is not None:
            other["default_reminder_time"] = parse_member_time(default_reminder_time)
        # Recomputing every member's streak after a change can take a moment.
        await interaction.response.defer(ephemeral=True, thinking=True)
        before, after = await self.bot.streaks.change_server_settings(
            interaction.guild_id, timezone=zone, weekly_target=weekly_target, **other
        )
        next_nudge = await self.bot.posture.configure_server(after)
        if (before.timezone, before.nudge_time) != (after.timezone, after.nudge_time):
            await self.bot.recaps.reschedule(interaction.guild_id)  # it follows both
        await send_reply(
            interaction,
            settings_reply(
                before, after, "" if next_nudge is None else discord_timestamp(next_nudge)
            ),
        )

    @settings.autocomplete("timezone")
    async def settings_timezone(
        self, interaction: discord.Interaction[Backbone], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c.label, value=c.value) for c in timezone_choices(current)]

    @coach.command(name="reload", description="Reload the knowledge base from its YAML files.")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reload(self, interaction: discord.Interaction[Backbone]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        before = self.bot.knowledge.current.base.counts()
        try:
            fresh = await self.bot.knowledge.reload()
        except KnowledgeBaseError as exc:
            lines = exc.lines()
            log.warning(
                "Knowledge reload by %s failed: %d error(s)", interaction.user.id, len(lines)
            )
            listing, cut = error_listing(lines)
            embed = discord.Embed(
                title=f"Reload failed: {len(lines)} error(s). "
                "The previous knowledge base is still live.",
                description=listing,
                colour=discord.Colour.red(),
            )
            embed.set_footer(text="Fix these lines, then run /coach reload again.")
            files = (
                [discord.File(io.BytesIO("\n".join(lines).encode()), "knowledge-errors.txt")]
                if cut
                else []
            )
            await interaction.followup.send(
                embed=embed, files=files, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        log.info("Knowledge reloaded by %s: %s", interaction.user.id, fresh.base.counts())
        await interaction.followup.send(
            f"Knowledge base reloaded: {fresh.base.counts()} (was {before}).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @coach.command(name="recap", description="A weekly recap of back days, posted every Monday.")
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Post the recap here every Monday (at the nudge time, else 09:00)",
        off="True to stop the weekly recap",
    )
    async def recap(
        self,
        interaction: discord.Interaction[Backbone],
        channel: discord.TextChannel | None = None,
        off: bool | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        if channel is not None and off:
            raise UserFacingError(
                "Give either `channel` (to post the recap there) or `off:true` (to stop it), "
                "not both."
            )
        if channel is not None:
            check_can_post(channel, interaction, "the weekly recap")
            reply = recap_on_reply(await self.bot.recaps.set_channel(guild_id, channel.id))
        elif off:
            reply = recap_off_reply(await self.bot.recaps.stop(guild_id))
        else:
            # The preview reads the week's logs of the whole server: answer Discord first.
            await interaction.response.defer(ephemeral=True, thinking=True)
            status = await self.bot.recaps.status(guild_id)
            reply = recap_show_reply(status, await self.bot.recaps.preview(guild_id))
        await send_reply(interaction, reply)

    @coach.command(
        name="insights", description="What members ask, open and receive here (no names)."
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        days=f"How many days back to look (1-{MAX_DAYS}, default {DEFAULT_DAYS})"
    )
    async def insights(
        self,
        interaction: discord.Interaction[Backbone],
        days: app_commands.Range[int, 1, MAX_DAYS] = DEFAULT_DAYS,
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        validate_days(days)  # Discord's client enforces the range; this checks it again
        await interaction.response.defer(ephemeral=True, thinking=True)  # a big server's figures
        report = await self.bot.insights.report(guild_id, days)
        await send_reply(interaction, insights_reply(report, self.bot.insights.clock()))


async def setup(bot: Backbone) -> None:
    jobs: list[TimedJob] = [RecapJob(bot.recaps, RecapSender(bot).post), bot.retention]
    await bot.add_cog(AdminCog(bot, jobs))
