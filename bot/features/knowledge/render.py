"""Knowledge entries as Discord-shaped replies, without importing discord.

`EmbedSpec` mirrors the parts of a Discord embed we use and knows Discord's limits,
so the loader can reject an entry that would not fit, tests can check every shipped
entry, and `backbone preview` can print exactly what the bot would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.schema import Exercise, Mistake, Overview, Situation

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

EXERCISE_COLOUR = 0x2F9E8F
PAIN_COLOUR = 0xD9822B
ASK_COLOUR = 0x5865F2
HELP_COLOUR = 0x5865F2

NOT_MEDICAL_ADVICE = (
    "Not medical advice: general coaching information only. "
    "Pain that is severe, spreading or lasting needs a qualified professional."
)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class EmbedSpec:
    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    colour: int = EXERCISE_COLOUR

    def total_chars(self) -> int:
        """What Discord counts towards the 6,000-character total."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def limit_problems(self) -> list[str]:
        problems: list[str] = []

        def over(what: str, text: str, limit: int) -> None:
            if len(text) > limit:
                problems.append(f"{what} is {len(text):,} characters, over Discord's {limit:,}")

        over("title", self.title, TITLE_LIMIT)
        over("description", self.description, DESCRIPTION_LIMIT)
        over("footer", self.footer, FOOTER_LIMIT)
        if len(self.fields) > FIELD_COUNT_LIMIT:
            problems.append(f"{len(self.fields)} fields, over Discord's {FIELD_COUNT_LIMIT}")
        for f in self.fields:
            over(f"field '{f.name[:40]}' name", f.name, FIELD_NAME_LIMIT)
            over(f"field '{f.name[:40]}'", f.value, FIELD_VALUE_LIMIT)
            if not f.name or not f.value:
                problems.append(f"field '{f.name[:40]}' is empty")
        if self.total_chars() > EMBED_TOTAL_LIMIT:
            problems.append(
                f"embed totals {self.total_chars():,} characters, over Discord's "
                f"{EMBED_TOTAL_LIMIT:,}"
            )
        return problems


@dataclass(frozen=True)
class Reply:
    """What a command answers: plain values that a cog turns into a Discord response."""

    content: str | None = None
    embed: EmbedSpec | None = None
    ephemeral: bool = False


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def numbered(items: Iterable[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def bulleted(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def _mistake_fields(mistakes: Sequence[Mistake]) -> list[Field]:
    return [Field(f"✗ {m.mistake}", f"**Fix:** {m.fix}") for m in mistakes]


def source_line(kb: KnowledgeBase, refs: Sequence[str]) -> str:
    return "Source: " + "; ".join(kb.source_titles(list(refs)))


def exercise_embed(kb: KnowledgeBase, exercise: Exercise) -> EmbedSpec:
    muscles = ", ".join(exercise.muscles)
    fields = [
        Field("Setup", numbered(exercise.setup)),
        Field("Cues", numbered(exercise.cues)),
        *_mistake_fields(exercise.mistakes),
        Field("Where you should feel it", exercise.feel_it),
    ]
    if exercise.easier:
        fields.append(Field("Easier", bulleted(exercise.easier), inline=True))
    if exercise.harder:
        fields.append(Field("Harder", bulleted(exercise.harder), inline=True))
    return EmbedSpec(
        title=exercise.name,
        description=(
            f"*{exercise.trains}*\n**Pattern:** {exercise.pattern} · **Muscles:** {muscles}"
        ),
        fields=tuple(fields),
        footer=source_line(kb, exercise.source),
        colour=EXERCISE_COLOUR,
    )


def _related(kb: KnowledgeBase, ids: Sequence[str]) -> str:
    return "\n".join(f"{kb.exercises[i].name}: `/cue exercise:{i}`" for i in ids)


def situation_embed(kb: KnowledgeBase, situation: Situation) -> EmbedSpec:
    fields = [
        *_mistake_fields(situation.mistakes),
        Field("When to see a professional", bulleted(situation.see_a_professional)),
    ]
    if situation.related_exercises:
        fields.append(Field("Related exercises", _related(kb, situation.related_exercises)))
    return EmbedSpec(
        title=situation.title,
        description=f"**What is likely happening**\n{situation.happening}",
        fields=tuple(fields),
        footer=f"{NOT_MEDICAL_ADVICE}\n{source_line(kb, situation.source)}",
        colour=PAIN_COLOUR,
    )


def overview_embed(kb: KnowledgeBase, overview: Overview) -> EmbedSpec:
    situations = "\n".join(
        f"{s.title}: `/why-back-pain situation:{s.id}`" for s in kb.situations.values()
    )
    fields = [Field("When to see a professional", bulleted(overview.see_a_professional))]
    if situations:
        fields.append(Field("Pick a situation", clip(situations, FIELD_VALUE_LIMIT)))
    return EmbedSpec(
        title=overview.title,
        description=overview.body,
        fields=tuple(fields),
        footer=f"{NOT_MEDICAL_ADVICE}\n{source_line(kb, overview.source)}",
        colour=PAIN_COLOUR,
    )


def to_text(reply: Reply) -> str:
    """A terminal rendering of a reply, for `backbone preview`."""
    out: list[str] = []
    if reply.ephemeral:
        out.append("(only the member who asked sees this reply)")
    if reply.content:
        out.append(reply.content)
    if (embed := reply.embed) is not None:
        bar = "━" * min(max(len(embed.title), 20), 72)
        out += [bar, embed.title, bar]
        if embed.description:
            out.append(embed.description)
        for f in embed.fields:
            out += ["", f"▌ {f.name}", f.value]
        if embed.footer:
            out += ["", f"— {embed.footer}"]
    return "\n".join(out).replace("**", "")
