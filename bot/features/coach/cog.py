"""/coach: server-admin commands (Manage Server), checked again at run time."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserFacingError
from bot.core.replies import DESCRIPTION_LIMIT, EmbedSpec, Field, Reply, discord_timestamp
from bot.core.time_of_day import parse_member_time
from bot.core.timezones import resolve_timezone, timezone_choices
from bot.features.knowledge import KnowledgeBaseError
from bot.runtime.replies import NO_MENTIONS, send_reply
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


class AdminCog(commands.Cog):
    coach = app_commands.Group(
        name="coach",
        description="Server settings and knowledge base tools (Manage Server).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: Backbone) -> None:
        self.bot = bot

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


async def setup(bot: Backbone) -> None:
    await bot.add_cog(AdminCog(bot))
