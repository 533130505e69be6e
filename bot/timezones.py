"""IANA timezone names: validation with "did you mean" and autocomplete."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserFacingError
from bot.knowledge.search import Choice, NamedEntry, NameIndex


@cache
def _index() -> NameIndex:
    names = sorted(n for n in available_timezones() if "/" in n or n == "UTC")
    return NameIndex(NamedEntry(name, name) for name in names if not name.startswith("Etc/"))


def timezone_choices(typed: str) -> list[Choice]:
    return _index().complete(typed)


def resolve_timezone(typed: str) -> str:
    """The IANA name meant by `typed` ("new york" -> "America/New_York"), or a clear error."""
    text = typed.strip()
    try:
        ZoneInfo(text)
        return text
    except (ZoneInfoNotFoundError, ValueError):
        pass
    found = _index().resolve(text)
    if found is not None:
        return found
    closest = ", ".join(f"`{name}`" for name in _index().suggest(text, 4))
    hint = f" Closest: {closest}." if closest else ""
    raise UserFacingError(
        f"“{text[:60]}” is not a timezone I know. Use an IANA name like `Europe/London` or "
        f"`America/New_York` (pick one from the list as you type).{hint}"
    )
