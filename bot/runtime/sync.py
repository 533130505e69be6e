"""Register slash commands with Discord only when they changed, or when asked.

Syncing on every boot is rate limited and slow to propagate, so the bot keeps a hash
of the command payload it last synced (per application and target) and compares.

Guild copies (`DEV_GUILD_ID`, `backbone sync --guild`) outlive the setting: Discord keeps
a server's command list until it is overwritten, so a server that got guild copies and
then the global commands shows every command twice. The bot remembers which servers it
gave guild copies (`command_guilds:<application>` in its state) and, at start, empties
the list of every remembered server that is no longer `DEV_GUILD_ID`
(`clear_stale_guilds`); `backbone sync --clear-guild ID` empties one on request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.storage import Storage, Transaction

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


def _guilds_key(application_id: int | None) -> str:
    return f"command_guilds:{application_id}"


def synced_guilds(tx: Transaction, application_id: int | None) -> set[int]:
    """The servers this application has registered guild copies of its commands to."""
    raw = tx.state.get_state(_guilds_key(application_id))
    return {int(g) for g in json.loads(raw)} if raw else set()


def _set_synced_guilds(tx: Transaction, application_id: int | None, guilds: set[int]) -> None:
    tx.state.set_state(_guilds_key(application_id), json.dumps(sorted(guilds)))


def _remember_guild(tx: Transaction, application_id: int | None, guild_id: int) -> None:
    guilds = synced_guilds(tx, application_id)
    if guild_id not in guilds:
        _set_synced_guilds(tx, application_id, guilds | {guild_id})


def _forget_guild(tx: Transaction, application_id: int | None, guild_id: int) -> None:
    _set_synced_guilds(tx, application_id, synced_guilds(tx, application_id) - {guild_id})
    # The server's list is empty now: a later sync to it must not be skipped as unchanged.
    tx.state.set_state(_state_key(application_id, guild_id), "")


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

    def unchanged(tx: Transaction) -> bool:
        same = tx.state.get_state(key) == digest
        if same and guild_id is not None and guild_id not in synced_guilds(tx, application_id):
            # Synced by a version that did not remember guilds yet: remember it now, so
            # turning DEV_GUILD_ID off later still removes these copies.
            _remember_guild(tx, application_id, guild_id)
        return same

    if not force and await storage.write(unchanged):
        log.info("Slash commands unchanged since the last sync; not syncing")
        return None
    guild = discord.Object(guild_id) if guild_id is not None else None
    if guild_id is not None:
        # Remembered before the request: if the bot dies between the two, the next start
        # still knows this server may hold copies (clearing an empty list is harmless).
        await storage.write(lambda tx: _remember_guild(tx, application_id, guild_id))
    synced = await tree.sync(guild=guild)
    await storage.write(lambda tx: tx.state.set_state(key, digest))
    where = f"server {guild_id}" if guild_id is not None else "all servers (global)"
    log.info("Synced %d slash commands to %s", len(synced), where)
    return len(synced)


async def _forget(storage: Storage, application_id: int | None, guild_id: int) -> None:
    await storage.write(lambda tx: _forget_guild(tx, application_id, guild_id))


async def clear_guild(
    tree: app_commands.CommandTree[Any],
    storage: Storage,
    application_id: int | None,
    guild_id: int,
) -> None:
    """Register an empty command list on `guild_id` (removing the guild copies there; the
    global commands stay) and forget that server. Raises `discord.HTTPException`."""
    guild = discord.Object(guild_id)
    tree.clear_commands(guild=guild)
    await tree.sync(guild=guild)
    await _forget(storage, application_id, guild_id)
    log.info("Removed the guild copies of the slash commands from server %s", guild_id)


async def clear_stale_guilds(
    tree: app_commands.CommandTree[Any],
    storage: Storage,
    application_id: int | None,
    dev_guild_id: int | None,
) -> list[int]:
    """Empty the command list of every server that got guild copies and is no longer
    `dev_guild_id`; return the servers cleared.

    A server Discord refuses (the bot was removed from it: 403, 404) is forgotten with a
    warning, since no later start could do better; any other failure leaves it
    remembered for the next start. Neither stops the bot from starting.
    """
    remembered = await storage.read(lambda tx: synced_guilds(tx, application_id))
    cleared: list[int] = []
    for guild_id in sorted(remembered - {dev_guild_id}):
        try:
            await clear_guild(tree, storage, application_id, guild_id)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning(
                "Cannot remove the old guild copies of the slash commands from server %s "
                "(%s); forgetting it. If the bot is back in that server, run "
                "`backbone sync --clear-guild %s`.",
                guild_id,
                error.text or error.status,
                guild_id,
            )
            await _forget(storage, application_id, guild_id)
        except discord.HTTPException as error:
            log.warning(
                "Cannot remove the old guild copies of the slash commands from server %s "
                "(%s); trying again at the next start",
                guild_id,
                error.text or error.status,
            )
        else:
            cleared.append(guild_id)
    return cleared
