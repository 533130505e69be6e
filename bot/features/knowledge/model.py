"""The loaded, cross-checked knowledge base: plain immutable data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.features.knowledge.schema import (
    Exercise,
    Overview,
    PostureTopic,
    RedFlag,
    Situation,
    Source,
)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an entry was written, for error messages and `preview`."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class KnowledgeBase:
    sources: dict[str, Source]
    overview: Overview | None
    exercises: dict[str, Exercise]
    situations: dict[str, Situation]
    posture_topics: dict[str, PostureTopic]
    red_flags: dict[str, RedFlag] = field(default_factory=dict)
    pain_words: tuple[str, ...] = ()
    origins: dict[str, Origin] = field(default_factory=dict)
    """Keyed by `kind:id`, e.g. `exercise:barbell-row`."""

    def source_titles(self, ids: list[str]) -> list[str]:
        return [self.sources[i].title for i in ids if i in self.sources]

    def counts(self) -> str:
        return (
            f"{len(self.exercises)} exercises, {len(self.situations)} situations, "
            f"{len(self.posture_topics)} posture topics"
            + (f", {len(self.red_flags)} red flags" if self.red_flags else "")
        )
