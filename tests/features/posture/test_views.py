"""The nudge's buttons: what the scheduler sends is what the view would render."""

from __future__ import annotations

import gc

import pytest

from bot.features.posture.views import nudge_components, nudge_view


@pytest.mark.parametrize("topic_id", ["notice-your-posture", None])
async def test_nudge_components_are_the_views_own(topic_id: str | None) -> None:
    user_id = 10**18 + 7
    assert nudge_components(user_id, topic_id) == nudge_view(user_id, topic_id).to_components()


def test_nudge_components_leave_nothing_for_the_collector() -> None:
    gc.collect()
    gc.disable()
    try:
        for user_id in range(100):
            nudge_components(user_id, "notice-your-posture")
        assert gc.collect() == 0
    finally:
        gc.enable()
