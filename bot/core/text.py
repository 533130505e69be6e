"""Text normalisation shared by the loader (alias collisions) and search."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    """
    a about after all am an and any are as at be been before being but by can could did
    do does doing during each for from get gets got had has have how i if in into is it
    its just me my of on or our should so some than that the their them then there these
    they this those to too up very was we were what when where which while who why will
    with would you your
    """.split()
)


def fold(text: str) -> str:
    """Lowercase and strip accents: "Rücken" -> "rucken"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """The key two names are compared by: letters and digits only, so "Pull-up" == "pull up"."""
    return _NON_ALNUM.sub("", fold(text))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to make "rows", "rowing" and "row" meet.

    A full stemmer would be overkill for a few thousand coaching terms, and aggressive
    stemming hurts more than it helps on short queries.
    """
    if word.endswith("sses"):
        return word[:-2]  # "presses" -> "press"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # "flies" -> "fly"
    if word.endswith("ing") and len(word) >= 6:
        base = word[:-3]
        return base[:-1] if base[-1] == base[-2] else base  # "squatting" -> "squat"
    if word.endswith("ed") and len(word) >= 6:
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Search terms: folded words without stopwords, stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
