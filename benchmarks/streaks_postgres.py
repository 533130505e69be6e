"""Streak storage on PostgreSQL: 100,000 members with 2,000,000 back-day logs in one
server, the database on this machine.

The data is the streak benchmark's (`benchmarks.streaks`): built in a SQLite file, then
copied into a new PostgreSQL database by `backbone migrate-db`'s own copy (its time is
reported: what a server moving over would wait). The same operations are then measured
through the same `StreakService` over `PostgresStorage`: `/backday log` (with every
trigger that keeps the boards), `/streak`, and the first page and a page button of every
leaderboard. Target: p99 under 5 ms each.

The server is a throwaway cluster started for the run with PostgreSQL's crash-safe
defaults (fsync on), as a deployment would run it; the tests' cluster turns fsync off.
The bot's own connections commit without waiting for the disk (`synchronous_commit =
off`, the SQLite backend's durability), as in production.

Query plans: one traced pass runs each operation with `auto_explain` on (nested
statements included, so the trigger functions' statements are there too); a sequential
scan of a table bigger than `SMALL_TABLE` rows is reported as a problem.

    python -m benchmarks streaks_postgres [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from benchmarks.common import load_average, print_table, write_results
from benchmarks.streaks import (
    BOARDS,
    GUILD,
    MONTH,
    NOW,
    SIZES,
    _operations,
    _schema_at,
    _upgrade,
    edges_query,
    hide_some,
    measure,
    populate,
)
from bot.features.streaks.service import StreakService
from bot.storage.postgres import PostgresStorage
from bot.storage.postgres.import_sqlite import copy_into_postgres
from bot.storage.streaks import BoardRow
from throwaway_postgres import Cluster

TARGET_MS = 5.0
SMALL_TABLE = 10_000
"""A sequential scan of a table this small can be the planner's best choice."""
TRACE_OPTIONS = (
    "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0"
    " -c auto_explain.log_nested_statements=on"
)


async def _edges(url: str, board: str, count: int) -> list[BoardRow]:
    """Edge rows of random pages of a board, as a page button anywhere on it carries."""
    sql, params = edges_query(board, count)
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(sql.replace("?", "%s").encode(), params)
        return [BoardRow(*row) for row in await cursor.fetchall()]


async def bench(url: str, members: int, samples: int) -> list[dict[str, Any]]:
    storage = await PostgresStorage.open(url)
    service = StreakService(storage, clock=lambda: NOW)
    try:
        edges = {board: await _edges(url, board, samples) for board in BOARDS}
        await service.expire()  # the first sweep after loading is a one-off catch-up
        rows = []
        for name, calls in _operations(service, members, samples, edges):
            row = await measure(name, calls)
            row["target_p99_ms"] = TARGET_MS
            row["passed"] = row["p99_ms"] < TARGET_MS
            rows.append(row)
        return rows
    finally:
        await storage.close()


async def traced_pass(url: str, members: int) -> None:
    """One call of each measured operation on a connection with auto_explain on."""
    traced = f"{url}&options={quote(TRACE_OPTIONS)}"
    storage = await PostgresStorage.open(traced)
    service = StreakService(storage, clock=lambda: NOW)
    try:
        edges = {board: await _edges(url, board, 1) for board in BOARDS}
        user = members // 2
        await service.log(GUILD, user, "yesterday")
        await service.undo(GUILD, user)
        await service.stats(GUILD, user)
        for board in BOARDS:
            month = MONTH if board == "month" else None
            (edge,) = edges[board]
            await service.leaderboard(GUILD, user, 10, board=board)
            await service.leaderboard(GUILD, user, 10, board=board, after=edge, month=month)
            await service.leaderboard(GUILD, user, 10, board=board, before=edge, month=month)
    finally:
        await storage.close()


_ENTRY = re.compile(r"LOG:\s+duration: [\d.]+ ms\s+plan:\n\s*Query Text: (.*?)(?=\n\S|\Z)", re.S)


def logged_plans(log: str, sizes: dict[str, int]) -> list[dict[str, Any]]:
    """Each distinct statement auto_explain logged, with its plan and any big scan."""
    plans: dict[str, dict[str, Any]] = {}
    for match in _ENTRY.finditer(log):
        text, _, plan = match.group(1).partition("\n")
        sql = " ".join(text.split())
        if sql.startswith(("BEGIN", "COMMIT", "ROLLBACK")) or sql in plans:
            continue
        lines = [line.strip() for line in plan.splitlines() if line.strip()]
        problems = [
            line
            for line in lines
            if (scan := re.search(r"Seq Scan on (\w+)", line))
            and sizes.get(scan.group(1), 0) > SMALL_TABLE
        ]
        plans[sql] = {"sql": sql, "plan": lines, "problems": problems}
    return list(plans.values())


def table_sizes(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(b"SELECT relname, n_live_tup FROM pg_stat_user_tables").fetchall()
    return {str(name): int(count) for name, count in rows}


def run(members: int, logs: int, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, Cluster.start(durable=True) as cluster:
        path = Path(tmp) / "backbone.db"
        asyncio.run(_schema_at(path, 3))
        build_s = populate(path, members, logs)
        asyncio.run(_upgrade(path))
        hidden = hide_some(path, members)
        url = cluster.create_database("streaks")
        started = time.perf_counter()
        copied = copy_into_postgres(path, url)
        copy_s = time.perf_counter() - started
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(b"VACUUM ANALYZE")
        load_before = load_average()
        rows = asyncio.run(bench(url, members, samples))
        sizes = table_sizes(url)
        log_path = cluster.root / "server.log"
        offset = log_path.stat().st_size
        asyncio.run(traced_pass(url, members))
        with log_path.open(encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            plans = logged_plans(log.read(), sizes)
        with psycopg.connect(url) as conn:
            (database_bytes,) = conn.execute(  # type: ignore[misc]
                b"SELECT pg_database_size(current_database())"
            ).fetchone()
    log_count = next(c.rows for c in copied if c.table == "backday_logs")
    print(f"\nStreak storage on PostgreSQL: {members:,} members ({hidden:,} hidden),")
    print(f"{log_count:,} logs; server on this machine (fsync on; the bot commits without waiting)")
    print(f"Load average before measuring: {load_before}")
    print_table(
        rows, ["operation", "n", "p50_ms", "p90_ms", "p99_ms", "max_ms", "target_p99_ms", "passed"]
    )
    print(
        f"\nBuilt in SQLite in {build_s:.1f} s; copied into PostgreSQL (migrate-db) in"
        f" {copy_s:.1f} s; database {database_bytes / 1e6:.0f} MB"
    )
    bad = [p for p in plans if p["problems"]]
    print(f"Query plans ({len(plans)} statements, {len(bad)} with a scan of a big table):")
    for p in plans:
        print(f"  {p['sql'][:150]}")
        for line in p["plan"][:6]:
            print(f"      {line}")
    return {
        "members": members,
        "hidden_members": hidden,
        "logs": log_count,
        "database_bytes": database_bytes,
        "sqlite_build_seconds": build_s,
        "migrate_db_copy_seconds": copy_s,
        "rows_copied": {c.table: c.rows for c in copied},
        "load_average_before": load_before,
        "operations": rows,
        "query_plans": plans,
        "plans_scanning_big_tables": [p["sql"] for p in bad],
        "missed": [r["operation"] for r in rows if not r["passed"]],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks streaks_postgres")
    parser.add_argument("--quick", action="store_true", help="10,000 members, fewer samples")
    args = parser.parse_args(argv)
    members = 10_000 if args.quick else 100_000
    result = run(members, *SIZES[members])
    path = write_results("streaks_postgres", result)
    print(f"\nResults written to {path}")
    missed = result["missed"]
    print("Targets missed: " + (", ".join(missed) if missed else "none, every target met"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
