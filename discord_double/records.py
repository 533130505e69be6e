"""What the double records: every request the bot made, and every rule it broke."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .constants import Json


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, and what the double answered."""

    method: str
    path: str  # after /api/v10, e.g. /interactions/1/tok/callback
    query: dict[str, str]
    headers: dict[str, str]  # without Authorization
    json: Any
    files: list[Json]
    at: float  # the double's monotonic clock when the request arrived
    status: int | None = None
    response: Any = None
    answered_at: float | None = None
    interaction_id: int | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class Violation:
    """A request Discord would refuse (or a bot mistake Discord would punish)."""

    kind: str
    message: str
    request: RecordedRequest | None = None
    errors: Any = None

    def __str__(self) -> str:
        where = f" ({self.request.method} {self.request.path})" if self.request else ""
        detail = f": {json.dumps(self.errors)}" if self.errors else ""
        return f"{self.kind}{where}: {self.message}{detail}"


@dataclass(frozen=True)
class IdentifyRecord:
    """One IDENTIFY the gateway accepted the token of: when, for which shard, which bucket."""

    at: float  # the double's monotonic clock when the frame arrived
    shard_id: int
    shard_count: int
    bucket: int  # shard_id % max_concurrency
