"""A real Backbone instance with its cogs loaded and a real SQLite file, but no network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import EXTENSIONS, Backbone
from bot.config import Settings
from bot.knowledge.store import Knowledge, KnowledgeStore
from bot.storage.database import Database
from tests.conftest import SHIPPED_KNOWLEDGE


@pytest.fixture
async def bot(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Backbone]:
    settings = Settings.from_mapping(
        {"DATABASE_PATH": str(tmp_path / "backbone.db"), "KNOWLEDGE_DIR": str(SHIPPED_KNOWLEDGE)}
    )
    db = await Database.open(settings.database_path)
    instance = Backbone(
        settings=settings,
        knowledge=KnowledgeStore(settings.knowledge_dir, knowledge),
        db=db,
        sync_on_start=False,
        background_tasks=False,
    )
    for extension in EXTENSIONS:
        await instance.load_extension(extension)
    try:
        yield instance
    finally:
        await instance.close()
        await db.close()
