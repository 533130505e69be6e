"""E2E fixtures: the loopback Discord double and the real bot process started against it.

The double and `BotProcess` live in the top-level `discord_double` package, which the
benchmarks share. Every async fixture here lives on the module's event loop, so every
e2e test module declares `pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from discord_double import DiscordDouble
from discord_double.process import BotProcess, assert_clean_shutdown
from tests.postgres import fresh_database

E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: the real bot process against the loopback Discord double"
    )
    config.addinivalue_line(
        "markers", "double(**settings): keyword arguments for this test's DiscordDouble"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class Live:
    """A double with a bot connected to it."""

    double: DiscordDouble
    bot: BotProcess


@pytest_asyncio.fixture(loop_scope="module")
async def double(request: pytest.FixtureRequest) -> AsyncIterator[DiscordDouble]:
    """A fresh double per test; configure it with `@pytest.mark.double(key=value, ...)`."""
    marker = request.node.get_closest_marker("double")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    async with DiscordDouble(**settings) as instance:
        yield instance


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database the bot runs on. A module runs every test on both backends by asking
    for it: `pytestmark = [..., pytest.mark.usefixtures("backend")]`; the others use SQLite."""
    return str(request.param)


def database_url_for(backend: str) -> str | None:
    """A new, empty PostgreSQL database on the run's throwaway server, or None for SQLite."""
    return fresh_database(migrated=False) if backend == "postgres" else None


def backend_of(request: pytest.FixtureRequest) -> str:
    callspec = getattr(request.node, "callspec", None)
    return str(callspec.params.get("backend", "sqlite")) if callspec else "sqlite"


LaunchBot = Callable[..., Awaitable[BotProcess]]


@pytest_asyncio.fixture(loop_scope="module")
async def bot_process(
    request: pytest.FixtureRequest, tmp_path: Path, double: DiscordDouble
) -> AsyncIterator[LaunchBot]:
    """Factory: `bot = await bot_process(...)` starts a bot against `double` (waits for READY),
    on the test's backend."""
    started: list[BotProcess] = []
    backend = backend_of(request)

    async def launch(*, wait_ready: bool = True, **kwargs: Any) -> BotProcess:
        name = kwargs.pop("name", f"bot{len(started) + 1}")
        kwargs.setdefault("database_url", database_url_for(backend))
        bot = BotProcess(double, tmp_path / name, name=name, **kwargs)
        started.append(bot)
        await bot.start(wait_ready=wait_ready)
        return bot

    yield launch
    for bot in started:
        await bot.stop()
    for bot in started:
        print(f"{bot.name} logs: {[str(p) for run in bot.runs for p in run]}")
        assert_clean_shutdown(bot)


@contextlib.asynccontextmanager
async def live_bot(
    workdir: Path, *, backend: str = "sqlite", **double_settings: Any
) -> AsyncIterator[Live]:
    """A double (with `double_settings`) and one bot connected to it, checked on the way out:
    a clean SIGTERM exit, no token in the logs, and no violation of Discord's rules.
    """
    async with DiscordDouble(**double_settings) as shared:
        bot = BotProcess(shared, workdir, name="live-bot", database_url=database_url_for(backend))
        try:
            await bot.start()
            yield Live(shared, bot)
        finally:
            code = await bot.stop()
        assert code == 0, f"the bot did not shut down cleanly on SIGTERM:\n{bot.log_tail()}"
        assert_clean_shutdown(bot)
        assert not shared.violations, "\n".join(map(str, shared.violations))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """One double and one bot shared by a module's read-only tests."""
    async with live_bot(tmp_path_factory.mktemp("live")) as shared:
        yield shared
