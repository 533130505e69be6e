"""Every shipped entry, and every reply the knowledge commands build, fits Discord's limits."""

from __future__ import annotations

import pytest

from bot.core.replies import CONTENT_LIMIT, EmbedSpec, Field, Reply, to_text
from bot.features.help.replies import help_reply
from bot.features.knowledge.answers import ask_reply, cue_reply, why_back_pain_reply
from bot.features.knowledge.render import (
    NOT_MEDICAL_ADVICE,
    exercise_embed,
    overview_embed,
    situation_embed,
)
from bot.features.knowledge.store import Knowledge


def assert_fits(reply: Reply) -> None:
    if reply.content is not None:
        assert 0 < len(reply.content) <= CONTENT_LIMIT
    if reply.embed is not None:
        assert reply.embed.limit_problems() == []


def test_every_exercise_renders_within_limits(knowledge: Knowledge) -> None:
    for exercise in knowledge.base.exercises.values():
        embed = exercise_embed(knowledge.base, exercise)
        assert embed.limit_problems() == [], exercise.id
        names = [f.name for f in embed.fields]
        assert names[:2] == ["Setup", "Cues"]
        assert any(n.startswith("✗ ") for n in names)
        assert "Where you should feel it" in names
        assert embed.footer.startswith("Source: ")


def test_every_situation_carries_professional_signs_and_disclaimer(knowledge: Knowledge) -> None:
    for situation in knowledge.base.situations.values():
        embed = situation_embed(knowledge.base, situation)
        assert embed.limit_problems() == [], situation.id
        assert "When to see a professional" in [f.name for f in embed.fields]
        assert NOT_MEDICAL_ADVICE in embed.footer


def test_overview_lists_every_situation(knowledge: Knowledge) -> None:
    assert knowledge.base.overview is not None
    embed = overview_embed(knowledge.base, knowledge.base.overview)
    assert embed.limit_problems() == []
    listing = next(f.value for f in embed.fields if f.name == "Pick a situation")
    for situation_id in knowledge.base.situations:
        assert f"situation:{situation_id}" in listing
    assert NOT_MEDICAL_ADVICE in embed.footer


@pytest.mark.parametrize(
    "question",
    [
        "lower back hurts after leg day",
        "how do I stop slouching at my desk",
        "back " * 40,
        "row " * 50,
        "x",
    ],
)
def test_ask_replies_fit(knowledge: Knowledge, question: str) -> None:
    assert_fits(ask_reply(knowledge, question[:200]))


@pytest.mark.parametrize("name", ["rows", "nope", "@everyone", "*" * 100, "`code` **bold**"])
def test_cue_replies_fit(knowledge: Knowledge, name: str) -> None:
    assert_fits(cue_reply(knowledge, name))


def test_user_text_is_escaped_in_not_found(knowledge: Knowledge) -> None:
    reply = cue_reply(knowledge, "**bold** `x`")
    assert reply.ephemeral
    assert reply.content is not None
    assert "\\*\\*bold\\*\\*" in reply.content


@pytest.mark.parametrize("situation", [None, "", "after-squats", "leg day", "unknown thing"])
def test_why_back_pain_replies_fit(knowledge: Knowledge, situation: str | None) -> None:
    assert_fits(why_back_pain_reply(knowledge, situation))


def test_help_fits_even_with_many_commands() -> None:
    listing = [(f"command-{n}", "d" * 100) for n in range(40)]
    assert_fits(help_reply(listing))


def test_limit_problems_name_the_offending_part() -> None:
    embed = EmbedSpec(
        title="t" * 300,
        fields=tuple(Field(f"f{n}", "v" * 1025) for n in range(26)),
    )
    problems = " | ".join(embed.limit_problems())
    assert "title is 300 characters" in problems
    assert "26 fields" in problems
    assert "field 'f0' is 1,025 characters" in problems
    assert "over Discord's 6,000" in problems


def test_text_rendering_shows_everything(knowledge: Knowledge) -> None:
    text = to_text(cue_reply(knowledge, "rows"))
    assert "Barbell row" in text
    assert "Setup" in text and "Cues" in text and "Source:" in text
    assert "**" not in text
    assert to_text(cue_reply(knowledge, "nope")).startswith("(only the member who asked")
