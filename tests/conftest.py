"""Shared fixtures: the shipped knowledge base, a writer for throwaway YAML trees, and a
real Backbone instance with every feature loaded and a real SQLite file, but no network."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.app import EXTENSIONS, Backbone
from bot.config import Settings
from bot.features.knowledge.store import Knowledge, KnowledgeStore
from bot.storage.sqlite import SqliteStorage
from tests import postgres

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"

WriteFiles = Callable[[dict[str, str]], Path]


@pytest.fixture(scope="session", autouse=True)
def _throwaway_postgres() -> Iterator[None]:
    """Remove the run's PostgreSQL cluster (if a test started one) when the run ends."""
    yield
    postgres.stop()


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The knowledge base the repository ships, loaded and indexed once per test run."""
    return Knowledge.load(SHIPPED_KNOWLEDGE)


@pytest.fixture
def write_files(tmp_path: Path) -> WriteFiles:
    """Write `{relative path: yaml text}` (dedented) under a fresh folder; return the folder."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "knowledge"
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


MINIMAL_SOURCES = """
sources:
  - id: coach
    title: Standard coaching cues
    kind: coaching practice
"""

MINIMAL_EXERCISE = """
exercises:
  - id: barbell-row
    name: Barbell row
    aliases: [rows]
    pattern: horizontal pull
    muscles: [lats]
    trains: Back thickness.
    setup: [Hinge over the bar.]
    cues: [Pull to the ribs.]
    mistakes:
      - mistake: Heaving
        fix: Use less weight.
    feel_it: Mid-back.
    source: [coach]
"""


@pytest.fixture
async def bot(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Backbone]:
    settings = Settings.from_mapping(
        {"DATABASE_PATH": str(tmp_path / "backbone.db"), "KNOWLEDGE_DIR": str(SHIPPED_KNOWLEDGE)}
    )
    storage = await SqliteStorage.open(settings.database_path)
    instance = Backbone(
        settings=settings,
        knowledge=KnowledgeStore(settings.knowledge_dir, knowledge),
        storage=storage,
        sync_on_start=False,
        background_tasks=False,
    )
    try:
        # `async with` sets the client up without logging in (an AutoShardedBot cannot
        # close otherwise) and closes it on the way out.
        async with instance:
            for extension in EXTENSIONS:
                await instance.load_extension(extension)
            yield instance
    finally:
        await storage.close()
