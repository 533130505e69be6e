"""Times of day as members type them ("07:30", "7:30am", "7 p.m.") and as we store them."""

from __future__ import annotations

import re
from datetime import time

from bot.core.errors import UserFacingError

_HELP = "Use 24-hour HH:MM like 07:30 or 19:45, or 12-hour like 7:30am."
_QUOTE_LIMIT = 30
_24_HOUR = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_12_HOUR = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?", re.ASCII | re.IGNORECASE)
_WITH_SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}", re.ASCII)


class TimeFormatError(ValueError):
    """A time of day the member typed that cannot be read; `str(error)` says why."""


def _unreadable(text: str, reason: str = "") -> TimeFormatError:
    shown = text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1].rstrip() + "…"
    reason = f" {reason}" if reason else ""
    return TimeFormatError(f'I can\'t read "{shown}" as a time.{reason} {_HELP}')


def parse_time(text: str) -> time:
    """A time of day from what a member typed: "07:30", "7:30", "7am", "7:30 p.m.", ...

    Minutes only, no seconds. "12am" is midnight and "12pm" is noon.
    """
    text = text.strip()
    if not text:
        raise TimeFormatError(f"No time given. {_HELP}")
    if match := _24_HOUR.fullmatch(text):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23:
            raise _unreadable(text, "The hour must be 0 to 23.")
    elif match := _12_HOUR.fullmatch(text):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12:
            raise _unreadable(text, "With am or pm the hour must be 1 to 12.")
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0)
    elif _WITH_SECONDS.match(text):
        raise _unreadable(text, "Give hours and minutes only, without seconds.")
    else:
        raise _unreadable(text)
    if minute > 59:
        raise _unreadable(text, "Minutes must be 00 to 59.")
    return time(hour, minute)


def format_time(t: time) -> str:
    """`t` as stored and shown: 24-hour "HH:MM" (seconds, never set by `parse_time`, drop)."""
    return f"{t.hour:02d}:{t.minute:02d}"


def parse_member_time(text: str) -> str:
    """A typed time of day as stored ("HH:MM"), or a clear error for the member."""
    try:
        return format_time(parse_time(text))
    except TimeFormatError as error:
        raise UserFacingError(str(error)) from None
