"""Red flags in a question: which symptoms that call for a professional does it name?

Coaches write each red flag with the phrasings members use ("pins and needles", "cant
feel my foot", "wet myself"); a question names the red flag when it holds every word of
one phrasing, in any order, with stopwords dropped and words stemmed as `/ask`'s search
does. A mistyped word ("numbnes", "tingeling", "siatica") is repaired towards the
red-flag vocabulary first. Whether an answer touches pain is decided the same way, by
the coach-edited `pain_words`: the question's own words decide, never an incidental
search hit.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from bot.core.fuzzy import FuzzyBuckets
from bot.core.text import terms
from bot.features.knowledge.schema import RedFlag

_APOSTROPHES = re.compile("['\u2019`]")  # ' and its typographic form
REPAIR_CUTOFF = 85.0
"""How alike (rapidfuzz ratio, 0-100) a mistyped word must be to a red-flag word."""
REPAIR_MIN_LENGTH = 5
"""Shorter words are too easily confused ("leg", "log") to repair."""


def phrase_terms(text: str) -> frozenset[str]:
    """The words of a phrasing or question as matching sees them ("can't" == "cant")."""
    return frozenset(terms(_APOSTROPHES.sub("", text)))


class RedFlagMatcher:
    def __init__(
        self,
        flags: Iterable[RedFlag],
        pain_words: Iterable[str],
        known_words: Collection[str] = frozenset(),
    ) -> None:
        """`known_words`: terms the knowledge base itself uses (the /ask vocabulary). They
        are real words, so they are never "repaired" into a symptom ("train" is not a
        mistyped "strain")."""
        self.flags = list(flags)
        self._real = frozenset(known_words)
        self._phrasings = [
            (phrase_terms(phrasing), n)
            for n, flag in enumerate(self.flags)
            for phrasing in flag.phrasings
        ]
        self._pain = [phrase_terms(word) for word in pain_words]
        self._vocabulary = sorted({t for ts, _ in self._phrasings for t in ts}.union(*self._pain))
        self._known = frozenset(self._vocabulary)
        self._fuzzy = FuzzyBuckets(self._vocabulary)

    def question_terms(self, question: str) -> frozenset[str]:
        """The question's terms, plus the red-flag word each mistyped one stands for."""
        found = set(phrase_terms(question))
        for term in list(found):
            if term in self._known or term in self._real or len(term) < REPAIR_MIN_LENGTH:
                continue
            best = self._fuzzy.extract(term, limit=1, cutoff=REPAIR_CUTOFF)
            if best and self._vocabulary[best[0][1]][0] == term[0]:
                # Typos rarely change the first letter; requiring it keeps "asleep" apart.
                found.add(self._vocabulary[best[0][1]])
        return frozenset(found)

    def match(self, question: str) -> list[RedFlag]:
        """The red flags the question names: urgent ones first, then in knowledge order."""
        return self.match_terms(self.question_terms(question))

    def match_terms(self, words: frozenset[str]) -> list[RedFlag]:
        hit = sorted({n for phrasing, n in self._phrasings if phrasing and phrasing <= words})
        named = [self.flags[n] for n in hit]
        return [f for f in named if f.urgent] + [f for f in named if not f.urgent]

    def touches_pain(self, words: frozenset[str]) -> bool:
        """Whether the question is about pain (a pain word, or any red flag)."""
        return any(p and p <= words for p in self._pain) or bool(self.match_terms(words))


def empty_phrasings(flag: RedFlag) -> Sequence[str]:
    """Phrasings with no word left to match (only stopwords): they would match anything."""
    return [p for p in flag.phrasings if not phrase_terms(p)]
