"""Start the real bot process (`python -m bot run`) against the Discord double.

Shared by the end-to-end tests and the benchmarks. The bot runs the way a user starts
it, from an empty working directory (no `.env`) with a clean environment: only
DISCORD_TOKEN, DISCORD_API_BASE_URL (the double), DATABASE_PATH, KNOWLEDGE_DIR and
LOG_LEVEL, plus what a test passes (`env=`: SHARD_COUNT, DATABASE_URL...). The one
addition is `gateway_shim/` on PYTHONPATH; see its docstring for why discord.py needs it.
"""

# The helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import parse_shard_ids
from discord_double.server import DiscordDouble

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"
SHIM_DIR = Path(__file__).resolve().parent / "gateway_shim"
BOT_VARIABLES = (
    "DATABASE_PATH",
    "DATABASE_URL",
    "KNOWLEDGE_DIR",
    "LOG_LEVEL",
    "DEV_GUILD_ID",
    "SHARD_COUNT",
    "SHARD_IDS",
    "PYTHONPATH",
)
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class BotProcess:
    """One bot installation (working directory + database) that can be started repeatedly.

    `argv` follows the interpreter: `python -m bot run` unless a benchmark starts another bot.
    """

    def __init__(
        self,
        double: DiscordDouble,
        workdir: Path,
        *,
        token: str | None = None,
        env: dict[str, str] | None = None,
        database_url: str | None = None,
        log_level: str = "DEBUG",
        name: str = "bot",
        argv: Sequence[str] = ("-m", "bot", "run"),
    ) -> None:
        self.double = double
        self.workdir = workdir
        self.cwd = workdir / "cwd"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.db_path = workdir / "data" / "backbone.db"
        self.database_url = database_url
        """PostgreSQL instead of the SQLite file at `db_path`, when set."""
        self.token = token if token is not None else double.token
        self.extra_env = dict(env or {})
        self.log_level = log_level
        self.name = name
        self.argv = tuple(argv)
        self.proc: asyncio.subprocess.Process | None = None
        self.runs: list[tuple[Path, Path]] = []
        self.exit_codes: list[int] = []

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DISCORD_", "BACKBONE_")) and k not in BOT_VARIABLES
        }
        env.update(
            DISCORD_TOKEN=self.token,
            DISCORD_API_BASE_URL=self.double.api_base_url,
            DATABASE_PATH=str(self.db_path),
            KNOWLEDGE_DIR=str(SHIPPED_KNOWLEDGE),
            LOG_LEVEL=self.log_level,
            PYTHONIOENCODING="utf-8",
            PYTHONPATH=os.pathsep.join([str(SHIM_DIR), str(REPO_ROOT)]),
            BACKBONE_E2E_DEFAULT_GATEWAY=self.double.tripwire_url,
        )
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, *, wait_ready: bool = True, timeout: float = READY_TIMEOUT) -> None:
        assert not self.running, "already running"
        n = len(self.runs) + 1
        out = self.workdir / f"{self.name}-{n}.stdout.log"
        err = self.workdir / f"{self.name}-{n}.stderr.log"
        self.runs.append((out, err))
        before = len(self.double.ready_shards)
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *self.argv,
                cwd=self.cwd,
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        if wait_ready:
            await self.wait_ready(before, timeout=timeout)

    def shards(self) -> set[int]:
        """The shards this bot runs: SHARD_IDS, else all SHARD_COUNT, else all the double
        recommends (what the bot does without SHARD_COUNT)."""
        env = self.environment()
        if env.get("SHARD_IDS"):
            return set(parse_shard_ids(env["SHARD_IDS"]))
        count = int(env.get("SHARD_COUNT") or self.double.recommended_shards)
        return set(range(count))

    async def wait_ready(self, since: int, timeout: float = READY_TIMEOUT) -> None:
        """Wait until the double has sent READY to every shard of this bot after its
        `since`-th READY (or the bot died)."""
        proc = self.proc
        assert proc is not None
        shards = self.shards()
        try:
            await self.double.wait_until(
                lambda: (
                    proc.returncode is not None or shards <= set(self.double.ready_shards[since:])
                ),
                timeout,
                f"{self.name} to connect and receive READY on shards {sorted(shards)}",
            )
        except TimeoutError:
            raise AssertionError(f"{self.name} never got READY:\n{self.log_tail()}") from None
        if proc.returncode is not None:
            raise AssertionError(
                f"{self.name} exited with {proc.returncode} before READY:\n{self.log_tail()}"
            )

    async def wait_exit(self, timeout: float = READY_TIMEOUT) -> int:
        assert self.proc is not None
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} still running after {timeout}s:\n{self.log_tail()}"
            ) from None
        self.exit_codes.append(code)
        return code

    async def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await asyncio.wait_for(proc.wait(), timeout)
            self.exit_codes.append(proc.returncode)  # type: ignore[arg-type]
        return proc.returncode

    async def restart(self, *, timeout: float = READY_TIMEOUT) -> int | None:
        """Stop (gracefully) and start again with the same DATABASE_PATH; returns the old status."""
        code = await self.stop()
        await self.start(timeout=timeout)
        return code

    def stdout(self, run: int = -1) -> str:
        return self.runs[run][0].read_text(encoding="utf-8", errors="replace")

    def stderr(self, run: int = -1) -> str:
        return self.runs[run][1].read_text(encoding="utf-8", errors="replace")

    def all_output(self) -> str:
        return "".join(self.stdout(i) + self.stderr(i) for i in range(len(self.runs)))

    def log_tail(self, lines: int = 40) -> str:
        if not self.runs:
            return "(never started)"
        text = (self.stdout() + self.stderr()).splitlines()
        return "\n".join(text[-lines:]) + f"\n(logs: {self.runs[-1][1]})"


def assert_clean_shutdown(bot: BotProcess) -> None:
    """Nothing the bot ever printed contains its token; it never dialled the real gateway."""
    output = bot.all_output()
    assert bot.token not in output, f"{bot.name} printed its token"
    assert not bot.double.tripwire_hits, "the bot dialled discord.py's built-in gateway"
