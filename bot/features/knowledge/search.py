"""`/ask` search: `TextIndex` ranks whole knowledge entries for a free-text question.

BM25 with field weights and typo repair for query terms (through `bot.core.fuzzy`, which
also serves names: autocomplete and "did you mean"). Built once per knowledge base load
and read-only afterwards, so lookups need no locks and cost no I/O.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

from bot.core.fuzzy import FuzzyBuckets
from bot.core.text import normalize, terms, words

EntryKind = Literal["exercise", "situation", "posture"]


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

    @property
    def vocabulary(self) -> list[str]:
        """Every term the indexed documents use, sorted."""
        return self._vocabulary

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
