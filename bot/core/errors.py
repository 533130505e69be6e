"""Exceptions that carry a message meant for the member who ran a command."""

from __future__ import annotations


class UserFacingError(Exception):
    """A mistake the member can fix: the central handler shows `message` ephemerally."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
