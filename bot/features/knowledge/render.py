"""Knowledge entries as embeds (`bot.core.replies.EmbedSpec`), without importing discord.

The loader renders every entry through these to reject one that would not fit
Discord's limits; the answers and `backbone preview` use the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import FIELD_VALUE_LIMIT, EmbedSpec, Field, bulleted, clip, numbered
from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.schema import Exercise, Mistake, Overview, RedFlag, Situation

EXERCISE_COLOUR = 0x2F9E8F
PAIN_COLOUR = 0xD9822B
ASK_COLOUR = 0x5865F2

NOT_MEDICAL_ADVICE = (
    "Not medical advice: general coaching information only. "
    "Pain that is severe, spreading or lasting needs a qualified professional."
)


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
        description=f"**What is often happening**\n{situation.happening}",
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


def red_flag_advice(flags: Sequence[RedFlag]) -> str:
    """What to do, one paragraph per red flag the question names (urgent ones first)."""
    return "\n\n".join(
        f"{'🚨' if flag.urgent else '⚠️'} **{flag.title}**\n{flag.advice}" for flag in flags
    )


def professional_signs(kb: KnowledgeBase) -> Field | None:
    """The signs that call for a professional, for any answer that touches pain."""
    urgent = [f.title for f in kb.red_flags.values() if f.urgent]
    soon = [f.title for f in kb.red_flags.values() if not f.urgent]
    if not urgent and not soon:
        if kb.overview is None:
            return None
        return Field("When to see a professional", bulleted(kb.overview.see_a_professional))
    lines = []
    if urgent:
        lines.append("**Get help today** (emergency department): " + "; ".join(urgent) + ".")
    lines.append(
        "**See a doctor or physio soon:** "
        + "; ".join([*soon, "pain that keeps getting worse or has not eased in a few weeks"])
        + "."
    )
    return Field("When to see a professional", "\n".join(lines))
