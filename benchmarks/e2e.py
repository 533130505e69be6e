"""End-to-end interaction latency of the real bot process, against a discord.py floor.

Latency is measured by the loopback Discord double (tests/e2e/discord_double.py) on its
own monotonic clock: from writing INTERACTION_CREATE to the gateway socket to the bot's
interaction callback request arriving. Both bots are real processes started the same
way, each against its own double:

* backbone: `python -m bot run` (knowledge base, SQLite, error handler, real replies);
* floor: `benchmarks/e2e_floor_bot.py`, a minimal discord.py bot answering a constant.

The ratio backbone/floor is what Backbone adds on top of discord.py, the double and the
loopback. Runs alternate between the two bots in rounds so drifting machine load hits
both alike. In-flight 100 keeps 100 interactions outstanding at all times.

    python -m benchmarks.e2e [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, percentiles, print_table, write_results
from discord_double import DiscordDouble
from discord_double.process import BotProcess

FLOOR_SCRIPT = Path(__file__).resolve().parent / "e2e_floor_bot.py"


@dataclass(frozen=True)
class Case:
    command: str
    options: Mapping[str, str] = field(default_factory=dict)
    subcommand: str | None = None
    fresh_user: bool = False
    """Each interaction from a new member (a back day logs once per member and day)."""


CASES: dict[str, Case] = {
    "cue": Case("cue", {"exercise": "rows"}),
    "ask": Case("ask", {"question": "lower back hurts after leg day"}),
    "backday log": Case("backday", subcommand="log", fresh_user=True),
    # Read after the logs above: a board of a few hundred (quick) to a few thousand members.
    "leaderboard": Case("leaderboard"),
}
IN_FLIGHT = (1, 100)
ROUNDS = 5
WARMUP = 20
RESPONSE_TIMEOUT = 30.0


class Target:
    """One bot process with its own double."""

    def __init__(self, name: str, double: DiscordDouble, bot: BotProcess) -> None:
        self.name = name
        self.double = double
        self.bot = bot
        self.failures: list[str] = []

    async def one(self, name: str) -> int | None:
        case = CASES[name]
        user = None
        if case.fresh_user:
            user = self.double.make_user(f"member-{len(self.double.users)}")
        handle = await self.double.slash(
            case.command, case.options, subcommand=case.subcommand, user=user
        )
        reply = await handle.response(timeout=RESPONSE_TIMEOUT, settle=0.0)
        if reply.callback.status != 200 or reply.type != 4 or reply.ephemeral:
            # A public reply: an ephemeral one here is a refusal (e.g. "already logged").
            self.failures.append(f"/{name}: {reply.callback.status} {reply.callback.response}")
            return None
        return int(reply.latency * 1e9)

    async def run(self, command: str, in_flight: int, total: int) -> list[int]:
        samples: list[int] = []
        per_worker = max(1, total // in_flight)

        async def worker() -> None:
            for _ in range(per_worker):
                ns = await self.one(command)
                if ns is not None:
                    samples.append(ns)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return samples


async def start_target(name: str, workdir: Path, argv: Sequence[str]) -> Target:
    double = await DiscordDouble().start()
    # Both find the gateway through the double's GET /gateway/bot, as Backbone does.
    bot = BotProcess(double, workdir / name, name=name, argv=argv, log_level="INFO")
    await bot.start()
    target = Target(name, double, bot)
    for command in CASES:
        for _ in range(WARMUP):
            await target.one(command)
    return target


async def stop_target(target: Target) -> int | None:
    with contextlib.suppress(Exception):
        return await target.bot.stop()
    return None


def quiet_heap() -> None:
    """Collect, then freeze what survives, before each measured batch.

    Both doubles run in this process and keep every request they receive, so its heap
    grows all run long; a full collection of it landing inside a batch stalled the
    measuring side for 100-200 ms and was charged to whichever bot was being measured.
    """
    gc.collect()
    gc.freeze()


async def bench(quick: bool) -> dict[str, Any]:
    totals = {1: 40 if quick else 200, 100: 200 if quick else 1000}
    started = time.perf_counter()
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="backbone-e2e-bench-") as tmp:
        targets = [
            await start_target("floor", Path(tmp), [str(FLOOR_SCRIPT)]),
            await start_target("backbone", Path(tmp), ["-m", "bot", "run"]),
        ]
        try:
            samples: dict[tuple[str, str, int], list[int]] = {}
            for command in CASES:
                for in_flight in IN_FLIGHT:
                    for _ in range(ROUNDS):
                        for target in targets:
                            quiet_heap()
                            got = await target.run(command, in_flight, totals[in_flight] // ROUNDS)
                            samples.setdefault((target.name, command, in_flight), []).extend(got)
            violations = {t.name: [str(v) for v in t.double.violations] for t in targets}
            failures = {t.name: t.failures for t in targets}
        finally:
            exit_codes = {t.name: await stop_target(t) for t in targets}
            for t in targets:
                await t.double.stop()

    cases = []
    for command in CASES:
        for in_flight in IN_FLIGHT:
            floor = percentiles(samples[("floor", command, in_flight)])
            backbone = percentiles(samples[("backbone", command, in_flight)])
            cases.append(
                {
                    "command": f"/{command}",
                    "in_flight": in_flight,
                    "n": len(samples[("backbone", command, in_flight)]),
                    "backbone_ms": backbone,
                    "floor_ms": floor,
                    "ratio_p50": backbone["p50"] / floor["p50"],
                    "ratio_p99": backbone["p99"] / floor["p99"],
                }
            )
    return {
        "what": "ms from INTERACTION_CREATE written to the gateway to the callback request "
        "arriving at the double (double's monotonic clock)",
        "quick": quick,
        "rounds": ROUNDS,
        "warmup_per_command": WARMUP,
        "cases": cases,
        "violations": violations,
        "failures": failures,
        "exit_codes": exit_codes,
        "load_average_at_start": load_at_start,
        "duration_s": time.perf_counter() - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.e2e", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples, for smoke runs")
    args = parser.parse_args(argv)
    results = asyncio.run(bench(args.quick))
    print(
        f"End-to-end latency{' (quick)' if args.quick else ''}: INTERACTION_CREATE -> callback, ms"
    )
    print_table(
        [
            {
                "command": c["command"],
                "in_flight": c["in_flight"],
                "n": c["n"],
                "p50": c["backbone_ms"]["p50"],
                "p99": c["backbone_ms"]["p99"],
                "floor_p50": c["floor_ms"]["p50"],
                "floor_p99": c["floor_ms"]["p99"],
                "x_p50": c["ratio_p50"],
                "x_p99": c["ratio_p99"],
            }
            for c in results["cases"]
        ],
        ["command", "in_flight", "n", "p50", "p99", "floor_p50", "floor_p99", "x_p50", "x_p99"],
    )
    problems = [p for name in results["failures"] for p in results["failures"][name]]
    problems += [v for name in results["violations"] for v in results["violations"][name]]
    for problem in problems[:10]:
        print(f"problem: {problem}")
    path = write_results("e2e", results)
    print(f"wrote {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
