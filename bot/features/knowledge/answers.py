"""What the knowledge commands reply, as plain `Reply` values.

Cogs and `backbone preview` both call these, so a coach's preview is exactly what
members will see.
"""

from __future__ import annotations

import re

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
from bot.features.knowledge.search import Hit
from bot.features.knowledge.store import Knowledge

ASK_MAX_LENGTH = 200
ASK_RESULTS = 5
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


def ask_reply(knowledge: Knowledge, question: str) -> Reply:
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
        )
    hit_fields = [_hit_field(n, hit) for n, hit in enumerate(hits, start=1)]
    if not about_pain:
        return Reply(
            embed=EmbedSpec(
                title=clip(f"Best matches for “{shown}”", TITLE_LIMIT),
                fields=tuple(hit_fields),
                footer="Ranked by how well each entry matches your words.",
                colour=ASK_COLOUR,
            )
        )
    return Reply(embed=_pain_answer(base, shown, flags, hit_fields))


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
