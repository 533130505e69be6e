"""Time as the bot sees it: one injectable clock, and local calendar dates.

Everything that depends on "now" takes a `Clock`, so tests pin dates (daylight-saving
days, week boundaries, midnight) instead of waiting for them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
"""Returns the current instant as an aware datetime."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_date(now: datetime, zone: ZoneInfo) -> date:
    """The calendar date at `now` (an aware datetime) for someone living in `zone`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(zone).date()
