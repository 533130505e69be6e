"""Two adjustments to discord.py's HTTP client, for sending to thousands of channels.

Pacing: every request on the bot token waits for the one request budget first
(`pace_requests`, see `runtime.pacing`).

Bucket sweeps:

discord.py keeps a rate-limit bucket per channel and, once it holds 256 or more, sweeps
all of them for inactive ones every time it creates another. A bucket turns inactive
only after five idle minutes, so while a minute's posture nudges go out to thousands
of DM channels each new bucket re-scans every earlier one: the sends slow down
quadratically (measured in benchmarks/reminders.py: 10,000 new buckets cost 15 s of
CPU). Here the sweep runs only when the table has doubled since the last one, which
keeps the cost per bucket constant and memory within twice the live buckets.
"""

from __future__ import annotations

from typing import Any

from discord.http import HTTPClient, Route

from bot.runtime.pacing import Pacer

_SWEEP_FROM = 256  # discord.py's own threshold


def amortize_bucket_sweeps(http: HTTPClient) -> None:
    """Make `http` sweep its rate-limit buckets only when their number has doubled."""
    sweep = http._try_clear_expired_ratelimits
    next_sweep = _SWEEP_FROM

    def sweep_when_doubled() -> None:
        nonlocal next_sweep
        if len(http._buckets) < next_sweep:
            return
        sweep()
        next_sweep = max(_SWEEP_FROM, 2 * len(http._buckets))

    http._try_clear_expired_ratelimits = sweep_when_doubled  # type: ignore[method-assign]


EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")
"""Interaction responses and their webhooks do not count against the global limit."""


def pace_requests(http: HTTPClient, pacer: Pacer) -> None:
    """Make every request `http` sends on the bot token wait for `pacer` first.

    discord.py waits on a 429 once it gets one; pacing before sending means the bot never
    draws one from the global limit, whoever sends (the scheduler, a command's welcome
    DM, start-up calls). Interaction responses go through discord.py's webhook adapter,
    not this client, and are exempt from the global limit anyway.
    """
    request = http.request

    async def paced(route: Route, **kwargs: Any) -> Any:
        if not route.path.startswith(EXEMPT_PREFIXES):
            await pacer.wait()
        return await request(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]
