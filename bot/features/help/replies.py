"""The /help reply, from the registered command tree."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import FIELD_VALUE_LIMIT, EmbedSpec, Field, Reply, clip

HELP_COLOUR = 0x5865F2


def help_reply(commands: Sequence[tuple[str, str]]) -> Reply:
    """`commands` is (name, description) for every registered command, in display order."""
    listing = "\n".join(f"`/{name}`: {description}" for name, description in commands)
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
            fields=(Field("Commands", clip(listing, FIELD_VALUE_LIMIT)),),
            footer="Coaching information, not medical advice.",
            colour=HELP_COLOUR,
        ),
        ephemeral=True,
    )
