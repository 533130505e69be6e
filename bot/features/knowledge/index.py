"""Build the search indexes for a loaded knowledge base."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.fuzzy import NamedEntry, NameIndex
from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.redflags import RedFlagMatcher
from bot.features.knowledge.search import Document, Passage, TextIndex


@dataclass(frozen=True)
class KnowledgeIndex:
    exercises: NameIndex
    situations: NameIndex
    text: TextIndex
    red_flags: RedFlagMatcher


def build_documents(kb: KnowledgeBase) -> list[Document]:
    docs: list[Document] = []
    for e in kb.exercises.values():
        docs.append(
            Document(
                kind="exercise",
                id=e.id,
                title=e.name,
                names=(e.name, *e.aliases),
                keywords=(*e.keywords, *e.muscles, e.pattern),
                passages=(
                    Passage("What it trains:", e.trains),
                    *(Passage("Setup:", s) for s in e.setup),
                    *(Passage("Cue:", c) for c in e.cues),
                    *(Passage(f"✗ {m.mistake} → Fix:", m.fix) for m in e.mistakes),
                    Passage("Where you should feel it:", e.feel_it),
                ),
            )
        )
    for s in kb.situations.values():
        docs.append(
            Document(
                kind="situation",
                id=s.id,
                title=s.title,
                names=(s.title, *s.aliases),
                keywords=tuple(s.keywords),
                passages=(
                    Passage("What is often happening:", s.happening),
                    *(Passage(f"✗ {m.mistake} → Fix:", m.fix) for m in s.mistakes),
                    *(Passage("See a professional:", p) for p in s.see_a_professional),
                ),
            )
        )
    for t in kb.posture_topics.values():
        docs.append(
            Document(
                kind="posture",
                id=t.id,
                title=t.title,
                names=(t.title,),
                keywords=tuple(t.keywords),
                passages=(Passage("Posture nudge:", t.text),),
            )
        )
    return docs


def build_index(kb: KnowledgeBase) -> KnowledgeIndex:
    text = TextIndex(build_documents(kb))
    return KnowledgeIndex(
        exercises=NameIndex(NamedEntry(e.id, e.name, e.aliases) for e in kb.exercises.values()),
        situations=NameIndex(NamedEntry(s.id, s.title, s.aliases) for s in kb.situations.values()),
        text=text,
        red_flags=RedFlagMatcher(kb.red_flags.values(), kb.pain_words, text.vocabulary),
    )
