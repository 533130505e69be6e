"""Build the search indexes for a loaded knowledge base."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.fuzzy import NamedEntry, NameIndex
from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.search import Document, Passage, TextIndex


@dataclass(frozen=True)
class KnowledgeIndex:
    exercises: NameIndex
    situations: NameIndex
    text: TextIndex


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
                    Passage("What is likely happening:", s.happening),
                    *(Passage(f"✗ {m.mistake} → Fix:", m.fix) for m in s.mistakes),
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
    return KnowledgeIndex(
        exercises=NameIndex(NamedEntry(e.id, e.name, e.aliases) for e in kb.exercises.values()),
        situations=NameIndex(NamedEntry(s.id, s.title, s.aliases) for s in kb.situations.values()),
        text=TextIndex(build_documents(kb)),
    )
