"""What the knowledge commands reply, as plain `Reply` values.

Cogs and `backbone preview` both call these, so a coach's preview is exactly what
members will see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UserFacingError
from bot.core.fuzzy import NameIndex
from bot.core.replies import (
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    EmbedSpec,
    Field,
    Reply,
    clip,
)
from bot.features.knowledge.model import KnowledgeBase
from bot.features.knowledge.render import (
    ASK_COLOUR,
    NOT_MEDICAL_ADVICE,
    PAIN_COLOUR,
    exercise_embed,
    overview_embed,
    professional_signs,
    red_flag_advice,
    situation_embed,
    source_line,
)
from bot.features.knowledge.schema import RedFlag
from bot.features.knowledge.search import EntryKind, Hit
from bot.features.knowledge.store import Knowledge

ASK_MAX_LENGTH = 200
ASK_RESULTS = 5
GOOD_MATCH_SCORE = 5.0
"""The top `/ask` hit's score (`TextIndex.search`, summed BM25 impacts) below which a
question counts as not answered well, for /coach insights.

Measured on the shipped knowledge base: questions it answers score well above it (the
technique and pain phrasings of tests/features/knowledge/phrasings.py score 5.6 to 22;
"plank" 5.4, "squat depth" 5.6, "scapula" 6.8, "lat pulldown grip width" 21), while
questions it cannot answer stay below it ("how much protein should I eat" 3.9, "can you
recommend a gym in london" 4.1, "how to lose weight" 4.4, "best shoes for lifting" 2.9,
"how do i get bigger arms" 1.8, "what time is it" 2.7), and gibberish finds no hit at
all. The margin is thin at both ends ("rows" alone scores 4.3: counted as a miss, which
tells a coach it lands on a list rather than one entry; "what is the weather today"
scores 6.0 through a typo repair to "whether"), so the figure is a signal for coaches,
not a verdict. A question naming a red flag is answered by its advice, never a miss."""
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#-])")


def quote_user_text(text: str, limit: int = 80) -> str:
    """Echo member input safely: one line, clipped, markdown escaped."""
    flat = " ".join(text.split())
    return _MARKDOWN.sub(r"\\\1", clip(flat, limit))


def _not_found(names: NameIndex, typed: str, opening: str, usage: str, tip: str) -> Reply:
    """Ephemeral "I don't know that" with the closest entries, each as a ready command."""
    listed = "\n".join(f"• **{names.name(i)}**: `{usage}{i}`" for i in names.suggest(typed))
    closest = f"\nClosest matches:\n{listed}" if listed else ""
    return Reply(content=f"{opening}{closest}\n{tip}", ephemeral=True)


def cue_reply(knowledge: Knowledge, exercise: str) -> Reply:
    names = knowledge.index.exercises
    entry_id = names.resolve(exercise)
    if entry_id is not None:
        return Reply(embed=exercise_embed(knowledge.base, knowledge.base.exercises[entry_id]))
    if not exercise.strip():
        raise UserFacingError("Name an exercise, e.g. `/cue exercise:rows`.")
    return _not_found(
        names,
        exercise,
        f"I don't have cues for “{quote_user_text(exercise)}” yet.",
        "/cue exercise:",
        "Tip: pick a name from the list that appears as you type.",
    )


def why_back_pain_reply(knowledge: Knowledge, situation: str | None) -> Reply:
    base = knowledge.base
    if situation is None or not situation.strip():
        if base.overview is None:
            return Reply(content="No back-pain guidance is loaded right now.", ephemeral=True)
        return Reply(embed=overview_embed(base, base.overview))
    names = knowledge.index.situations
    entry_id = names.resolve(situation)
    if entry_id is not None:
        return Reply(embed=situation_embed(base, base.situations[entry_id]))
    return _not_found(
        names,
        situation,
        f"I don't have a back-pain situation called “{quote_user_text(situation)}”.",
        "/why-back-pain situation:",
        "Run `/why-back-pain` on its own for the overview and every situation.",
    )


_KIND_LABEL = {"exercise": "exercise", "situation": "back pain", "posture": "posture"}


def _hit_field(rank: int, hit: Hit) -> Field:
    doc = hit.document
    lines = []
    if hit.snippet is not None:
        lines.append(clip(f"**{hit.snippet.label}** {hit.snippet.text}", 400))
    if doc.kind == "exercise":
        lines.append(f"Full guide: `/cue exercise:{doc.id}`")
    elif doc.kind == "situation":
        lines.append(f"More: `/why-back-pain situation:{doc.id}`")
    return Field(
        f"{rank}. {doc.title} · {_KIND_LABEL[doc.kind]}",
        clip("\n".join(lines), FIELD_VALUE_LIMIT),
    )


@dataclass(frozen=True, slots=True)
class AskOutcome:
    """How well `/ask` answered, for /coach insights (nothing about who asked)."""

    answered: bool
    """A red flag's advice, or a hit scoring at least `GOOD_MATCH_SCORE`."""
    top: tuple[EntryKind, str] | None
    """The top hit (kind, entry id) when it is a good match: the entry the member opened."""


def ask_reply(knowledge: Knowledge, question: str) -> Reply:
    """The reply to `/ask` (see `ask_answer`)."""
    return ask_answer(knowledge, question)[0]


def ask_answer(knowledge: Knowledge, question: str) -> tuple[Reply, AskOutcome]:
    """The best-matching entries, led by what to do when the question names a red flag.

    A question that names a red-flag symptom is answered with that advice first (urgent
    ones first), before any training tip. Any question about pain, decided by its own
    words, also shows the signs that call for a professional and the not-medical-advice
    note; a technique question gets neither.
    """
    text = question.strip()
    if not text:
        raise UserFacingError(
            "Ask a question in words, e.g. `/ask question:lower back hurts after leg day`."
        )
    if len(text) > ASK_MAX_LENGTH:
        raise UserFacingError(
            f"Your question is {len(text)} characters; keep it to {ASK_MAX_LENGTH} or fewer."
        )
    base, index = knowledge.base, knowledge.index
    words = index.red_flags.question_terms(text)
    flags = index.red_flags.match_terms(words)
    about_pain = bool(flags) or index.red_flags.touches_pain(words)
    hits = index.text.search(text, ASK_RESULTS)
    good = bool(hits) and hits[0].score >= GOOD_MATCH_SCORE
    outcome = AskOutcome(
        answered=good or bool(flags),
        top=(hits[0].document.kind, hits[0].document.id) if good else None,
    )
    shown = " ".join(text.split())
    if not hits and not about_pain:
        some = [e.name for e in list(base.exercises.values())[:4]]
        return Reply(
            content=(
                f"Nothing in the knowledge base matches “{quote_user_text(text)}”.\n"
                "Try naming an exercise ("
                + ", ".join(some)
                + ") or a situation (`lower back after squats`, `slouching at my desk`), "
                "or browse with `/cue` and `/why-back-pain`."
            ),
            ephemeral=True,
        ), outcome
    hit_fields = [_hit_field(n, hit) for n, hit in enumerate(hits, start=1)]
    if not about_pain:
        return Reply(
            embed=EmbedSpec(
                title=clip(f"Best matches for “{shown}”", TITLE_LIMIT),
                fields=tuple(hit_fields),
                footer="Ranked by how well each entry matches your words.",
                colour=ASK_COLOUR,
            )
        ), outcome
    return Reply(embed=_pain_answer(base, shown, flags, hit_fields)), outcome


def _pain_answer(
    base: KnowledgeBase, shown: str, flags: list[RedFlag], hit_fields: list[Field]
) -> EmbedSpec:
    signs = professional_signs(base)
    if flags:
        urgent = flags[0].urgent
        title = "🚨 Get medical help today" if urgent else "⚠️ Please get this checked first"
        description = red_flag_advice(flags)
        if hit_fields:
            description += "\n\nOnly once that is sorted, the closest coaching entries:"
        fields = [*([signs] if signs else []), *hit_fields]
        refs = list(dict.fromkeys(ref for flag in flags for ref in flag.source))
    else:
        title = clip(f"Best matches for “{shown}”", TITLE_LIMIT)
        description = (
            ""
            if hit_fields
            else (
                "Nothing in the knowledge base matches that closely. "
                "`/why-back-pain` lists the situations I know."
            )
        )
        fields = [*hit_fields, *([signs] if signs else [])]
        refs = sorted({ref for flag in base.red_flags.values() for ref in flag.source})
    footer = NOT_MEDICAL_ADVICE + (f"\n{source_line(base, refs)}" if refs else "")
    embed = EmbedSpec(title, description, tuple(fields), footer, PAIN_COLOUR)
    while embed.total_chars() > EMBED_TOTAL_LIMIT and any(f in hit_fields for f in fields):
        # Coaching tips give way first: the advice and the signs always stay.
        fields.pop(max(i for i, f in enumerate(fields) if f in hit_fields))
        embed = EmbedSpec(title, description, tuple(fields), footer, PAIN_COLOUR)
    return embed
