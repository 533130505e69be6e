"""The amortized rate-limit bucket sweep on a real discord.py HTTPClient."""

from __future__ import annotations

import asyncio

import pytest
from discord.http import HTTPClient, Ratelimit

from bot.runtime.http import amortize_bucket_sweeps


@pytest.fixture
async def http() -> HTTPClient:
    client = HTTPClient(asyncio.get_running_loop())
    amortize_bucket_sweeps(client)
    return client


async def test_new_buckets_cost_linear_not_quadratic_checks(
    http: HTTPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = 0
    original = Ratelimit.is_inactive

    def counted(self: Ratelimit) -> bool:
        nonlocal checks
        checks += 1
        return original(self)

    monkeypatch.setattr(Ratelimit, "is_inactive", counted)
    for channel in range(10_000):
        http.get_ratelimit(f"POST /channels/{channel}/messages")
    assert len(http._buckets) == 10_000  # all active: none may be dropped
    # Sweeps at 256, 512, 1024, ... 8192 buckets: under 2 x 10,000 checks in all, where
    # discord.py's sweep on every new bucket would make about 50 million.
    assert checks < 20_000


async def test_inactive_buckets_are_still_cleared(http: HTTPClient) -> None:
    for channel in range(300):
        http.get_ratelimit(f"POST /channels/{channel}/messages")
    for bucket in http._buckets.values():
        bucket._last_request -= 301  # idle for more than discord.py's five minutes
    for channel in range(300, 600):  # growing past the next sweep point (512)
        http.get_ratelimit(f"POST /channels/{channel}/messages")
    assert all(int(key.split("/")[2]) >= 300 for key in http._buckets)
