"""Streak arithmetic, checked against a brute-force reading of the rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.clock import local_date
from bot.features.streaks.rules import (
    MAX_FREEZES,
    streak_expires_at,
    streak_stats,
    streak_strip,
    week_of,
)

MON = date(2026, 11, 16)  # a Monday


def days(*offsets: int, base: date = MON) -> list[date]:
    return [base + timedelta(days=o) for o in offsets]


def test_week_of_is_monday() -> None:
    assert week_of(date(2026, 11, 22)) == MON  # Sunday
    assert week_of(MON) == MON
    assert week_of(date(2026, 11, 23)) == date(2026, 11, 23)


def test_week_in_progress_never_breaks_a_streak() -> None:
    logs = days(-7, -14, -21)  # three previous Mondays, nothing yet this week
    stats = streak_stats(logs, today=MON + timedelta(days=3), target=1)
    assert (stats.current, stats.best, stats.this_week) == (3, 3, 0)


def test_qualifying_this_week_extends_the_streak() -> None:
    stats = streak_stats(days(-7, -14, 2), today=MON + timedelta(days=2), target=1)
    assert stats.current == 3


def test_missing_a_whole_week_resets() -> None:
    stats = streak_stats(days(-14, -21), today=MON + timedelta(days=1), target=1)
    assert (stats.current, stats.best) == (0, 2)
    assert stats.run_end is None


def test_target_counts_days_per_week() -> None:
    logs = days(-7, -6, -14)  # last week 2 days, week before 1 day
    assert streak_stats(logs, today=MON, target=1).current == 2
    assert streak_stats(logs, today=MON, target=2).current == 1
    assert streak_stats(logs, today=MON, target=3).current == 0


def test_year_end_and_iso_week_53() -> None:
    # 2026 has an ISO week 53 (Mon 28 Dec 2026 - Sun 3 Jan 2027).
    logs = [date(2026, 12, 21), date(2026, 12, 31), date(2027, 1, 5)]
    stats = streak_stats(logs, today=date(2027, 1, 5), target=1)
    assert week_of(date(2027, 1, 3)) == date(2026, 12, 28)
    assert stats.current == 3


def test_future_days_are_ignored() -> None:
    assert streak_stats(days(1), today=MON, target=1).total == 0


def test_strip_and_totals() -> None:
    stats = streak_stats(days(-7, -6, 0), today=MON, target=2)
    assert stats.recent[-2:] == (2, 1)
    assert stats.total == 3
    assert streak_strip(stats) == "⬛" * 6 + "🟩🟨"


@pytest.mark.parametrize(
    ("zone", "utc", "expected"),
    [
        ("Pacific/Kiritimati", datetime(2026, 11, 22, 10, 30, tzinfo=UTC), date(2026, 11, 23)),
        ("Pacific/Pago_Pago", datetime(2026, 11, 23, 10, 30, tzinfo=UTC), date(2026, 11, 22)),
        ("America/New_York", datetime(2026, 3, 8, 6, 59, tzinfo=UTC), date(2026, 3, 8)),
        ("Europe/London", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_local_date_in_far_timezones(zone: str, utc: datetime, expected: date) -> None:
    assert local_date(utc, ZoneInfo(zone)) == expected


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 1, 1), ZoneInfo("UTC"))


@dataclass
class Walked:
    current: int
    best: int
    freezes: int
    frozen: set[date]


def walk_week_by_week(logged: set[date], today: date, target: int) -> Walked:
    """The rule as DESIGN.md states it, one week at a time from the first log to today."""

    def qualifies(monday: date) -> bool:
        return sum(1 for d in logged if d <= today and week_of(d) == monday) >= target

    seen = [d for d in logged if d <= today]
    this_week = week_of(today)
    state = Walked(0, 0, 0, set())
    if not seen:
        return state
    monday = week_of(min(seen))
    while monday <= this_week:
        if qualifies(monday):
            state.current += 1
            state.best = max(state.best, state.current)
            if state.current % 4 == 0:
                state.freezes = min(2, state.freezes + 1)
        elif monday < this_week and state.current >= 1:  # a finished week missed
            if state.freezes:
                state.freezes -= 1
                state.frozen.add(monday)
            else:
                state.current = 0
        monday += timedelta(days=7)
    return state


log_days = st.sets(st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 2, 1)), max_size=60)


@given(
    logged=log_days, today=st.dates(date(2026, 1, 1), date(2027, 2, 1)), target=st.integers(1, 7)
)
def test_current_matches_brute_force(logged: set[date], today: date, target: int) -> None:
    stats = streak_stats(logged, today, target)
    walked = walk_week_by_week(logged, today, target)
    assert (stats.current, stats.best, stats.freezes) == (
        walked.current,
        walked.best,
        walked.freezes if walked.current else 0,
    )
    assert stats.frozen_weeks == walked.frozen
    assert 0 <= stats.freezes <= MAX_FREEZES
    assert stats.best >= stats.current
    assert stats.total == sum(1 for d in logged if d <= today)
    assert sum(stats.recent) <= stats.total


@given(
    logged=log_days, today=st.dates(date(2026, 1, 1), date(2027, 1, 1)), target=st.integers(1, 7)
)
def test_best_never_falls_as_time_passes_or_days_are_added(
    logged: set[date], today: date, target: int
) -> None:
    before = streak_stats(logged, today, target)
    later = today + timedelta(days=9)
    after = streak_stats(logged | {later}, later, target)
    assert after.best >= before.best


# --- freezes ---------------------------------------------------------------------------


def weekly(*week_offsets: int, base: date = MON) -> list[date]:
    """One back day (the Tuesday) in each of the weeks `base + offset weeks`."""
    return [base + timedelta(weeks=w, days=1) for w in week_offsets]


def test_four_qualifying_weeks_earn_a_freeze() -> None:
    three = streak_stats(weekly(-3, -2, -1), today=MON + timedelta(days=2), target=1)
    assert (three.current, three.freezes) == (3, 0)
    four = streak_stats(weekly(-3, -2, -1, 0), today=MON + timedelta(days=2), target=1)
    assert (four.current, four.freezes) == (4, 1)


def test_a_freeze_carries_one_missed_week_without_growing() -> None:
    # Four weeks, then a missed week (-1), now in the week after it with nothing yet.
    stats = streak_stats(weekly(-5, -4, -3, -2), today=MON + timedelta(days=3), target=1)
    assert (stats.current, stats.freezes) == (4, 0)
    assert stats.frozen_weeks == {MON - timedelta(weeks=1)}
    assert streak_strip(stats) == "⬛⬛🟩🟩🟩🟩🧊⬜"


def test_a_second_missed_week_with_no_freeze_left_resets() -> None:
    stats = streak_stats(weekly(-6, -5, -4, -3), today=MON + timedelta(days=3), target=1)
    assert (stats.current, stats.best, stats.freezes) == (0, 4, 0)


def test_at_most_two_freezes_are_held() -> None:
    twelve = weekly(*range(-11, 1))
    stats = streak_stats(twelve, today=MON + timedelta(days=2), target=1)
    assert (stats.current, stats.freezes) == (12, MAX_FREEZES)
    # Two freezes carry two missed weeks; the third missed week resets.
    later = MON + timedelta(weeks=3, days=2)
    assert streak_stats(twelve, today=later, target=1).current == 12
    assert streak_stats(twelve, today=later + timedelta(weeks=1), target=1).current == 0


def test_the_lapse_moves_one_week_per_freeze() -> None:
    zone = ZoneInfo("Europe/London")
    plain = streak_stats(weekly(-2, -1, 0), today=MON + timedelta(days=2), target=1)
    assert plain.lapses_on == MON + timedelta(weeks=2)
    frozen = streak_stats(weekly(-3, -2, -1, 0), today=MON + timedelta(days=2), target=1)
    assert frozen.lapses_on == MON + timedelta(weeks=3)
    assert streak_expires_at(frozen.lapses_on, zone) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert streak_stats([], today=MON, target=1).lapses_on is None


@given(logged=log_days, today=st.dates(date(2026, 1, 1), date(2027, 2, 1)))
def test_freezes_never_shorten_a_streak(logged: set[date], today: date) -> None:
    stats = streak_stats(logged, today, 1)
    assert stats.current >= brute_force_without_freezes(logged, today)
    if stats.current == 0:
        assert stats.lapses_on is None and stats.freezes == 0
    else:
        assert stats.lapses_on is not None and stats.lapses_on > week_of(today)


def brute_force_without_freezes(logged: set[date], today: date) -> int:
    weeks = {week_of(d) for d in logged if d <= today}
    monday = week_of(today)
    if monday not in weeks:
        monday -= timedelta(days=7)
    count = 0
    while monday - timedelta(days=7 * count) in weeks:
        count += 1
    return count
