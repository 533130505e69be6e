"""The knowledge base schema: what coaches may write in `knowledge/*.yaml`.

Every model forbids unknown keys so that a typo ("cuse:" for "cues:") is an error
with a line number instead of silently dropped advice. Per-item length limits keep
each piece inside Discord's embed limits; the loader also renders every entry and
checks the totals against those limits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
"""Stable identifier: lowercase words joined by hyphens, e.g. `barbell-row`."""

Word = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Paragraph = Annotated[str, StringConstraints(min_length=1, max_length=1000)]

MovementPattern = Literal[
    "vertical pull",
    "horizontal pull",
    "hinge",
    "squat",
    "rear-shoulder isolation",
    "core stability",
    "loaded carry",
    "mobility",
    "posture drill",
]

SourceRefs = Annotated[list[Id], Field(min_length=1, max_length=4)]
"""Ids of entries under `sources:`; every entry names where its advice comes from."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Model):
    id: Id
    title: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    kind: Literal["article", "podcast", "coaching practice"]
    note: Line | None = None


class Mistake(_Model):
    mistake: Short
    fix: Paragraph


class Exercise(_Model):
    id: Id
    name: Name
    aliases: Annotated[list[Name], Field(max_length=15)] = []
    pattern: MovementPattern
    muscles: Annotated[list[Word], Field(min_length=1, max_length=10)]
    trains: Line
    setup: Annotated[list[Line], Field(min_length=1, max_length=8)]
    cues: Annotated[list[Line], Field(min_length=1, max_length=8)]
    mistakes: Annotated[list[Mistake], Field(min_length=1, max_length=6)]
    feel_it: Line
    easier: Annotated[list[Line], Field(max_length=4)] = []
    harder: Annotated[list[Line], Field(max_length=4)] = []
    keywords: Annotated[list[Word], Field(max_length=20)] = []
    source: SourceRefs


class Situation(_Model):
    id: Id
    title: Name
    aliases: Annotated[list[Name], Field(max_length=15)] = []
    happening: Paragraph
    mistakes: Annotated[list[Mistake], Field(min_length=1, max_length=8)]
    see_a_professional: Annotated[list[Line], Field(min_length=1, max_length=8)]
    related_exercises: Annotated[list[Id], Field(max_length=8)] = []
    keywords: Annotated[list[Word], Field(max_length=20)] = []
    source: SourceRefs


class Overview(_Model):
    """What `/why-back-pain` shows when no situation is given."""

    title: Name
    body: Paragraph
    see_a_professional: Annotated[list[Line], Field(min_length=1, max_length=8)]
    source: SourceRefs


class PostureTopic(_Model):
    """One daily nudge: short enough to read in a DM preview (at most 300 characters)."""

    id: Id
    title: Name
    text: Line
    keywords: Annotated[list[Word], Field(max_length=20)] = []
    source: SourceRefs


class RedFlag(_Model):
    """A symptom that calls for a professional, answered before any training tip.

    `phrasings` are the ways members type it; a question matches one when it holds all
    of that phrasing's words (stopwords aside, typos tolerated). They are never shown.
    """

    id: Id
    title: Name
    urgent: bool = False
    """True when the advice is to get help today (emergency department)."""
    advice: Line
    phrasings: Annotated[list[Name], Field(min_length=1, max_length=40)]
    source: SourceRefs


class KnowledgeFile(_Model):
    """One YAML file. Any file may hold any of these sections; the loader merges them."""

    sources: list[Source] = []
    overview: Overview | None = None
    exercises: list[Exercise] = []
    situations: list[Situation] = []
    posture_topics: list[PostureTopic] = []
    red_flags: list[RedFlag] = []
    pain_words: Annotated[list[Word], Field(max_length=120)] = []
    """Words that make a question about pain: its answer then shows the signs that call
    for a professional and the not-medical-advice note (the question decides)."""
