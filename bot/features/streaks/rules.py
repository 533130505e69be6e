"""Weekly back-day streaks: pure arithmetic on dates, no Discord and no SQL.

A week runs Monday to Sunday in the member's own timezone. A week *qualifies* when it
holds at least `target` back days. The current streak counts consecutive qualifying
weeks ending with this week if it already qualifies, else with last week, so a week
still in progress never breaks a streak. Missing a whole week resets it to 0.

Freezes: every `FREEZE_EVERY` qualifying weeks of a streak earn one freeze, and a member
holds at most `MAX_FREEZES`. A finished week that does not qualify, while the streak is
at least 1 and a freeze is held, spends the freeze: the streak survives that week
without growing. A missed week with no freeze left resets the streak. Everything here
is a function of the logged days, the target and today, so stored figures can always
be recomputed from the raw logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)
STRIP_WEEKS = 8
FREEZE_EVERY = 4
"""Qualifying weeks of one streak that earn a freeze."""
MAX_FREEZES = 2


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def streak_expires_at(lapses_on: date | None, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) a streak that lapses on Monday `lapses_on` breaks: local midnight
    of that Monday in the member's zone (`StreakStats.lapses_on`)."""
    if lapses_on is None:
        return None
    return datetime.combine(lapses_on, time(0, 0), tzinfo=zone).astimezone(UTC)


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
    freezes: int = 0
    """Freezes held now (0 to `MAX_FREEZES`)."""
    frozen_weeks: frozenset[date] = frozenset()
    """Mondays of the finished weeks a freeze carried the streak through."""
    week: date | None = None
    """This week's Monday (in the member's zone), which `recent` ends with."""
    lapses_on: date | None = None
    """The Monday the current streak breaks if nothing more is logged: after this week
    (if it does not qualify) or the next, plus one week per freeze held."""

    @property
    def this_week_qualifies(self) -> bool:
        return self.this_week >= self.target


def _week_number(day: date) -> int:
    """Weeks since the Monday 0001-01-01 (ordinal 1): consecutive weeks differ by 1."""
    return (day.toordinal() - 1) // 7


def _monday(week: int) -> date:
    return date.fromordinal(week * 7 + 1)


def streak_stats(days: Iterable[date], today: date, target: int) -> StreakStats:
    """Everything `/streak` shows, from the raw set of logged days.

    The arithmetic is on week numbers, not dates: every `/backday log` runs it inside the
    database's write transaction, and integer weeks make it several times faster."""
    if not 1 <= target <= 7:
        raise ValueError(f"weekly target must be 1-7, got {target}")
    logged = {d for d in days if d <= today}
    per_week = Counter((d.toordinal() - 1) // 7 for d in logged)  # _week_number, inlined
    qualifying = sorted(week for week, count in per_week.items() if count >= target)
    this_week = _week_number(today)

    current = best = freezes = 0
    run_end: int | None = None
    frozen: list[int] = []
    for week in qualifying:
        if run_end is not None:
            # The finished weeks since the last qualifying one were missed: each spends a
            # freeze while one is held; the first with none left ends the streak.
            missed = min(week, this_week) - run_end - 1
            if missed:
                carried = min(missed, freezes)
                frozen += range(run_end + 1, run_end + 1 + carried)
                freezes -= carried
                if missed > carried:
                    current, run_end = 0, None
        current += 1
        if current > best:
            best = current
        if current % FREEZE_EVERY == 0 and freezes < MAX_FREEZES:
            freezes += 1
        run_end = week
    counts_now = per_week[this_week] >= target
    if run_end is not None and not counts_now:
        # Finished weeks after the last qualifying one, up to last week.
        missed = this_week - run_end - 1
        carried = min(missed, freezes)
        frozen += range(run_end + 1, run_end + 1 + carried)
        freezes -= carried
        if missed > carried:
            current, run_end = 0, None
    lapses_on = None
    if current:
        lapses_on = _monday(this_week + int(counts_now) + freezes + 1)
    else:
        freezes = 0

    recent = tuple(per_week[this_week - n] for n in range(STRIP_WEEKS - 1, -1, -1))
    return StreakStats(
        current=current,
        best=best,
        this_week=per_week[this_week],
        target=target,
        total=len(logged),
        recent=recent,
        run_end=_monday(run_end) if current and run_end is not None else None,
        freezes=freezes,
        frozen_weeks=frozenset(_monday(week) for week in frozen),
        week=_monday(this_week),
        lapses_on=lapses_on,
    )


def streak_strip(stats: StreakStats) -> str:
    """The last weeks as squares: green met the target, ice a freeze carried the streak,
    yellow some days, black none, white this week not yet."""
    squares = []
    for n, count in enumerate(stats.recent):
        in_progress = n == len(stats.recent) - 1 and count < stats.target
        weeks_ago = len(stats.recent) - 1 - n
        monday = None if stats.week is None else stats.week - weeks_ago * WEEK
        if count >= stats.target:
            squares.append("🟩")
        elif monday is not None and monday in stats.frozen_weeks:
            squares.append("🧊")
        elif in_progress:
            squares.append("⬜" if count == 0 else "🟨")
        else:
            squares.append("🟨" if count else "⬛")
    return "".join(squares)
