"""Commands are synced when they change (hash kept in SQLite) or when forced; guild copies
of a server that is no longer DEV_GUILD_ID are removed."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock

import discord
import pytest
from discord import app_commands

from bot.app import Backbone
from bot.runtime.sync import clear_guild, clear_stale_guilds, sync_commands, synced_guilds


@pytest.fixture
def tree_sync(bot: Backbone, monkeypatch: pytest.MonkeyPatch) -> AsyncMock:
    mock = AsyncMock(return_value=[object()] * 5)
    monkeypatch.setattr(bot.tree, "sync", mock)
    return mock


async def test_first_boot_syncs_then_unchanged_boots_do_not(
    bot: Backbone, tree_sync: AsyncMock
) -> None:
    assert await sync_commands(bot.tree, bot.storage, 42, None, force=False) == 5
    assert await sync_commands(bot.tree, bot.storage, 42, None, force=False) is None
    tree_sync.assert_awaited_once_with(guild=None)


async def test_changed_commands_sync_again(bot: Backbone, tree_sync: AsyncMock) -> None:
    await sync_commands(bot.tree, bot.storage, 42, None, force=False)

    @app_commands.command(name="extra", description="A new command")
    async def extra(interaction: object) -> None:
        return None

    bot.tree.add_command(extra)
    assert await sync_commands(bot.tree, bot.storage, 42, None, force=False) == 5
    assert tree_sync.await_count == 2


async def test_force_and_targets_are_separate(bot: Backbone, tree_sync: AsyncMock) -> None:
    await sync_commands(bot.tree, bot.storage, 42, None, force=False)
    assert await sync_commands(bot.tree, bot.storage, 42, None, force=True) == 5
    # A dev guild and another application each have their own record.
    assert await sync_commands(bot.tree, bot.storage, 42, 123456789012345678, force=False) == 5
    assert await sync_commands(bot.tree, bot.storage, 43, None, force=False) == 5
    guild_call = tree_sync.await_args_list[2]
    assert guild_call.kwargs["guild"].id == 123456789012345678
    assert bot.tree.get_command("cue", guild=guild_call.kwargs["guild"]) is not None


# --- guild copies left behind by DEV_GUILD_ID --------------------------------------------

GUILD_A = 123456789012345678
GUILD_B = 223456789012345678


def http_error(cls: type[discord.HTTPException], status: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="refused")
    return cls(response, {"code": 50001, "message": "Missing Access"})  # type: ignore[arg-type]


@pytest.fixture
def sent(bot: Backbone, tree_sync: AsyncMock) -> dict[int | None, list[str]]:
    """What each tree.sync would register, by guild (None: global), the last call winning."""
    lists: dict[int | None, list[str]] = {}

    async def record(*, guild: discord.abc.Snowflake | None = None) -> list[object]:
        commands = bot.tree.get_commands(guild=guild)
        lists[guild.id if guild else None] = sorted(c.name for c in commands)
        return [object()] * len(commands)

    tree_sync.side_effect = record
    return lists


async def remembered(bot: Backbone, application_id: int = 42) -> set[int]:
    return await bot.storage.read(lambda tx: synced_guilds(tx, application_id))


async def test_syncing_to_a_guild_remembers_it(bot: Backbone, tree_sync: AsyncMock) -> None:
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    await sync_commands(bot.tree, bot.storage, 42, None, force=False)
    assert await remembered(bot) == {GUILD_A}
    assert await remembered(bot, 43) == set()  # another application has its own record


async def test_a_guild_that_is_no_longer_the_dev_guild_is_emptied(
    bot: Backbone, sent: dict[int | None, list[str]]
) -> None:
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    assert "cue" in sent[GUILD_A]
    # Restarted without DEV_GUILD_ID: the global sync, then the clean-up.
    await sync_commands(bot.tree, bot.storage, 42, None, force=False)
    assert await clear_stale_guilds(bot.tree, bot.storage, 42, None) == [GUILD_A]
    assert sent[GUILD_A] == []
    assert "cue" in sent[None]
    assert await remembered(bot) == set()
    # Nothing left to do at the next start.
    assert await clear_stale_guilds(bot.tree, bot.storage, 42, None) == []


async def test_the_current_dev_guild_is_kept_and_the_previous_one_emptied(
    bot: Backbone, sent: dict[int | None, list[str]]
) -> None:
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    await sync_commands(bot.tree, bot.storage, 42, GUILD_B, force=False)
    assert await clear_stale_guilds(bot.tree, bot.storage, 42, GUILD_B) == [GUILD_A]
    assert sent[GUILD_A] == []
    assert "cue" in sent[GUILD_B]
    assert await remembered(bot) == {GUILD_B}


async def test_a_cleared_guild_is_synced_again_when_it_is_the_dev_guild_again(
    bot: Backbone, sent: dict[int | None, list[str]]
) -> None:
    """Its stored hash must not say "unchanged" for a server whose list is now empty."""
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    await clear_guild(bot.tree, bot.storage, 42, GUILD_A)
    assert sent[GUILD_A] == []
    assert await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False) is not None
    assert "cue" in sent[GUILD_A]
    assert await remembered(bot) == {GUILD_A}


async def test_a_guild_synced_before_guilds_were_remembered_is_remembered_at_start(
    bot: Backbone, tree_sync: AsyncMock
) -> None:
    """An installation upgraded while DEV_GUILD_ID is still set: the hash is there, the
    record of the server is not; an unchanged start adds it without syncing."""
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    await bot.storage.write(lambda tx: tx.state.set_state("command_guilds:42", "[]"))
    assert await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False) is None
    assert tree_sync.await_count == 1
    assert await remembered(bot) == {GUILD_A}


async def test_a_guild_discord_refuses_is_forgotten_and_start_goes_on(
    bot: Backbone, tree_sync: AsyncMock, caplog: pytest.LogCaptureFixture
) -> None:
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    await sync_commands(bot.tree, bot.storage, 42, GUILD_B, force=False)
    tree_sync.side_effect = [http_error(discord.Forbidden, 403), []]
    assert await clear_stale_guilds(bot.tree, bot.storage, 42, None) == [GUILD_B]
    assert await remembered(bot) == set()
    assert f"backbone sync --clear-guild {GUILD_A}" in caplog.text


async def test_a_guild_that_fails_otherwise_is_tried_again_next_start(
    bot: Backbone, tree_sync: AsyncMock, caplog: pytest.LogCaptureFixture
) -> None:
    await sync_commands(bot.tree, bot.storage, 42, GUILD_A, force=False)
    tree_sync.side_effect = http_error(discord.DiscordServerError, 503)
    assert await clear_stale_guilds(bot.tree, bot.storage, 42, None) == []
    assert await remembered(bot) == {GUILD_A}
    assert "trying again at the next start" in caplog.text
