"""The live knowledge base and its indexes, swapped whole on reload."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.features.knowledge.index import KnowledgeIndex, build_index
from bot.features.knowledge.loader import load_knowledge
from bot.features.knowledge.model import KnowledgeBase


@dataclass(frozen=True)
class Knowledge:
    """A validated knowledge base with the indexes built from it."""

    base: KnowledgeBase
    index: KnowledgeIndex

    @classmethod
    def load(cls, directory: Path) -> Knowledge:
        """Load, validate and index; raises `KnowledgeBaseError` listing every problem."""
        base = load_knowledge(directory)
        return cls(base, build_index(base))


class KnowledgeStore:
    """Holds the knowledge in use. Commands read `current`; `reload` replaces it atomically."""

    def __init__(self, directory: Path, initial: Knowledge) -> None:
        self.directory = directory
        self._current = initial
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Knowledge:
        return self._current

    async def reload(self) -> Knowledge:
        """Load from disk in a worker thread; on error the old knowledge stays in use."""
        async with self._lock:
            fresh = await asyncio.to_thread(Knowledge.load, self.directory)
            self._current = fresh
            return fresh
