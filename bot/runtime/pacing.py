"""Pacing the requests the bot starts on its own under Discord's global request limit."""

from __future__ import annotations

import asyncio

PACE_FRACTION = 0.95
"""Share of the global limit nudges may use: the rest is left for commands."""


class Pacer:
    """Spaces calls evenly at `per_second`: no bursts, so no 429s from the global limit."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._next)
        self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
