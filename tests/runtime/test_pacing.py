"""The one request budget: order, priorities, and which requests it paces."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from discord.http import HTTPClient, Route

from bot.runtime.http import pace_requests
from bot.runtime.pacing import PACE_FRACTION, Pacer, background, in_background


def test_the_pace_leaves_headroom_under_the_limit() -> None:
    for limit in (50, 500, 1000):
        pacer = Pacer(limit)
        per_second = 1 / pacer.interval
        assert per_second == pytest.approx(limit * PACE_FRACTION)
        # Even at its catch-up, no one second can hold more releases than the limit.
        assert math.floor(per_second + pacer.catch_up + 1) <= limit
        assert pacer.catch_up >= 1


async def test_waiters_are_released_in_order_foreground_first() -> None:
    pacer = Pacer(20)  # ~19 a second: slow enough to see the order
    released: list[str] = []

    async def wait(name: str) -> None:
        await pacer.wait()
        released.append(name)

    with background():
        tasks = [asyncio.create_task(wait(f"bg{n}")) for n in range(6)]
    await asyncio.sleep(0)  # the background ones queue first
    tasks.append(asyncio.create_task(wait("fg")))
    await asyncio.gather(*tasks)
    await pacer.close()
    assert released.index("fg") <= pacer.catch_up + 1  # after those already let through
    assert [r for r in released if r != "fg"] == [f"bg{n}" for n in range(6)]


async def test_a_cancelled_waiter_gives_its_slot_to_the_next() -> None:
    pacer = Pacer(20)
    first = asyncio.create_task(pacer.wait())
    second = asyncio.create_task(pacer.wait())
    third = asyncio.create_task(pacer.wait())
    await asyncio.sleep(0)
    second.cancel()
    await asyncio.gather(first, third)
    assert second.cancelled()
    await pacer.close()


async def test_background_is_inherited_by_tasks_and_undone_after() -> None:
    assert not in_background()
    with background():
        assert await asyncio.create_task(asyncio.sleep(0, result=in_background()))
    assert not in_background()


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(50)
        self.waits = 0

    async def wait(self) -> None:
        self.waits += 1


async def test_every_bot_token_request_waits_for_the_budget_but_interactions_do_not() -> None:
    http = HTTPClient(asyncio.get_running_loop())
    sent: list[str] = []

    async def request(route: Route, **kwargs: Any) -> None:
        sent.append(route.path)

    http.request = request  # type: ignore[method-assign]
    pacer = CountingPacer()
    pace_requests(http, pacer)
    await http.request(Route("GET", "/users/@me"))
    await http.request(Route("POST", "/channels/{channel_id}/messages", channel_id=1))
    await http.request(Route("POST", "/interactions/{id}/{token}/callback", id=1, token="t"))
    await http.request(Route("POST", "/webhooks/{id}/{token}", id=1, token="t"))
    assert len(sent) == 4
    assert pacer.waits == 2
