"""/coach recap: a server's weekly recap post. Instants are unix seconds (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ServerRecap:
    """Where a server's weekly recap goes, when it is next due and how the last one went."""

    guild_id: int
    channel_id: int
    due_at: int
    last_week: str | None = None
    """The Monday of the last week handled, 'YYYY-MM-DD' (marked before sending)."""
    last_status: str | None = None
    """'sending', 'channel' (posted), 'failed', 'skipped' (too late) or 'uncertain'."""
    last_at: int | None = None
    """When the last week was claimed or its outcome recorded."""


class RecapStore(Protocol):
    def get(self, guild_id: int) -> ServerRecap | None: ...

    def save(self, recap: ServerRecap) -> None:
        """Insert or replace the server's whole recap row (its schedule row follows)."""
        ...

    def delete(self, guild_id: int) -> bool:
        """Stop the server's recap; False if it had none."""
        ...
