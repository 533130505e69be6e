"""Wall-clock times in an IANA zone, as instants, across daylight-saving changes.

A time skipped when clocks go forward (02:30 on a day that jumps from 02:00 to 03:00)
happens at the end of the gap, the first instant that exists after it (03:00). Gaps are
found by reading the wall time back from UTC, and the end is the instant the UTC offset
changes, so 30-minute changes (Australia/Lord_Howe) and gaps not on the hour work too.
A time repeated when clocks go back happens once, at its first occurrence (`fold=0`).

Timed deliveries that fell due while the bot was down go out if they are less than
`LATE_LIMIT` late, and are skipped otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LATE_LIMIT = timedelta(hours=2)
"""A nudge this late or later (after downtime) is skipped rather than sent."""


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the wall time `at` on `day` happens in `zone`.

    A repeated wall time gives its first occurrence; a skipped one gives the end of the
    gap (see the module docstring).
    """
    wall = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _gap_end(wall)


def _gap_end(wall: datetime) -> datetime:
    """The instant the UTC offset changes, for a wall time that falls in a gap.

    Read with the offset from before the change (`fold=0`) a skipped wall time lands after
    the change; read with the offset from after it (`fold=1`) it lands before. So the
    change lies between the two readings: bisect to the second.
    """
    zone = wall.tzinfo
    low, high = sorted(int(wall.replace(fold=f).timestamp()) for f in (0, 1))
    offset_before = datetime.fromtimestamp(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def is_too_late(due: datetime, now: datetime) -> bool:
    """Whether a delivery due at `due` should be skipped rather than sent at `now`."""
    return now - due >= LATE_LIMIT
