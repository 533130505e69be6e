"""The /help reply, from the registered command tree."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import FIELD_VALUE_LIMIT, EmbedSpec, Field, Reply, clip

HELP_COLOUR = 0x5865F2


def help_reply(commands: Sequence[tuple[str, str]]) -> Reply:
    """`commands` is (name, description) for every registered command, in display order."""
    lines = [f"`/{name}`: {description}" for name, description in commands]
    return Reply(
        embed=EmbedSpec(
            title="Backbone: your back-training coach",
            description=(
                "I explain back exercises step by step, help you work out why your back "
                "hurts after squats or sitting, and point you to better posture.\n\n"
                "**Start here:** `/cue exercise:rows` for a full exercise guide, "
                "`/why-back-pain` if something aches, or `/ask` with a question in your "
                "own words."
            ),
            fields=tuple(
                Field("Commands" if n == 0 else "More commands", chunk)
                for n, chunk in enumerate(_chunks(lines, FIELD_VALUE_LIMIT))
            ),
            footer="Coaching information, not medical advice.",
            colour=HELP_COLOUR,
        ),
        ephemeral=True,
    )


def _chunks(lines: Sequence[str], limit: int) -> list[str]:
    """Lines joined into as few field values of at most `limit` characters as they fit."""
    chunks: list[str] = []
    current = ""
    for line in (clip(line, limit) for line in lines):
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks
