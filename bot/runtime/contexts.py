"""Where a command can be used: knowledge anywhere, everything else in a server.

Discord reads `contexts` (a server, the bot's DM, other private channels) and
`integration_types` (installed to a server, or by a member to their own account) from
each top-level command. Knowledge commands work in all of them, including as an app a
member installs for themselves; commands that need a server's members, settings or
channels stay server-only (`guild_only=True`), and check again at run time.
"""

from __future__ import annotations

from discord import app_commands

ANYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
"""A server, the bot's DM, and private channels (DMs and group DMs between members)."""
ANY_INSTALL = app_commands.AppInstallationType(guild=True, user=True)
"""Installed to a server, or by a member to their own account."""

anywhere = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
any_install = app_commands.allowed_installs(guilds=True, users=True)
