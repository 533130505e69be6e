"""Logging through discord.py's own set-up, with secrets scrubbed from every record."""

from __future__ import annotations

import logging

import discord

from bot.config import Settings


class RedactFilter(logging.Filter):
    """Replace known secret values wherever they would appear in a log line."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings) -> None:
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    secrets = [settings.token.reveal()] if settings.token else []
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactFilter(secrets))
