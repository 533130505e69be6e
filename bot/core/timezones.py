"""IANA timezone names: validation with "did you mean" and autocomplete."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from bot.core.errors import UserFacingError
from bot.core.fuzzy import Choice, NamedEntry, NameIndex


@cache
def _names() -> frozenset[str]:
    """Region/City zones and UTC: no `Etc/` offsets and no host files such as `localtime`,
    which would make a server's weeks depend on the machine the bot runs on.
    """
    return frozenset(
        n for n in available_timezones() if ("/" in n or n == "UTC") and not n.startswith("Etc/")
    )


@cache
def _index() -> NameIndex:
    """Each zone also answers to its city alone: "new york" -> America/New_York."""
    return NameIndex(
        NamedEntry(name, name, (name.rsplit("/", 1)[-1].replace("_", " "),))
        for name in sorted(_names())
    )


def timezone_choices(typed: str) -> list[Choice]:
    return _index().complete(typed)


def resolve_timezone(typed: str) -> str:
    """The IANA name meant by `typed` ("new york" -> "America/New_York"), or a clear error."""
    text = typed.strip()
    if text in _names():
        return text
    found = _index().resolve(text)
    if found is not None:
        return found
    closest = ", ".join(f"`{name}`" for name in _index().suggest(text, 4))
    hint = f" Closest: {closest}." if closest else ""
    raise UserFacingError(
        f"“{text[:60]}” is not a timezone I know. Use an IANA name like `Europe/London` or "
        f"`America/New_York` (pick one from the list as you type).{hint}"
    )
