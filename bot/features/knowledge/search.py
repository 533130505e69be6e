"""One search module for autocomplete, "did you mean" suggestions and `/ask`.

`NameIndex` answers "which entry does this name mean?" for one kind of entry (exact,
prefix, typo-tolerant). `TextIndex` ranks whole entries for a free-text question with
BM25. Both are built once per knowledge base load and are read-only afterwards, so
lookups need no locks and cost no I/O.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.text import normalize, stem, terms, words

AUTOCOMPLETE_LIMIT = 25
CHOICE_TEXT_LIMIT = 100

EntryKind = Literal["exercise", "situation", "posture"]


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


@dataclass(frozen=True, slots=True)
class Passage:
    label: str
    text: str


@dataclass(frozen=True)
class Document:
    kind: EntryKind
    id: str
    title: str
    names: tuple[str, ...]
    """Title and aliases: weighted highest."""
    keywords: tuple[str, ...]
    passages: tuple[Passage, ...]
    """The body, in pieces; the best-matching piece is shown as the snippet."""


@dataclass(frozen=True, slots=True)
class Hit:
    document: Document
    score: float
    snippet: Passage | None


class TextIndex:
    """BM25 over knowledge documents, with field weights and typo repair for query terms."""

    K1 = 1.2
    B = 0.75
    NAME_WEIGHT = 3
    KEYWORD_WEIGHT = 2
    TYPO_CUTOFF = 82.0
    IMPACT_LIMIT = 250

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = list(documents)
        # BM25F-style: name and keyword matches count at a fixed weight, body matches are
        # normalised by body length, so a long exercise guide is not outranked by a short
        # tip that merely mentions the same word.
        postings: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
        body_lengths: list[int] = []
        for n, doc in enumerate(self.documents):
            fixed, body = self._document_terms(doc)
            body_lengths.append(sum(body.values()))
            for term in fixed.keys() | body.keys():
                postings[term].append((n, fixed[term], body[term]))
        total = len(self.documents) or 1
        average = (sum(body_lengths) / total) or 1.0
        norms = [1 - self.B + self.B * length / average for length in body_lengths]
        # Each term's contribution to each document's score depends only on the index,
        # so it is computed here once. Lists are kept best-first and cut at
        # IMPACT_LIMIT, so a word found in thousands of entries ("back") stays cheap.
        # That makes ranking approximate only for words that common, whose low weight
        # rarely decides the top five; on a knowledge base of a few hundred entries no
        # list is cut at all.
        self._impacts: dict[str, list[tuple[int, float]]] = {}
        for term, entries in postings.items():
            idf = math.log(1 + (total - len(entries) + 0.5) / (len(entries) + 0.5))
            scored = []
            for n, fixed_tf, body_tf in entries:
                tf = fixed_tf + body_tf / norms[n]
                scored.append((n, idf * tf * (self.K1 + 1) / (tf + self.K1)))
            scored.sort(key=lambda ns: (-ns[1], ns[0]))
            self._impacts[term] = scored[: self.IMPACT_LIMIT]
        self._vocabulary = sorted(self._impacts)
        self._fuzzy = FuzzyBuckets(self._vocabulary)
        self._passage_terms = [
            [frozenset(terms(p.text)) for p in doc.passages] for doc in self.documents
        ]

    @classmethod
    def _document_terms(cls, doc: Document) -> tuple[Counter[str], Counter[str]]:
        fixed: Counter[str] = Counter()
        for name in doc.names:
            for term in {*terms(name), normalize(name)}:
                fixed[term] += cls.NAME_WEIGHT
        for keyword in doc.keywords:
            for term in {*terms(keyword), normalize(keyword)}:
                fixed[term] += cls.KEYWORD_WEIGHT
        body: Counter[str] = Counter()
        for passage in doc.passages:
            body.update(terms(passage.text))
        return fixed, body

    def query_terms(self, question: str) -> list[str]:
        """Stemmed query terms; joined neighbours ("pull up" -> "pullup") and typo repairs."""
        raw = words(question)
        found: list[str] = []
        for size in (2, 3):
            for i in range(len(raw) - size + 1):
                joined = "".join(raw[i : i + size])
                if joined in self._impacts:
                    found.append(joined)
        for term in terms(question):
            if term in self._impacts:
                found.append(term)
            elif len(term) >= 4:
                match = self._fuzzy.extract(term, limit=1, cutoff=self.TYPO_CUTOFF)
                if match:
                    found.append(self._vocabulary[match[0][1]])
        return list(dict.fromkeys(found))

    def search(self, question: str, limit: int = 5) -> list[Hit]:
        query = self.query_terms(question)
        scores: dict[int, float] = defaultdict(float)
        for term in query:
            for n, impact in self._impacts[term]:
                scores[n] += impact
        best = heapq.nlargest(limit, scores.items(), key=itemgetter(1))
        wanted = set(query)
        return [Hit(self.documents[n], score, self._snippet(n, wanted)) for n, score in best]

    def _snippet(self, n: int, wanted: set[str]) -> Passage | None:
        """The passage of document `n` sharing the most terms with the query."""
        passages = self.documents[n].passages
        if not passages:
            return None
        overlaps = [len(wanted & found) for found in self._passage_terms[n]]
        return passages[overlaps.index(max(overlaps))]
