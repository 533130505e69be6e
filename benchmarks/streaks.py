"""Streak storage at scale: 100,000 members and 2,000,000 back-day logs in one server.

Measures, through the same `StreakService` the cogs call, the latency of
`/backday log` (insert plus streak recomputation), `/streak` and one `/leaderboard`
page (expiry sweep, count, page, the caller's own rank), and prints the database size
and the query plans that show no query scans all members.

    python -m benchmarks streaks [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import percentiles, pin_to_one_core, print_table, write_results
from bot.features.streaks.rules import streak_expires_at, streak_stats
from bot.features.streaks.service import StreakService
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from bot.storage.streaks import Standing

GUILD = 1
TARGET_MS = 5.0
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
SEED = 7


def populate(path: Path, members: int, logs: int) -> float:
    """Write logs and the matching streak rows with plain sqlite3 (set-up, not measured)."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    today = NOW.date()
    zone = ZoneInfo("UTC")
    per_member = logs // members
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        for first in range(1, members + 1, 5000):
            log_rows: list[tuple[Any, ...]] = []
            stat_rows: list[tuple[Any, ...]] = []
            for user in range(first, min(first + 5000, members + 1)):
                # Active members log recently and often; others drifted away long ago.
                span = rng.choice((90, 180, 365, 730))
                ended = 0 if rng.random() < 0.6 else rng.randint(14, 300)
                days = sorted(
                    {today - timedelta(days=ended + rng.randrange(span)) for _ in range(per_member)}
                )
                log_rows += [(GUILD, user, d.isoformat(), None, NOW.isoformat()) for d in days]
                stats = streak_stats(days, today, 1)
                expires = streak_expires_at(stats.lapses_on, zone)
                stat_rows.append(
                    (
                        GUILD,
                        user,
                        stats.current,
                        stats.best,
                        stats.total,
                        expires.isoformat() if expires else None,
                    )
                )
            conn.executemany("INSERT INTO backday_logs VALUES (?, ?, ?, ?, ?)", log_rows)
            conn.executemany("INSERT INTO member_stats VALUES (?, ?, ?, ?, ?, ?)", stat_rows)
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def measure(name: str, calls: Sequence[Callable[[], Awaitable[object]]]) -> dict[str, Any]:
    samples: list[int] = []
    for call in calls:
        start = time.perf_counter_ns()
        await call()
        samples.append(time.perf_counter_ns() - start)
    figures = percentiles(samples)
    return {
        "operation": name,
        "n": len(samples),
        **{f"{k}_ms": v for k, v in figures.items()},
        "target_p99_ms": TARGET_MS,
        "passed": figures["p99"] < TARGET_MS,
    }


QUERIES = {
    "first page": (
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ?"
        " ORDER BY current_streak DESC, best_streak DESC, total_days DESC, user_id DESC"
        " LIMIT 10",
        (GUILD,),
    ),
    "next page (keyset)": (
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ? AND (current_streak, best_streak, total_days, user_id) < (?, ?, ?, ?)"
        " ORDER BY current_streak DESC, best_streak DESC, total_days DESC, user_id DESC LIMIT 10",
        (GUILD, 0, 3, 12, 5000),
    ),
    "caller's rank": (
        "SELECT COALESCE(SUM(members), 0) FROM standing_counts WHERE guild_id = ?"
        " AND (current_streak, best_streak, total_days) > (?, ?, ?)",
        (GUILD, 3, 5, 20),
    ),
    "expiry sweep": (
        "UPDATE member_stats SET current_streak = 0, expires_at = NULL"
        " WHERE expires_at IS NOT NULL AND expires_at <= ?",
        (NOW.isoformat(),),
    ),
    "member's logs": (
        "SELECT day FROM backday_logs WHERE guild_id = ? AND user_id = ? ORDER BY day",
        (GUILD, 42),
    ),
}


def query_plans(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        return {
            name: [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            for name, (sql, params) in QUERIES.items()
        }
    finally:
        conn.close()


async def bench(path: Path, members: int, samples: int) -> list[dict[str, Any]]:
    db = await Database.open(path)
    clock_now = [NOW]
    service = StreakService(SqliteStorage(db), clock=lambda: clock_now[0])
    rng = random.Random(SEED + 1)
    try:
        loggers = rng.sample(range(1, members + 1), samples)
        viewers = [rng.randint(1, members) for _ in range(samples)]
        edges = await _random_standings(db, samples)
        await service.expire()  # the first sweep after loading is a one-off catch-up
        return [
            await measure(
                "/backday log", [lambda u=u: service.log(GUILD, u, "today") for u in loggers]
            ),
            await measure("/streak", [lambda u=u: service.stats(GUILD, u) for u in viewers]),
            await measure(
                "/leaderboard first page",
                [lambda u=u: service.leaderboard(GUILD, u, 10) for u in viewers],
            ),
            await measure(
                "leaderboard button (any page)",
                [
                    lambda u=u, e=e: service.leaderboard(GUILD, u, 10, page=1, after=e)
                    for u, e in zip(viewers, edges, strict=True)
                ],
            ),
        ]
    finally:
        await db.close()


async def _random_standings(db: Database, count: int) -> list[Standing]:
    """Edge rows of random pages, as a Next button anywhere on the board carries them."""
    async with db.conn.execute(
        "SELECT user_id, current_streak, best_streak, total_days FROM member_stats"
        " WHERE guild_id = ? ORDER BY random() LIMIT ?",
        (GUILD, count),
    ) as cursor:
        return [Standing(*row) for row in await cursor.fetchall()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks streaks")
    parser.add_argument("--quick", action="store_true", help="10,000 members, fewer samples")
    parser.add_argument(
        "--all-cores", action="store_true", help="do not pin the measurement to one core"
    )
    args = parser.parse_args(argv)
    members, logs, samples = (10_000, 200_000, 300) if args.quick else (100_000, 2_000_000, 2000)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backbone.db"
        asyncio.run(_create_schema(path))
        build_s = populate(path, members, logs)
        # The target is per core: the event loop and the database thread share one.
        cores = None if args.all_cores else pin_to_one_core()
        rows = asyncio.run(bench(path, members, samples))
        plans = query_plans(path)
        with sqlite3.connect(path) as conn:
            log_count = conn.execute("SELECT COUNT(*) FROM backday_logs").fetchone()[0]
            distinct = conn.execute("SELECT COUNT(*) FROM standing_counts").fetchone()[0]
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())

    print(f"Streak storage: {members:,} members, {log_count:,} logs in one server")
    print(f"Measured on {'all cores' if cores is None else f'one core (CPU {cores})'}")
    print_table(
        rows, ["operation", "n", "p50_ms", "p90_ms", "p99_ms", "max_ms", "target_p99_ms", "passed"]
    )
    print(f"\nDatabase size: {size / 1e6:.1f} MB (built in {build_s:.1f} s)")
    print(f"Distinct standings (rows summed for a rank): {distinct:,}")
    for name, plan in plans.items():
        print(f"Query plan, {name}: {' | '.join(plan)}")
    missed = [r["operation"] for r in rows if not r["passed"]]
    path_written = write_results(
        "streaks",
        {
            "members": members,
            "logs": log_count,
            "database_bytes": size,
            "distinct_standings": distinct,
            "build_seconds": build_s,
            "pinned_cpu": cores,
            "operations": rows,
            "query_plans": plans,
            "missed": missed,
        },
    )
    print(f"Results written to {path_written}")
    print("Targets missed: " + (", ".join(missed) if missed else "none, every target met"))
    return 0


async def _create_schema(path: Path) -> None:
    """An empty database built by the real migrations."""
    db = await Database.open(path)
    await db.close()


if __name__ == "__main__":
    raise SystemExit(main())
