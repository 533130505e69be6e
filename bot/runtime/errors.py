"""The one place application-command errors are sorted and answered.

User mistakes and permission failures get a friendly ephemeral message. Anything
unexpected is logged with its traceback under a short code, and the member sees the
same code so an admin can find the log line.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.errors import UserFacingError
from bot.core.replies import Reply
from bot.runtime.replies import send_reply

log = logging.getLogger(__name__)

ErrorKind = Literal["user", "permission", "unexpected"]


@dataclass(frozen=True, slots=True)
class ErrorReply:
    kind: ErrorKind
    message: str
    code: str | None = None


def new_error_code() -> str:
    return secrets.token_hex(3).upper()


def classify(error: BaseException) -> ErrorReply:
    """Sort an error raised by a command, check or transformer into what the member sees."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return ErrorReply("user", error.message)
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(
            p.replace("_", " ").replace("guild", "server").title()
            for p in error.missing_permissions
        )
        return ErrorReply("permission", f"You need the **{needed}** permission to use this.")
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return ErrorReply("permission", f"I need the **{needed}** permission here to do that.")
    if isinstance(error, app_commands.NoPrivateMessage):
        return ErrorReply("permission", "This command only works inside a server.")
    if isinstance(error, app_commands.CommandOnCooldown):
        return ErrorReply("user", f"Slow down a little: try again in {error.retry_after:.0f}s.")
    if isinstance(error, app_commands.TransformerError):
        shown = str(error.value)[:40]
        return ErrorReply("user", f"“{shown}” is not a valid value for that option.")
    if isinstance(error, app_commands.CheckFailure):
        return ErrorReply("permission", "You can't use this command here.")
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return ErrorReply(
            "user", "This command has just been updated. Please try again in a minute."
        )
    return ErrorReply(
        "unexpected",
        "Something went wrong on my side. If it keeps happening, give a server admin "
        "this error code: `{code}`.",
        new_error_code(),
    )


async def answer_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the member what went wrong (ephemerally); log unexpected faults with a code."""
    reply = classify(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    message = reply.message
    if reply.kind == "unexpected":
        log.error(
            "Unexpected error %s in /%s (user %s, guild %s)",
            reply.code,
            command,
            interaction.user.id,
            interaction.guild_id,
            exc_info=error,
        )
        message = message.format(code=reply.code)
    else:
        # Replies may quote what the member typed: log the start only, never all of it.
        log.debug("/%s refused (%s): %.60s", command, reply.kind, reply.message)
    try:
        await send_reply(interaction, Reply(content=message, ephemeral=True))
    except discord.HTTPException:
        log.warning("Could not tell the member about an error in /%s", command)


class BackboneTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await answer_error(interaction, error)
