"""Red flags through the real bot: /ask leads with what to do, however members type it.

Every member phrasing in tests/features/knowledge/phrasings.py (typos and slang
included) goes through `python -m bot run` against the Discord double, as a member's
/ask would.
"""

from __future__ import annotations

import pytest

from bot.features.knowledge.render import NOT_MEDICAL_ADVICE
from tests.e2e.conftest import Live
from tests.e2e.helpers import NO_PINGS, embed_of, run
from tests.features.knowledge.phrasings import (
    EVERYDAY_PAIN_QUESTIONS,
    RED_FLAG_QUESTIONS,
    TECHNIQUE_QUESTIONS,
    URGENT,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIGNS = "When to see a professional"


@pytest.mark.parametrize(
    ("flag", "question"),
    [(flag, q) for flag, questions in RED_FLAG_QUESTIONS.items() for q in questions],
)
async def test_ask_leads_with_the_red_flag_advice(live: Live, flag: str, question: str) -> None:
    reply = await run(live.double, "ask", {"question": question})
    assert reply.callback.status == 200 and reply.type == 4
    assert not reply.ephemeral
    assert reply.data["allowed_mentions"] == NO_PINGS
    embed = embed_of(reply)
    if flag in URGENT:
        assert embed["title"] == "🚨 Get medical help today"
    else:
        assert embed["title"] in ("🚨 Get medical help today", "⚠️ Please get this checked first")
    assert embed["description"].startswith(("🚨 **", "⚠️ **"))
    assert embed["fields"][0]["name"] == SIGNS
    assert NOT_MEDICAL_ADVICE in embed["footer"]["text"]
    assert not live.double.violations


async def test_urgent_advice_says_today(live: Live) -> None:
    reply = await run(live.double, "ask", {"question": "I wet myself after deadlifts"})
    description = embed_of(reply)["description"]
    assert "today" in description.split("\n\n")[0]
    assert "emergency department" in description


@pytest.mark.parametrize("question", TECHNIQUE_QUESTIONS[:5])
async def test_technique_answers_carry_no_warning(live: Live, question: str) -> None:
    embed = embed_of(await run(live.double, "ask", {"question": question}))
    assert embed["title"].startswith("Best matches for")
    assert SIGNS not in [f["name"] for f in embed["fields"]]
    assert NOT_MEDICAL_ADVICE not in embed.get("footer", {}).get("text", "")


@pytest.mark.parametrize("question", EVERYDAY_PAIN_QUESTIONS)
async def test_pain_answers_end_with_the_signs(live: Live, question: str) -> None:
    embed = embed_of(await run(live.double, "ask", {"question": question}))
    assert embed["fields"][-1]["name"] == SIGNS
    assert NOT_MEDICAL_ADVICE in embed["footer"]["text"]
