"""Discord's identify rule as plain values: which bucket a shard is in, and its next slot.

Discord lets a bot start at most `max_concurrency` sessions per 5 seconds: shard
`shard_id` identifies in bucket `shard_id % max_concurrency`, and each bucket takes one
IDENTIFY per 5 seconds, for the whole bot, whichever process sends it. A bucket's next
free instant is kept in storage (`runtime.identify` reserves it); this module only says
what a reservation is, so the rule can be tested with a pinned clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

IDENTIFY_INTERVAL = timedelta(seconds=5)
"""Discord's window: one IDENTIFY per bucket per this long."""
MARGIN = timedelta(milliseconds=250)
"""Added to every interval: an IDENTIFY leaves a while after its slot (the frame is built
and sent, over another connection or from another process), and that delay varies, so
slots exactly 5 s apart could arrive at Discord a little less than 5 s apart."""
SPACING = IDENTIFY_INTERVAL + MARGIN


def bucket_of(shard_id: int, max_concurrency: int) -> int:
    """The identify bucket Discord puts `shard_id` in."""
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
    return shard_id % max_concurrency


def slot_key(bucket: int) -> str:
    """Where a bucket's next free instant is kept (`tx.state`)."""
    return f"identify:{bucket}"


@dataclass(frozen=True)
class Reservation:
    slot: datetime
    """When this IDENTIFY may go: now, or the bucket's next free instant if later."""
    next_free: datetime
    """What the bucket's next free instant becomes."""


def reserve(now: datetime, next_free: datetime | None) -> Reservation:
    """Take the bucket's next slot: `max(now, next_free)`, the one after it `SPACING` later."""
    slot = now if next_free is None else max(now, next_free)
    return Reservation(slot=slot, next_free=slot + SPACING)


def encode(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("identify slots are aware instants")
    return instant.isoformat()


def decode(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
