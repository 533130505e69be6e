"""Register slash commands with Discord only when they changed, or when asked.

Syncing on every boot is rate limited and slow to propagate, so the bot keeps a hash
of the command payload it last synced (per application and target) and compares.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.storage import Storage

log = logging.getLogger(__name__)


def command_payload(tree: app_commands.CommandTree[Any], guild_id: int | None) -> list[Any]:
    guild = discord.Object(guild_id) if guild_id is not None else None
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))


def fingerprint(payload: list[Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _state_key(application_id: int | None, guild_id: int | None) -> str:
    target = "global" if guild_id is None else f"guild:{guild_id}"
    return f"command_hash:{application_id}:{target}"


async def sync_commands(
    tree: app_commands.CommandTree[Any],
    storage: Storage,
    application_id: int | None,
    guild_id: int | None,
    *,
    force: bool,
) -> int | None:
    """Sync to `guild_id` (or globally); return the number synced, or None if unchanged."""
    if guild_id is not None:
        tree.copy_global_to(guild=discord.Object(guild_id))
    digest = fingerprint(command_payload(tree, guild_id))
    key = _state_key(application_id, guild_id)
    if not force and await storage.read(lambda tx: tx.state.get_state(key)) == digest:
        log.info("Slash commands unchanged since the last sync; not syncing")
        return None
    guild = discord.Object(guild_id) if guild_id is not None else None
    synced = await tree.sync(guild=guild)
    await storage.write(lambda tx: tx.state.set_state(key, digest))
    where = f"server {guild_id}" if guild_id is not None else "all servers (global)"
    log.info("Synced %d slash commands to %s", len(synced), where)
    return len(synced)
