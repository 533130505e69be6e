"""Interaction doubles specced from real discord.py classes (python-discord's approach).

`spec_set` makes any attribute the real class lacks an error, so a test cannot pass by
calling something Discord's objects do not have.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord


class RecordedResponse:
    """What a command sent back, whichever path (response or followup) it used."""

    def __init__(self, interaction: MagicMock) -> None:
        self._interaction = interaction

    @property
    def calls(self) -> list[dict[str, Any]]:
        calls = []
        for mock in (
            self._interaction.response.send_message,
            self._interaction.followup.send,
        ):
            for call in mock.await_args_list:
                kwargs = dict(call.kwargs)
                if call.args:
                    kwargs["content"] = call.args[0]
                calls.append(kwargs)
        return calls

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.calls) == 1, f"expected one reply, got {self.calls}"
        return self.calls[0]


def make_interaction(
    *,
    permissions: discord.Permissions | None = None,
    guild_id: int | None = 111111111111111111,
    user_id: int = 222222222222222222,
    done: bool = False,
) -> tuple[MagicMock, RecordedResponse]:
    interaction = MagicMock(spec_set=discord.Interaction)
    interaction.guild_id = guild_id
    interaction.user = MagicMock(spec_set=discord.Member)
    interaction.user.id = user_id
    interaction.permissions = permissions or discord.Permissions.none()
    interaction.command = None

    response = MagicMock(spec_set=discord.InteractionResponse)
    state = {"done": done}

    async def send_message(*args: Any, **kwargs: Any) -> None:
        state["done"] = True

    async def defer(*args: Any, **kwargs: Any) -> None:
        state["done"] = True

    response.send_message = AsyncMock(side_effect=send_message)
    response.defer = AsyncMock(side_effect=defer)
    response.is_done = MagicMock(side_effect=lambda: state["done"])
    interaction.response = response
    interaction.followup = MagicMock(spec_set=discord.Webhook)
    interaction.followup.send = AsyncMock()
    return interaction, RecordedResponse(interaction)


def embed_dicts(call: dict[str, Any]) -> list[dict[str, Any]]:
    embeds = call.get("embeds") or ([call["embed"]] if call.get("embed") else [])
    return [e.to_dict() for e in embeds]
