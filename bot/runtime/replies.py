"""Turn plain `Reply` values into Discord responses, with mentions off."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.core.replies import Attachment, EmbedSpec, Reply

NO_MENTIONS = discord.AllowedMentions.none()


def to_embed(spec: EmbedSpec) -> discord.Embed:
    embed = discord.Embed(
        title=spec.title, description=spec.description or None, colour=spec.colour
    )
    for field in spec.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    if spec.image is not None:
        embed.set_image(url=spec.image)
    return embed


def to_file(attachment: Attachment) -> discord.File:
    """A fresh `discord.File` (each can be sent once), its description as alt text."""
    return discord.File(
        io.BytesIO(attachment.data),
        filename=attachment.filename,
        description=attachment.description or None,
    )


def message_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for a message sent to a channel (no interaction)."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if reply.content:
        kwargs["content"] = reply.content
    if reply.embed is not None:
        kwargs["embed"] = to_embed(reply.embed)
    if reply.files:
        kwargs["files"] = [to_file(f) for f in reply.files]
    return kwargs


def reply_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for answering an interaction (which may be ephemeral)."""
    return {**message_kwargs(reply), "ephemeral": reply.ephemeral}


async def send_reply(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Answer the interaction, or follow up if it was already deferred."""
    kwargs = reply_kwargs(reply)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
