"""Weekly back-day streaks: pure arithmetic on dates, no Discord and no SQL.

A week runs Monday to Sunday in the member's own timezone. A week *qualifies* when it
holds at least `target` back days. The current streak counts consecutive qualifying
weeks ending with this week if it already qualifies, else with last week, so a week
still in progress never breaks a streak. Missing a whole week resets it to 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)
STRIP_WEEKS = 8


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def streak_expires_at(run_end: date | None, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) a streak whose last qualifying week began `run_end` lapses.

    It survives the following week (still in progress) and breaks when the week after
    that begins: local midnight of Monday `run_end + 14 days`.
    """
    if run_end is None:
        return None
    lapse = datetime.combine(run_end + 2 * WEEK, time(0, 0), tzinfo=zone)
    return lapse.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class StreakStats:
    current: int
    """Consecutive qualifying weeks up to this week (or last week, if this one is not done)."""
    best: int
    """The longest run of qualifying weeks ever, under the current target."""
    this_week: int
    """Back days logged so far this week."""
    target: int
    total: int
    """All back days ever logged."""
    recent: tuple[int, ...]
    """Back days per week for the last `STRIP_WEEKS` weeks, oldest first, this week last."""
    run_end: date | None
    """Monday of the last qualifying week of the current run (None when `current` is 0)."""

    @property
    def this_week_qualifies(self) -> bool:
        return self.this_week >= self.target


def streak_stats(days: Iterable[date], today: date, target: int) -> StreakStats:
    """Everything `/streak` shows, from the raw set of logged days."""
    if not 1 <= target <= 7:
        raise ValueError(f"weekly target must be 1-7, got {target}")
    logged = {d for d in days if d <= today}
    per_week = Counter(week_of(d) for d in logged)
    qualifying = {week for week, count in per_week.items() if count >= target}

    this_week = week_of(today)
    end = this_week if this_week in qualifying else this_week - WEEK
    current = 0
    while end - current * WEEK in qualifying:
        current += 1

    best = run = 0
    previous: date | None = None
    for week in sorted(qualifying):
        run = run + 1 if previous is not None and week - previous == WEEK else 1
        best = max(best, run)
        previous = week

    recent = tuple(per_week[this_week - n * WEEK] for n in range(STRIP_WEEKS - 1, -1, -1))
    return StreakStats(
        current=current,
        best=best,
        this_week=per_week[this_week],
        target=target,
        total=len(logged),
        recent=recent,
        run_end=end if current else None,
    )


def streak_strip(stats: StreakStats) -> str:
    """The last weeks as squares: green met the target, yellow some days, white none."""
    squares = []
    for n, count in enumerate(stats.recent):
        in_progress = n == len(stats.recent) - 1 and count < stats.target
        if count >= stats.target:
            squares.append("🟩")
        elif in_progress:
            squares.append("⬜" if count == 0 else "🟨")
        else:
            squares.append("🟨" if count else "⬛")
    return "".join(squares)
