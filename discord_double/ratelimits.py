"""Rate limits: per-route buckets (X-RateLimit-* headers), the global limit, and the 429
answer discord.py reads."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import DiscordError


@dataclass
class Bucket:
    """A fixed-window bucket, the way Discord reports it in X-RateLimit-* headers."""

    name: str
    limit: int
    window: float
    started: float = -math.inf
    used: int = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        if now >= self.started + self.window:
            self.started, self.used = now, 0
        reset_after = max(0.0, self.started + self.window - now)
        ok = self.used < self.limit
        if ok:
            self.used += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
        return ok, headers


class GlobalLimit:
    """At most `per_second` requests per one-second window (a window opens on first use).

    A fixed window answers everyone who is refused with the same reset time, as a bucket's
    X-RateLimit-Reset does. (A rolling window would wake all waiters each time a single
    slot frees, and discord.py's webhook adapter gives up after 5 tries of a 429.)
    """

    def __init__(self) -> None:
        self.started = -math.inf
        self.used = 0

    def take(self, now: float, per_second: int) -> float | None:
        """None if allowed (and counted); else seconds until the window resets."""
        if now >= self.started + 1.0:
            self.started, self.used = now, 0
        if self.used >= per_second:
            return max(0.001, self.started + 1.0 - now)
        self.used += 1
        return None


def _rate_limited(
    retry_after: float, *, is_global: bool, headers: Mapping[str, str]
) -> DiscordError:
    hdrs = {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "global" if is_global else "user",
        **headers,
    }
    if is_global:
        hdrs["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    if not is_global:
        body["code"] = 0
    return DiscordError(429, 0, "You are being rate limited.", headers=hdrs, body=body)
