"""Commands are synced when they change (hash kept in SQLite) or when forced."""

from __future__ import annotations

from unittest.mock import AsyncMock

import pytest
from discord import app_commands

from bot.app import Backbone
from bot.runtime.sync import sync_commands


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
