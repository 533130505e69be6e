"""No IDENTIFY leaves the bot without passing `Backbone.before_identify_hook`, hence the gate.

discord.py sends IDENTIFY from one place, `DiscordWebSocket.identify`, which awaits the
`before_identify` hook first; every shard socket, the first and every re-identify after
an invalidated session, comes from `DiscordWebSocket.from_client`, which identifies
whenever it does not resume. These tests pin both facts about the installed discord.py
(an upgrade that moved either would fail here) and drive `identify()` for real.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from datetime import UTC, datetime
from typing import Any

import discord
import discord.gateway
import discord.shard
import pytest

from bot.app import Backbone, describe_shards, shard_options
from bot.config import Settings


class RecordingGate:
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events

    async def wait(self, shard_id: int) -> datetime:
        self.events.append(("gate", shard_id))
        return datetime.now(UTC)


def _function(source_of: Any) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(source_of)))


def _calls(tree: ast.AST) -> list[str]:
    return [ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)]


@pytest.mark.parametrize("initial", [True, False])
async def test_identify_sends_only_after_the_gate(bot: Backbone, initial: bool) -> None:
    events: list[tuple[str, Any]] = []
    bot.identify_gate = RecordingGate(events)  # type: ignore[assignment]
    ws = discord.gateway.DiscordWebSocket(None, loop=bot.loop)  # type: ignore[arg-type]
    ws.token = "token"
    ws._connection = bot._connection
    ws.call_hooks = bot._connection.call_hooks
    ws._initial_identify = initial  # a re-identify (initial=False) is gated too
    ws.shard_id, ws.shard_count = 1, 2

    async def send_as_json(payload: Any) -> None:
        events.append(("send", payload["op"]))

    ws.send_as_json = send_as_json  # type: ignore[method-assign]
    await ws.identify()

    assert events == [("gate", 1), ("send", discord.gateway.DiscordWebSocket.IDENTIFY)]


def test_backbone_replaces_discord_py_default_hook() -> None:
    assert Backbone.before_identify_hook is not discord.Client.before_identify_hook


def test_only_identify_sends_the_identify_opcode_and_it_awaits_the_hook_first() -> None:
    module = ast.parse(inspect.getsource(discord.gateway))
    main = next(
        node
        for node in module.body
        if isinstance(node, ast.ClassDef) and node.name == "DiscordWebSocket"
    )
    senders = {
        method.name
        for method in main.body
        if isinstance(method, ast.AsyncFunctionDef | ast.FunctionDef)
        and "self.IDENTIFY" in ast.unparse(method)
    }
    assert senders == {"identify"}
    calls = _calls(_function(discord.gateway.DiscordWebSocket.identify))
    assert calls.index("self.call_hooks") < calls.index("self.send_as_json")
    assert "'before_identify'" in inspect.getsource(discord.gateway.DiscordWebSocket.identify)


def test_every_shard_connection_goes_through_from_client_which_identifies() -> None:
    for connect in (
        discord.shard.AutoShardedClient.launch_shard,
        discord.shard.Shard.reconnect,
        discord.shard.Shard.reidentify,
    ):
        assert "DiscordWebSocket.from_client" in _calls(_function(connect)), connect
    source = inspect.getsource(discord.gateway.DiscordWebSocket.from_client)
    assert "if not resume:\n            await ws.identify()" in source


def test_shard_options_pass_only_what_the_settings_give() -> None:
    assert shard_options(Settings.from_mapping({})) == {}
    assert shard_options(Settings.from_mapping({"SHARD_COUNT": "4"})) == {"shard_count": 4}
    sharded = Settings.from_mapping(
        {"SHARD_COUNT": "4", "SHARD_IDS": "2-3", "DATABASE_URL": "postgresql://h/db"}
    )
    assert shard_options(sharded) == {"shard_count": 4, "shard_ids": [2, 3]}


def test_describe_shards_writes_ranges_like_shard_ids() -> None:
    assert describe_shards([0]) == "0"
    assert describe_shards([3, 0, 1, 2, 6, 8, 9]) == "0-3,6,8-9"
