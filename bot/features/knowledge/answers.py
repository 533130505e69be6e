"""What the knowledge commands reply, as plain `Reply` values.

Cogs and `backbone preview` both call these, so a coach's preview is exactly what
members will see.
"""

from __future__ import annotations

import re

from bot.core.errors import UserFacingError
from bot.core.fuzzy import NameIndex
from bot.core.replies import FIELD_VALUE_LIMIT, EmbedSpec, Field, Reply, clip
from bot.features.knowledge.render import (
    ASK_COLOUR,
    exercise_embed,
    overview_embed,
    situation_embed,
)
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
    text = question.strip()
    if not text:
        raise UserFacingError(
            "Ask a question in words, e.g. `/ask question:lower back hurts after leg day`."
        )
    if len(text) > ASK_MAX_LENGTH:
        raise UserFacingError(
            f"Your question is {len(text)} characters; keep it to {ASK_MAX_LENGTH} or fewer."
        )
    hits = knowledge.index.text.search(text, ASK_RESULTS)
    if not hits:
        some = [e.name for e in list(knowledge.base.exercises.values())[:4]]
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
    return Reply(
        embed=EmbedSpec(
            title=clip(f"Best matches for “{' '.join(text.split())}”", 256),
            fields=tuple(_hit_field(n, hit) for n, hit in enumerate(hits, start=1)),
            footer="Ranked by how well each entry matches your words.",
            colour=ASK_COLOUR,
        )
    )
