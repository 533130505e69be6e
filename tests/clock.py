"""The one fake clock every test uses: time moves only when a test moves it."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock tests move by hand; always aware and in UTC, like `bot.core.clock.utc_now`."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a FakeClock needs an aware datetime")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
