"""/help: what the bot does, listing every registered command."""

from bot.features.help.replies import help_reply

__all__ = ["help_reply"]
