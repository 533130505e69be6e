"""A process's request budget is its shards' share of the global limit, and the
scheduler leases no more rows than that budget sends well within a lease."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Backbone
from bot.config import Settings
from bot.features.knowledge.store import Knowledge, KnowledgeStore
from bot.runtime.pacing import PACE_FRACTION
from bot.runtime.scheduler import BATCH, LEASE, batch_for

SHIPPED = {"KNOWLEDGE_DIR": "knowledge"}


@pytest.mark.parametrize(
    ("budget", "batch"),
    [(50.0, 50), (1000.0, BATCH), (250.0, 250), (12.5, 12), (1.5, 1), (0.05, 1)],
)
def test_batch_follows_the_budget_up_to_batch(budget: float, batch: int) -> None:
    assert batch_for(budget) == batch


@pytest.mark.parametrize("budget", [0.05, 1.0, 12.5, 25.0, 50.0, 100.0, 5000.0])
def test_two_batches_sent_at_two_requests_a_row_fit_in_a_lease(budget: float) -> None:
    """Each row: a DM channel and the message, at the pacer's rate; the next batch is
    leased while one is sent."""
    seconds = 2 * 2 * batch_for(budget) / (budget * PACE_FRACTION)
    assert timedelta(seconds=seconds) < LEASE or batch_for(budget) == 1


@pytest.mark.parametrize(
    ("env", "budget"),
    [
        ({}, 50.0),
        ({"SHARD_COUNT": "4"}, 50.0),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0", "DATABASE_URL": "postgresql://h/db"}, 12.5),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "1-3", "DATABASE_URL": "postgresql://h/db"}, 37.5),
    ],
)
async def test_backbone_paces_and_batches_by_its_share(
    knowledge: Knowledge, env: dict[str, str], budget: float
) -> None:
    settings = Settings.from_mapping({**SHIPPED, **env})
    bot = Backbone(
        settings=settings,
        knowledge=KnowledgeStore(settings.knowledge_dir, knowledge),
        storage=None,  # type: ignore[arg-type]  # nothing here touches it
        sync_on_start=False,
        background_tasks=False,
    )
    async with bot:
        assert bot.pacer.interval == pytest.approx(1 / (budget * PACE_FRACTION))
        assert bot.scheduler.batch == batch_for(budget)
