"""One budget for every request the bot starts on its own, under Discord's global limit.

Discord allows a bot a number of requests per second across all routes (50 by default;
`DISCORD_GLOBAL_RATE_LIMIT`). Responses to interactions are exempt, so the budget covers
what the bot sends by itself: nudges and reminders, welcome DMs, start-up calls, command
sync. `pace_requests` (in `runtime.http`) routes every such request through one `Pacer`,
which lets them go at `PACE_FRACTION` of the limit, evenly spaced, so a fan-out of
thousands of DMs never draws a 429 and neither does anything sent during it.

Requests from a member's command (a welcome DM, say) go before background work: the
scheduler marks its tasks with `background()`, and the pacer serves foreground waiters
first, so an opt-in during a fan-out of 10,000 nudges waits for at most a slot or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import Iterator

PACE_FRACTION = 0.97
"""Share of the global limit the bot's own requests may use. Evenly spaced, that leaves
a few requests a second of headroom for jitter in when requests reach Discord."""

_background: contextvars.ContextVar[bool] = contextvars.ContextVar("background", default=False)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Requests made inside (and in tasks started inside) wait behind foreground ones."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    return _background.get()


class Pacer:
    """Releases waiters one at a time, at `fraction` of `limit` a second, foreground first.

    After falling behind (a busy event loop) it may release a few slots at once to use
    its budget: at most half the headroom between the pace and the limit, so no one
    second ever holds more than `limit` releases.
    """

    def __init__(self, limit: float, fraction: float = PACE_FRACTION) -> None:
        per_second = limit * fraction
        self.interval = 1.0 / per_second
        self.catch_up = max(1, int((limit - per_second) / 2))
        self._foreground: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._next = 0.0
        self._pump: asyncio.Task[None] | None = None

    async def wait(self) -> None:
        """Return when this caller may send its request."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        (self._background if in_background() else self._foreground).append(waiter)
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self._release(), name="request-pacer")
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.done():
                waiter.cancel()
            raise

    def _pop(self) -> asyncio.Future[None] | None:
        for queue in (self._foreground, self._background):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():  # skip callers that gave up
                    return waiter
        return None

    async def _release(self) -> None:
        loop = asyncio.get_running_loop()
        while self._foreground or self._background:
            now = loop.time()
            self._next = max(self._next, now - self.catch_up * self.interval)
            if self._next > now:
                await asyncio.sleep(self._next - now)
            waiter = self._pop()
            if waiter is None:
                break
            waiter.set_result(None)
            self._next += self.interval

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
