"""Small helpers the e2e test modules share: driving a command and the common assertions."""

from __future__ import annotations

from typing import Any

from discord_double import DiscordDouble, InteractionReply, Json

NO_PINGS: dict[str, list[str]] = {"parse": []}


async def run(
    double: DiscordDouble, name: str, options: dict[str, object] | None = None, **kw: Any
) -> InteractionReply:
    """Invoke `/name` and wait for what the bot answered."""
    handle = await double.slash(name, options, **kw)
    return await handle.response(timeout=5)


def assert_no_pings(message: Json) -> None:
    mentions = message.get("allowed_mentions")
    assert isinstance(mentions, dict), f"no allowed_mentions in {message}"
    assert mentions.get("parse") == [], mentions
    assert not mentions.get("users") and not mentions.get("roles"), mentions


def embed_of(reply: InteractionReply) -> Json:
    (embed,) = reply.embeds
    return embed


def assert_public_embed(reply: InteractionReply, title: str) -> Json:
    assert reply.callback.status == 200
    assert reply.type == 4
    assert not reply.ephemeral
    assert reply.data["allowed_mentions"] == NO_PINGS
    embed = embed_of(reply)
    assert embed["title"] == title
    return embed
