"""Small facts the bot remembers about itself (e.g. the synced command tree's hash)."""

from __future__ import annotations

from typing import Protocol


class StateStore(Protocol):
    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...
