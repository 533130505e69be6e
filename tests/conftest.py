"""Shared fixtures: the shipped knowledge base and a writer for throwaway YAML trees."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.knowledge.store import Knowledge

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"

WriteFiles = Callable[[dict[str, str]], Path]


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
