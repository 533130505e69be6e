"""Typo-tolerant names: which entry does this name mean? (exact, prefix, fuzzy)

`NameIndex` serves autocomplete, "did you mean" suggestions and name resolution for
any kind of named thing: exercises, situations, timezones. It is built once and is
read-only afterwards, so lookups need no locks and cost no I/O.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.text import normalize, stem, words

AUTOCOMPLETE_LIMIT = 25
CHOICE_TEXT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: `label` is shown, `value` (the entry id) is sent back."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class NamedEntry:
    id: str
    name: str
    aliases: Sequence[str] = ()


def _label(name: str, alias: str | None) -> str:
    text = name if alias is None else f"{name} ({alias})"
    return text if len(text) <= CHOICE_TEXT_LIMIT else text[: CHOICE_TEXT_LIMIT - 1] + "…"


class FuzzyBuckets:
    """Distinct strings grouped by their first and by their second character.

    A query is compared only with strings filed under its own first or second
    character. A typo that keeps either of the first two letters (the usual case), a
    dropped first letter ("ull-up") or a swapped pair ("upll-up") still meets its
    target, and a large knowledge base costs a fraction of a full scan.
    """

    def __init__(self, strings: Sequence[str]) -> None:
        first_index: dict[str, int] = {}
        for n, text in enumerate(strings):
            if text:
                first_index.setdefault(text, n)
        grouped: dict[str, list[str]] = defaultdict(list)
        for text in first_index:
            for char in dict.fromkeys(text[:2]):
                grouped[char].append(text)
        self._strings = dict(grouped)
        self._index = first_index

    def extract(self, query: str, *, limit: int, cutoff: float) -> list[tuple[float, int]]:
        """(score, index of the string's first occurrence), best first, by `fuzz.ratio`."""
        found: dict[str, float] = {}
        for char in dict.fromkeys(query[:2]):
            for text, score, _ in process.extract(
                query,
                self._strings.get(char, ()),
                scorer=fuzz.ratio,
                limit=limit,
                score_cutoff=cutoff,
            ):
                found[text] = score
        ranked = sorted(found.items(), key=lambda ts: (-ts[1], ts[0]))[:limit]
        return [(score, self._index[text]) for text, score in ranked]


def _row_order(row: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return (row[0], row[1], row[2] or "")


def _stemmed_key(text: str) -> str:
    return "".join(stem(w) for w in words(text))


class NameIndex:
    """Names, ids and aliases of one kind of entry."""

    FUZZY_CUTOFF = 72.0
    RESOLVE_CUTOFF = 86.0

    def __init__(self, entries: Iterable[NamedEntry]) -> None:
        self._names: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        # (key, entry id, alias or None) sorted by key, for prefix search with bisect.
        starts: list[tuple[str, str, str | None]] = []
        inner: list[tuple[str, str, str | None]] = []
        for entry in entries:
            self._names[entry.id] = entry.name
            for label, alias in [
                (entry.id, None),
                (entry.name, None),
                *((a, a) for a in entry.aliases),
            ]:
                key = normalize(label)
                self._exact.setdefault(key, entry.id)
                self._exact.setdefault(_stemmed_key(label), entry.id)
                starts.append((key, entry.id, alias))
                parts = words(label)
                for i in range(1, len(parts)):
                    inner.append(("".join(parts[i:]), entry.id, alias))
        starts.sort(key=_row_order)
        inner.sort(key=_row_order)
        self._starts = starts
        self._start_keys = [k for k, _, _ in starts]
        self._inner = inner
        self._inner_keys = [k for k, _, _ in inner]
        self._fuzzy = FuzzyBuckets(self._start_keys)
        self._default = [
            Choice(_label(name, None), entry_id)
            for entry_id, name in sorted(self._names.items(), key=lambda kv: kv[1].casefold())[
                :AUTOCOMPLETE_LIMIT
            ]
        ]

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._names

    def name(self, entry_id: str) -> str:
        return self._names[entry_id]

    def resolve(self, text: str) -> str | None:
        """The entry `text` names exactly, allowing spelling variants and small typos."""
        key = normalize(text)
        if not key:
            return None
        found = self._exact.get(key) or self._exact.get(_stemmed_key(text))
        if found:
            return found
        best = self._fuzzy.extract(key, limit=4, cutoff=self.RESOLVE_CUTOFF)
        owners = {self._starts[i][1] for _, i in best}
        # Only accept a typo match when it is unambiguous.
        return self._starts[best[0][1]][1] if len(owners) == 1 else None

    def complete(self, text: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Choice]:
        """Choices for a partly typed name: prefixes first, then typo-tolerant matches."""
        key = normalize(text)
        if not key:
            return self._default[:limit]
        picked: dict[str, Choice] = {}

        def take(entry_id: str, alias: str | None) -> None:
            if entry_id not in picked and len(picked) < limit:
                picked[entry_id] = Choice(_label(self._names[entry_id], alias), entry_id)

        exact = self._exact.get(key)
        if exact:
            take(exact, None)
        for keys, rows in ((self._start_keys, self._starts), (self._inner_keys, self._inner)):
            for _, entry_id, alias in self._prefixed(keys, rows, key, limit):
                take(entry_id, alias)
        if len(picked) < limit and len(key) >= 3:
            for _, i in self._fuzzy.extract(key, limit=limit * 2, cutoff=self.FUZZY_CUTOFF):
                _, entry_id, alias = self._starts[i]
                take(entry_id, alias)
        return list(picked.values())

    @staticmethod
    def _prefixed(
        keys: list[str], rows: list[tuple[str, str, str | None]], prefix: str, limit: int
    ) -> list[tuple[str, str, str | None]]:
        """Rows whose key starts with `prefix`: names before aliases, shorter first.

        Only a bounded window is looked at, so a one-letter prefix over thousands of
        entries costs the same as a precise one.
        """
        start = bisect.bisect_left(keys, prefix)
        window: list[tuple[str, str, str | None]] = []
        for i in range(start, min(start + limit * 8, len(keys))):
            if not keys[i].startswith(prefix):
                break
            window.append(rows[i])
        window.sort(key=lambda row: (row[2] is not None, len(row[0]), row[0]))
        return window

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Closest entry ids for a name that did not resolve ("did you mean")."""
        key = normalize(text)
        seen: dict[str, None] = {}
        for choice in self.complete(text, limit):
            seen.setdefault(choice.value, None)
        if len(seen) < limit and key:
            for _, _, i in process.extract(
                key, self._start_keys, scorer=fuzz.WRatio, limit=limit * 3
            ):
                seen.setdefault(self._starts[i][1], None)
                if len(seen) >= limit:
                    break
        return list(seen)[:limit]
