"""The /help reply, from the registered command tree."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import FIELD_VALUE_LIMIT, EmbedSpec, Field, Reply, clip

HELP_COLOUR = 0x5865F2


def listing_fields(lines: Sequence[str]) -> tuple[Field, ...]:
    """Whole lines packed into as few fields as Discord's 1,024 characters allow."""
    fields: list[list[str]] = [[]]
    for line in lines:
        line = clip(line, FIELD_VALUE_LIMIT)
        if fields[-1] and len("\n".join([*fields[-1], line])) > FIELD_VALUE_LIMIT:
            fields.append([])
        fields[-1].append(line)
    return tuple(
        Field("Commands" if n == 0 else "More commands", "\n".join(chunk))
        for n, chunk in enumerate(fields)
        if chunk
    )


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
            fields=listing_fields(lines),
            footer="Coaching information, not medical advice.",
            colour=HELP_COLOUR,
        ),
        ephemeral=True,
    )
