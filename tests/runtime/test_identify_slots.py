"""The identify slot rule: slot = max(now, stored); the bucket's next slot one interval on."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime.identify_slots import (
    IDENTIFY_INTERVAL,
    SPACING,
    bucket_of,
    decode,
    encode,
    reserve,
    slot_key,
)

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def test_a_bucket_never_used_identifies_now() -> None:
    reservation = reserve(NOW, None)
    assert reservation.slot == NOW
    assert reservation.next_free == NOW + SPACING


def test_a_busy_bucket_waits_for_its_next_free_instant() -> None:
    later = NOW + timedelta(seconds=3)
    reservation = reserve(NOW, later)
    assert reservation.slot == later
    assert reservation.next_free == later + SPACING


def test_a_next_free_instant_already_past_is_now() -> None:
    reservation = reserve(NOW, NOW - timedelta(minutes=10))
    assert reservation.slot == NOW


def test_consecutive_reservations_are_at_least_discords_interval_apart() -> None:
    stored = None
    slots = []
    for _ in range(4):  # four shards of one bucket asking in the same instant
        reservation = reserve(NOW, stored)
        slots.append(reservation.slot)
        stored = reservation.next_free
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert gaps == [SPACING] * 3
    assert SPACING > IDENTIFY_INTERVAL == timedelta(seconds=5)


@pytest.mark.parametrize(
    ("shard_id", "max_concurrency", "bucket"),
    [(0, 1, 0), (7, 1, 0), (0, 16, 0), (17, 16, 1), (15, 16, 15)],
)
def test_bucket_is_shard_id_modulo_max_concurrency(
    shard_id: int, max_concurrency: int, bucket: int
) -> None:
    assert bucket_of(shard_id, max_concurrency) == bucket


def test_max_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        bucket_of(0, 0)


def test_instants_round_trip_through_state() -> None:
    assert slot_key(3) == "identify:3"
    assert decode(encode(NOW + SPACING)) == NOW + SPACING
    assert decode(None) is None
    with pytest.raises(ValueError, match="aware"):
        encode(datetime(2026, 1, 1))  # naive: the point of the test
