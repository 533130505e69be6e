"""Posture reminders at scale: finding due nudges, and delivering a minute's worth of them.

find_due: 1,000,000 opted-in members whose nudges are spread over the next 24 hours
(about 700 a minute), plus 10,000 members of one big server all due in the same minute.
Measured through `Storage.read`, the path the dispatcher takes, and on one core:

* `next_due_at`: what the dispatcher asks to decide how long to sleep;
* `due_reminders(now, 500)` in an ordinary minute (about 700 due);
* `due_reminders(now, 500)` in the hot minute (10,000 due): the first batch;
* `due_reminders(now, 500)` when nothing is due yet.

The day is replayed minute by minute, the way the dispatcher keeps up with it: each
minute's due rows are found (measured) and then moved to the next day's slot, so at any
minute only that minute's members are due, not everything since midnight. Moving them
is a single UPDATE standing in for the dispatcher's claims (not measured; the claims are
what `delivery` measures end to end).

delivery: 10,000 members due in one minute, delivered by the real bot process
(`python -m bot run`) against the loopback Discord double enforcing a global limit of
500 requests/s, with the bot told to pace itself under that limit
(`DISCORD_GLOBAL_RATE_LIMIT=500`). Reports the delivery rate (first to last nudge
created) as a fraction of the limit, and whether every member got exactly one nudge.

shared_delivery: the same 10,000 nudges delivered by two bot processes (shards 0 and 1
of 2) sharing one PostgreSQL database: schedule leases split the fan-out between them,
each paces itself at half the limit; target at least 90% of the limit together, every
member exactly once, no 429.

    python -m benchmarks reminders [--quick] [--only find_due|delivery|shared_delivery]
        [--all-cores]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import (
    RESULTS_DIR,
    git_revision,
    percentiles,
    pin_to_one_core,
    print_table,
    write_results,
)
from bot.storage import Storage
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.schedule import SqliteSchedule

TARGET_MS = 5.0
BATCH = 500
"""The scheduler's batch: `tx.schedule.lease(now, until, 500, kinds)`."""
DAY = 86_400
NOW = datetime(2026, 11, 18, tzinfo=UTC)  # a Wednesday, midnight UTC: minute 0 of the day
HOT_MINUTE = 9 * 60
"""09:00 UTC, which is 09:00 in Europe/London in November: the big server's default."""
SEED = 11

# Where members live, weighted roughly like an English-speaking fitness community.
ZONES: dict[str, float] = {
    "America/New_York": 20,
    "America/Chicago": 10,
    "America/Denver": 4,
    "America/Los_Angeles": 12,
    "America/Sao_Paulo": 4,
    "America/Toronto": 4,
    "Europe/London": 12,
    "Europe/Berlin": 8,
    "Europe/Paris": 4,
    "Asia/Kolkata": 6,
    "Asia/Kathmandu": 0.5,
    "Asia/Tokyo": 3,
    "Australia/Sydney": 4,
    "Australia/Adelaide": 0.5,
    "Pacific/Auckland": 1,
    "UTC": 7,
}
WITH_TIMEZONE = 0.85
"""Members who set a timezone; the rest have no member_settings row (UTC by default)."""
SNOOZED = 0.02
DM_REFUSED = 0.01
NO_DM_CHANNEL_YET = 0.05
GUILD_WEIGHTS = (60, 20, 10, 6, 4)
"""A handful of servers; the first one is the big one whose members make the hot minute."""

DELIVERY_RATE = 500
DELIVERY_TARGET = 0.95
DELIVERY_TIMEOUT = 120.0
"""Longest wait for every nudge, from READY."""
DELIVERY_STALL = 30.0
"""Give up when no new nudge arrived for this long (the first one included)."""
SETTLE = 3.0
"""After the last expected nudge, how long to watch for duplicates."""


# --- find_due ------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    rows: int
    hot_rows: int
    with_timezone: int
    snoozed: int
    guilds: int
    timezones: dict[str, int]


def _snowflakes(rng: random.Random, count: int) -> list[int]:
    """Distinct Discord-shaped ids (2020-2026), sorted as the table's rowids are stored."""
    low, high = 700_000_000_000_000_000, 1_400_000_000_000_000_000
    return sorted(rng.sample(range(low, high), count))


def _local_times(zone: str) -> list[str]:
    """'HH:MM' in `zone` of each UTC minute of NOW's day."""
    tz = ZoneInfo(zone)
    return [(NOW + timedelta(minutes=m)).astimezone(tz).strftime("%H:%M") for m in range(24 * 60)]


def populate(path: Path, rows: int, hot_rows: int) -> tuple[Population, float]:
    """Write reminders, member_settings and server_nudges with plain sqlite3 (set-up)."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    start = int(NOW.timestamp())
    guilds = _snowflakes(rng, len(GUILD_WEIGHTS))
    users = _snowflakes(rng, rows)
    hot = set(rng.sample(range(rows), hot_rows))
    zone_names = list(ZONES)
    zone_weights = list(ZONES.values())
    local = {zone: _local_times(zone) for zone in zone_names}
    zones_used: Counter[str] = Counter()
    with_timezone = snoozed = 0

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the index inserts are random
    with conn:
        for first in range(0, rows, 20_000):
            reminder_rows: list[tuple[Any, ...]] = []
            setting_rows: list[tuple[int, str]] = []
            for i in range(first, min(first + 20_000, rows)):
                user = users[i]
                if i in hot:
                    guild, zone, minute, days = guilds[0], "Europe/London", HOT_MINUTE, "weekdays"
                else:
                    guild = rng.choices(guilds, GUILD_WEIGHTS)[0]
                    zone = rng.choices(zone_names, zone_weights)[0]
                    minute = rng.randrange(24 * 60)
                    days = "weekdays" if rng.random() < 0.2 else "every day"
                if i in hot or rng.random() < WITH_TIMEZONE:
                    setting_rows.append((user, zone))
                    with_timezone += 1
                else:
                    zone = "UTC"
                zones_used[zone] += 1
                slot_at = start + minute * 60
                snooze_at = snooze_topic = None
                due_at = slot_at
                if i not in hot and rng.random() < SNOOZED:
                    # Nudged earlier and snoozed: today's slot is done, the snooze is due.
                    snooze_at, snooze_topic = slot_at + rng.randrange(60), "neutral-spine"
                    due_at, slot_at = snooze_at, slot_at + DAY
                    snoozed += 1
                dm_channel = None if rng.random() < NO_DM_CHANNEL_YET else user + 1
                refused = (
                    start - rng.randrange(DAY, 30 * DAY) if rng.random() < DM_REFUSED else None
                )
                opted_in = start - rng.randrange(DAY, 400 * DAY)
                reminder_rows.append(
                    (
                        user,
                        guild,
                        local[zone][minute],
                        days,
                        slot_at,
                        snooze_at,
                        snooze_topic,
                        due_at,
                        dm_channel,
                        refused,
                        opted_in,
                    )
                )
            conn.executemany(
                "INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, snooze_at,"
                " snooze_topic, due_at, dm_channel_id, dm_refused_at, opted_in_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                reminder_rows,
            )
            conn.executemany(
                "INSERT INTO member_settings (user_id, timezone) VALUES (?, ?)", setting_rows
            )
        # Each server posts its own daily channel nudge too; next_due_at reads these.
        conn.executemany(
            "INSERT INTO server_nudges (guild_id, due_at, last_day, last_status)"
            " VALUES (?, ?, NULL, NULL)",
            [(g, start + rng.randrange(24 * 60) * 60) for g in guilds],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    population = Population(
        rows, hot_rows, with_timezone, snoozed, len(guilds), dict(zones_used.most_common())
    )
    return population, time.perf_counter() - started


class Samples:
    def __init__(self) -> None:
        self.by_operation: dict[str, list[int]] = {}

    async def time(self, operation: str, call: Callable[[], Awaitable[Any]]) -> Any:
        start = time.perf_counter_ns()
        result = await call()
        self.by_operation.setdefault(operation, []).append(time.perf_counter_ns() - start)
        return result

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for operation, samples in self.by_operation.items():
            figures = percentiles(samples)
            out.append(
                {
                    "operation": operation,
                    "n": len(samples),
                    **{f"{k}_ms": v for k, v in figures.items()},
                    "target_p99_ms": TARGET_MS,
                    "passed": figures["p99"] < TARGET_MS,
                }
            )
        return out


NEXT_DUE = "next_due_at"
ORDINARY = f"due_reminders({BATCH}), ordinary minute"
HOT = f"due_reminders({BATCH}), hot minute, first batch"
NOTHING = f"due_reminders({BATCH}), nothing due"

# Stand-in for the dispatcher having handled a minute (not measured): a slot moves to the
# next day; a due snooze is cleared and the row falls back to its (next-day) slot.
ROLL_REMINDERS = (
    "UPDATE reminders SET"
    " slot_at = CASE WHEN snooze_at IS NULL THEN slot_at + 86400 ELSE slot_at END,"
    " due_at = CASE WHEN snooze_at IS NULL THEN slot_at + 86400 ELSE slot_at END,"
    " snooze_at = NULL, snooze_topic = NULL"
    " WHERE user_id IN (SELECT key FROM schedule WHERE kind = 'posture' AND due_at <= ?)"
)
ROLL_SERVERS = (
    "UPDATE server_nudges SET due_at = due_at + 86400"
    " WHERE guild_id IN (SELECT key FROM schedule WHERE kind = 'channel' AND due_at <= ?)"
)
KINDS = ("posture", "channel", "backday", "recap")
"""The timed deliveries the scheduler asks the schedule for (the daily retention job,
due once a day, is left out: nothing here runs it)."""


def _count_due(conn: sqlite3.Connection, now: int) -> int:
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM schedule WHERE kind = 'posture' AND due_at <= ?", (now,)
    ).fetchone()
    return int(count)


def _roll(conn: sqlite3.Connection, now: int) -> int:
    moved = conn.execute(ROLL_REMINDERS, (now,)).rowcount
    conn.execute(ROLL_SERVERS, (now,))
    return int(moved)


def take_due(storage: Storage, now: int) -> Awaitable[list[tuple[str, int]]]:
    """The scheduler's step: lease a batch of what is due at `now` (a lease ending at
    once, so the next call at the same instant sees the same rows)."""
    return storage.write(lambda tx: tx.schedule.lease(now, now, BATCH, KINDS))


async def replay_day(path: Path, hot_samples: int) -> dict[str, Any]:
    """Every minute of the day in order, as the dispatcher sees it; returns the figures."""
    rng = random.Random(SEED + 1)
    start = int(NOW.timestamp())
    samples = Samples()
    due_counts: list[int] = []
    moved_total = 0
    problems: list[str] = []
    db = await Database.open(path)
    storage = SqliteStorage(db)
    try:
        # Warm-up, not measured: the first reads after opening load the schema.
        await storage.read(lambda tx: tx.schedule.next_due_at(KINDS))
        await take_due(storage, start - 1)
        for minute in range(24 * 60):
            now = start + minute * 60 + rng.randrange(60)
            due = await db.read(lambda conn, now=now: _count_due(conn, now))
            if minute == HOT_MINUTE:
                for _ in range(hot_samples):
                    at = start + minute * 60 + rng.randrange(60)
                    got = await samples.time(
                        HOT,
                        lambda at=at: take_due(storage, at),
                    )
                    if len(got) != BATCH:
                        problems.append(f"hot minute returned {len(got)} rows, not {BATCH}")
            else:
                due_counts.append(due)
                got = await samples.time(
                    ORDINARY,
                    lambda now=now: take_due(storage, now),
                )
                if len(got) != min(due, BATCH):
                    problems.append(f"minute {minute}: {len(got)} rows for {due} due")
            moved_total += await db.write(lambda conn, now=now: _roll(conn, now))
            wake = await samples.time(
                NEXT_DUE, lambda: storage.read(lambda tx: tx.schedule.next_due_at(KINDS))
            )
            if wake is None or wake <= now:
                problems.append(f"minute {minute}: next_due_at {wake} not after {now}")
                continue
            got = await samples.time(
                NOTHING,
                lambda wake=wake: take_due(storage, wake - 1),
            )
            if got:
                problems.append(f"minute {minute}: {len(got)} rows due before the next wake-up")
    finally:
        await db.close()
    return {
        "operations": samples.rows(),
        "due_per_ordinary_minute": {
            "min": min(due_counts),
            "mean": sum(due_counts) / len(due_counts),
            "max": max(due_counts),
        },
        "rows_moved_to_next_day": moved_total,
        "problems": problems[:20],
    }


def query_plans(path: Path) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of the statements the storage functions really run."""
    conn = sqlite3.connect(path)
    try:
        start = int(NOW.timestamp())
        calls: dict[str, Callable[[sqlite3.Connection], object]] = {
            "next_due_at": lambda c: SqliteSchedule(c).next_due_at(KINDS),
            "due_reminders": lambda c: SqliteSchedule(c).lease(start + 60, start, BATCH, KINDS),
        }
        plans: dict[str, list[str]] = {}
        for name, call in calls.items():
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
            call(conn)
            conn.set_trace_callback(None)
            for number, sql in enumerate(statements, 1):
                label = name if len(statements) == 1 else f"{name} #{number}"
                plans[label] = [
                    f"{sql} -> "
                    + " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
                ]
        return plans
    finally:
        conn.close()


def _plans_ok(plans: dict[str, list[str]]) -> bool:
    """Every plan is an index search of reminders/server_nudges; nothing scans a table."""
    for lines in plans.values():
        for line in lines:
            plan = line.split(" -> ", 1)[1]
            if "SCAN" in plan or "USING" not in plan or "INDEX" not in plan:
                return False
    return True


def _database_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


@contextlib.contextmanager
def _pinned(enabled: bool) -> Iterator[int | None]:
    """Pin to one core for the block (the bot process in `delivery` must not inherit it)."""
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    core = pin_to_one_core() if enabled else None
    try:
        yield core
    finally:
        if core is not None and before is not None:
            os.sched_setaffinity(0, before)


def bench_find_due(quick: bool, all_cores: bool) -> dict[str, Any]:
    rows, hot_rows, hot_samples = (100_000, 1_000, 300) if quick else (1_000_000, 10_000, 1500)
    with tempfile.TemporaryDirectory(prefix="backbone-reminders-") as tmp:
        path = Path(tmp) / "backbone.db"
        asyncio.run(_create_schema(path))
        population, build_s = populate(path, rows, hot_rows)
        size_built = _database_bytes(Path(tmp))
        # The target is per core: the event loop and the database thread share one.
        with _pinned(not all_cores) as core:
            replay = asyncio.run(replay_day(path, hot_samples))
        plans = query_plans(path)
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size_after = _database_bytes(Path(tmp))

    operations = replay["operations"]
    plans_ok = _plans_ok(plans)
    missed = [r["operation"] for r in operations if not r["passed"]]
    due = replay["due_per_ordinary_minute"]
    print(
        f"Finding due reminders: {rows:,} members over 24 h "
        f"({(rows - hot_rows) / 1440:,.0f} a minute), {hot_rows:,} due in one minute"
    )
    print(f"Measured through Storage.read on {'all cores' if core is None else f'CPU {core}'}")
    print_table(
        operations,
        ["operation", "n", "p50_ms", "p90_ms", "p99_ms", "max_ms", "target_p99_ms", "passed"],
    )
    print(
        f"\nDue per ordinary minute when measured: min {due['min']}, mean {due['mean']:.0f},"
        f" max {due['max']}"
    )
    print(
        f"Database size: {size_built / 1e6:.1f} MB built in {build_s:.1f} s,"
        f" {size_after / 1e6:.1f} MB after the day's replay"
    )
    print(
        f"Members with a timezone set: {population.with_timezone:,};"
        f" snoozed: {population.snoozed:,}; servers: {population.guilds}"
    )
    for name, lines in plans.items():
        for line in lines:
            print(f"Query plan, {name}: {line}")
    print("Plans: " + ("index searches only, no SCAN" if plans_ok else "NOT all index searches"))
    for problem in replay["problems"]:
        print(f"problem: {problem}")
    print("Targets missed: " + (", ".join(missed) if missed else "none, every target met"))
    return {
        "rows": rows,
        "hot_minute_rows": hot_rows,
        "hot_minute_utc": f"{HOT_MINUTE // 60:02d}:{HOT_MINUTE % 60:02d}",
        "batch": BATCH,
        "members_with_timezone": population.with_timezone,
        "snoozed": population.snoozed,
        "guilds": population.guilds,
        "timezones": population.timezones,
        "database_bytes": size_built,
        "database_bytes_after_replay": size_after,
        "build_seconds": build_s,
        "pinned_cpu": core,
        "operations": operations,
        "due_per_ordinary_minute": due,
        "rows_moved_to_next_day": replay["rows_moved_to_next_day"],
        "query_plans": plans,
        "plans_use_indexes_only": plans_ok,
        "problems": replay["problems"],
        "missed": missed,
    }


async def _create_schema(path: Path) -> None:
    """An empty database built by the real migrations."""
    db = await Database.open(path)
    await db.close()


# --- delivery ------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """The run could not finish: no READY, a stall, the deadline, or the bot died."""


def seed_double(double: Any, members: int) -> dict[int, int]:
    """`members` users in the double, each with a DM channel the bot already knows."""
    channels: dict[int, int] = {}
    taken = set(double.users) | set(double.dm_channels)
    for n in range(members):
        user = double.make_user(f"member-{n}")
        uid = int(user["id"])
        if uid in taken:
            raise DeliveryFailed(f"the double's snowflakes repeated an id: {uid}")
        taken.add(uid)
        cid = double.snowflake()
        while cid in taken:
            cid = double.snowflake()
        taken.add(cid)
        double.dm_channels[cid] = uid
        channels[cid] = uid
    return channels


async def seed_database(path: Path, guild_id: int, channels: dict[int, int]) -> int:
    """Migrate the bot's database, then make every member's nudge due about 30 s ago."""
    await _create_schema(path)
    due = datetime.fromtimestamp(time.time() - 30, UTC).replace(second=0, microsecond=0)
    slot_at = int(due.timestamp())
    local_time = due.strftime("%H:%M")
    opted_in = slot_at - 7 * DAY
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            conn.executemany(
                "INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, snooze_at,"
                " snooze_topic, due_at, dm_channel_id, dm_refused_at, opted_in_at)"
                " VALUES (?, ?, ?, 'every day', ?, NULL, NULL, ?, ?, NULL, ?)",
                [
                    (uid, guild_id, local_time, slot_at, slot_at, cid, opted_in)
                    for cid, uid in channels.items()
                ],
            )
            conn.executemany(
                "INSERT INTO member_settings (user_id, timezone) VALUES (?, 'UTC')",
                [(uid,) for uid in channels.values()],
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return slot_at


def _nudges_created(double: Any, channels: dict[int, int]) -> int:
    return sum(len(double.channel_messages.get(cid, ())) for cid in channels)


async def wait_for_nudges(
    double: Any, bots: Sequence[Any], channels: dict[int, int], members: int
) -> None:
    """Until every member has a nudge; raises DeliveryFailed on a stall, the deadline or
    the bot exiting. Then watches SETTLE seconds more for duplicates."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DELIVERY_TIMEOUT
    last_count, last_progress = 0, loop.time()
    while True:
        # Every message the bot created, nudges or not: O(1), so polling costs the double
        # (which shares this process) nothing; the exact per-member count comes once.
        count = len(double.messages)
        now = loop.time()
        if count >= members and _nudges_created(double, channels) >= members:
            break
        if count > last_count:
            last_count, last_progress = count, now
        reason = None
        exited = [b for b in bots if b.proc is not None and b.proc.returncode is not None]
        if exited:
            reason = f"{exited[0].name} exited with {exited[0].proc.returncode}"
        elif now - last_progress > DELIVERY_STALL:
            reason = f"no new nudge for {DELIVERY_STALL:.0f} s"
        elif now > deadline:
            reason = f"deadline of {DELIVERY_TIMEOUT:.0f} s passed"
        if reason:
            raise DeliveryFailed(
                f"{reason}: {count:,} of {members:,} nudges created;"
                f" {len(double.requests):,} requests\n" + "\n".join(b.log_tail() for b in bots)
            )
        await asyncio.sleep(0.1)
    await asyncio.sleep(SETTLE)


def delivery_figures(
    double: Any, channels: dict[int, int], members: int, ready_at: float
) -> dict[str, Any]:
    """What the double saw: nudges per member, the delivery rate, requests and 429s."""
    per_channel = Counter({cid: len(double.channel_messages.get(cid, ())) for cid in channels})
    histogram = Counter(per_channel.values())
    created_ids = {
        str(message["id"]) for cid in channels for message in double.channel_messages.get(cid, ())
    }
    nudge_requests = [
        r
        for r in double.requests
        if r.method == "POST"
        and r.path.startswith("/channels/")
        and r.path.endswith("/messages")
        and int(r.path.split("/")[2]) in channels
    ]
    first_seen: dict[str, float] = {}
    for r in nudge_requests:
        if r.status == 200 and isinstance(r.response, dict):
            mid = str(r.response.get("id"))
            if mid in created_ids and mid not in first_seen:
                first_seen[mid] = r.at
    times = sorted(first_seen.values())
    span = times[-1] - times[0] if len(times) > 1 else None
    rate = len(times) / span if span else None
    # The rate over each tenth of the nudges, in order: shows a rate that decays as the
    # minute goes on (per-nudge costs growing with the number sent), not just the mean.
    tenth = len(times) // 10
    by_tenth = [
        tenth / (times[(k + 1) * tenth - 1] - times[k * tenth])
        for k in range(10)
        if tenth > 1 and times[(k + 1) * tenth - 1] > times[k * tenth]
    ]
    limited = double.rate_limited()
    statuses = Counter(r.status for r in nudge_requests)
    return {
        "members": members,
        "global_rate_limit": DELIVERY_RATE,
        "nudges_created": sum(per_channel.values()),
        "members_with_exactly_one": histogram.get(1, 0),
        "members_with_none": histogram.get(0, 0),
        "members_with_more_than_one": sum(v for k, v in histogram.items() if k > 1),
        "first_to_last_s": span,
        "nudges_per_s": rate,
        "fraction_of_limit": rate / DELIVERY_RATE if rate else None,
        "nudges_per_s_by_tenth": [round(r, 1) for r in by_tenth],
        "target_fraction": DELIVERY_TARGET,
        "passed": bool(rate and rate / DELIVERY_RATE >= DELIVERY_TARGET)
        and histogram.get(1, 0) == members,
        "ready_to_first_nudge_s": times[0] - ready_at if times else None,
        "nudge_requests": len(nudge_requests),
        "nudge_request_statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "dm_channel_creates": len(double.requests_to("POST", r"^/users/@me/channels$")),
        "requests_total": len(double.requests),
        "rate_limited_429": len(limited),
        "rate_limited_global_429": len(double.rate_limited(is_global=True)),
        "violations": [str(v) for v in double.violations][:20],
    }


OPT_INS = 300
"""Members who run /posture on during the fan-out (each a welcome DM: two requests)."""
OPT_IN_SECONDS = 10.0


async def opt_in_burst(double: Any, count: int, seconds: float) -> dict[str, Any]:
    """`count` members run /posture on, spread over `seconds`, while nudges go out: their
    welcome DMs share the request budget with the fan-out, ahead of it."""
    users = [double.make_user(f"opt-in-{n}") for n in range(count)]
    latencies: list[float] = []
    welcomed = 0

    async def one(user: Any, delay: float) -> None:
        nonlocal welcomed
        await asyncio.sleep(delay)
        handle = await double.slash(
            "posture", {"time": "07:30", "timezone": "UTC"}, subcommand="on", user=user
        )
        reply = await handle.response(timeout=30, settle=0.0)
        # From the command to its last request (the followup after the welcome DM).
        latencies.append(max(r.at for r in reply.requests) - (reply.dispatched_at or 0.0))
        if double.dm_messages_to(user):
            welcomed += 1

    await asyncio.gather(*(one(u, n * seconds / count) for n, u in enumerate(users)))
    ordered = sorted(latencies)
    return {
        "opt_ins": count,
        "over_s": seconds,
        "welcome_dms": welcomed,
        "reply_p50_s": ordered[len(ordered) // 2] if ordered else None,
        "reply_max_s": ordered[-1] if ordered else None,
    }


async def run_delivery(workdir: Path, members: int, opt_ins: int = 0) -> dict[str, Any]:
    # Imported here: the e2e harness (and pytest with it) only matters for this part.
    from discord_double import DiscordDouble
    from discord_double.process import BotProcess, assert_clean_shutdown

    async with DiscordDouble(global_rate_limit=DELIVERY_RATE) as double:
        channels = seed_double(double, members)
        bot = BotProcess(
            double,
            workdir / "bot",
            name="reminders",
            env={"DISCORD_GLOBAL_RATE_LIMIT": str(DELIVERY_RATE)},
            log_level="INFO",
        )
        slot_at = await seed_database(bot.db_path, double.guild.id, channels)
        error: str | None = None
        burst_figures: dict[str, Any] = {}
        ready_at = double.clock()
        exit_code: int | None = None
        try:
            await bot.start()
            ready_at = double.clock()
            burst = (
                asyncio.create_task(opt_in_burst(double, opt_ins, OPT_IN_SECONDS))
                if opt_ins
                else None
            )
            await wait_for_nudges(double, [bot], channels, members)
            burst_figures = await burst if burst is not None else {}
        except (DeliveryFailed, AssertionError) as exc:
            error = str(exc)
        finally:
            exit_code = await bot.stop()
        figures = delivery_figures(double, channels, members, ready_at)
        try:
            assert_clean_shutdown(bot)
        except AssertionError as exc:
            figures["violations"].append(f"shutdown: {exc}")
        figures["passed"] = figures["passed"] and figures["rate_limited_429"] == 0
        return {
            **figures,
            "opt_in_burst": burst_figures,
            "slot_late_at_start_s": round(time.time() - slot_at, 1),
            "exit_code": exit_code,
            "error": error,
            "logs": [str(p) for run in bot.runs for p in run],
        }


def print_delivery_table(result: dict[str, Any], target: float) -> None:
    """One row: what the double saw of a fan-out, against its target share of the limit."""
    row = {
        "nudges": result["nudges_created"],
        "exactly_one": result["members_with_exactly_one"],
        "none": result["members_with_none"],
        "duplicates": result["members_with_more_than_one"],
        "first_to_last_s": result["first_to_last_s"],
        "per_s": result["nudges_per_s"],
        "of_limit": result["fraction_of_limit"],
        "target": target,
        "429s": result["rate_limited_429"],
        "requests": result["requests_total"],
        "passed": result["passed"],
    }
    print_table([row], list(row))


@contextlib.contextmanager
def double_collector_off() -> Iterator[None]:
    """Python's cyclic garbage collector off in this process while the double serves.

    The double runs here, and it keeps every request it answers: a full collection of
    those tens of thousands of records paused it for 150 to 200 ms, and the requests
    that arrived meanwhile were then all stamped at once, a burst in one second of its
    global limit that the bots never sent (they are paced) and that a real Discord, which
    stamps requests as they arrive, would not see. The bot processes keep their
    collector: their pauses are theirs to absorb."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def bench_delivery(quick: bool) -> dict[str, Any]:
    members = 1_000 if quick else 10_000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backbone-delivery-") as tmp, double_collector_off():
        result = asyncio.run(run_delivery(Path(tmp), members))
    # The same fan-out again while members opt in: the budget they share must still
    # hold (0 429s); the fan-out's own rate is measured by the first run alone.
    with tempfile.TemporaryDirectory(prefix="backbone-delivery-") as tmp, double_collector_off():
        result["with_opt_ins"] = asyncio.run(run_delivery(Path(tmp), members, OPT_INS))
    result["passed"] = result["passed"] and result["with_opt_ins"]["rate_limited_429"] == 0
    result["duration_s"] = time.perf_counter() - started

    print(
        f"Delivering {members:,} nudges due in one minute, real bot against the double"
        f" at {DELIVERY_RATE} requests/s"
    )
    if result["error"]:
        print(f"FAILED: {result['error']}")
    print_delivery_table(result, DELIVERY_TARGET)
    print(
        f"Nudge requests {result['nudge_requests']:,} (by status"
        f" {result['nudge_request_statuses']}), DM channels opened"
        f" {result['dm_channel_creates']}, global 429s {result['rate_limited_global_429']},"
        f" exit code {result['exit_code']}"
    )
    print(f"Nudges/s over each tenth of the run: {result['nudges_per_s_by_tenth']}")
    with_opt_ins = result["with_opt_ins"]
    burst = with_opt_ins.get("opt_in_burst") or {}
    if burst:
        print(
            f"During the fan-out {burst['opt_ins']} members ran /posture on over"
            f" {burst['over_s']:.0f} s: {burst['welcome_dms']} welcome DMs, reply p50"
            f" {burst['reply_p50_s']:.2f} s, max {burst['reply_max_s']:.2f} s; every 429 of"
            f" that run (nudges and opt-ins): {with_opt_ins['rate_limited_429']}; nudges"
            f" {with_opt_ins['nudges_per_s'] or 0:.0f}/s beside them,"
            f" {with_opt_ins['members_with_exactly_one']:,} members with exactly one"
        )
    for violation in result["violations"]:
        print(f"violation: {violation}")
    return result


# --- shared_delivery: two processes, one PostgreSQL -----------------------------------

SHARED_TARGET = 0.90
PROCESSES = 2


def seed_postgres(url: str, guild_id: int, channels: dict[int, int]) -> int:
    """The same due minute as `seed_database`, in a PostgreSQL database (migrated)."""
    import psycopg

    due = datetime.fromtimestamp(time.time() - 30, UTC).replace(second=0, microsecond=0)
    slot_at = int(due.timestamp())
    local_time = due.strftime("%H:%M")
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            b"INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, due_at,"
            b" dm_channel_id, opted_in_at) VALUES (%s, %s, %s, 'every day', %s, %s, %s, %s)",
            [
                (uid, guild_id, local_time, slot_at, slot_at, cid, slot_at - 7 * DAY)
                for cid, uid in channels.items()
            ],
        )
        cursor.executemany(
            b"INSERT INTO member_settings (user_id, timezone) VALUES (%s, 'UTC')",
            [(uid,) for uid in channels.values()],
        )
    return slot_at


async def run_shared_delivery(workdir: Path, members: int) -> dict[str, Any]:
    """`members` nudges due at once, delivered by two bot processes (shards 0 and 1 of 2)
    sharing one PostgreSQL database, against the double's global limit."""
    from discord_double import DiscordDouble
    from discord_double.process import BotProcess, assert_clean_shutdown
    from throwaway_postgres import Cluster

    with Cluster.start(durable=True) as cluster:
        url = cluster.create_database("fanout")
        await (await PostgresStorage.open(url)).close()  # the schema, as a start makes it
        async with DiscordDouble(
            global_rate_limit=DELIVERY_RATE,
            guild_count=PROCESSES,
            guild_shards=PROCESSES,
            max_concurrency=PROCESSES,
        ) as double:
            channels = seed_double(double, members)
            slot_at = seed_postgres(url, double.guilds[0].id, channels)
            bots = [
                BotProcess(
                    double,
                    workdir / f"shard{shard}",
                    name=f"shard{shard}",
                    database_url=url,
                    env={
                        "DISCORD_GLOBAL_RATE_LIMIT": str(DELIVERY_RATE),
                        "SHARD_COUNT": str(PROCESSES),
                        "SHARD_IDS": str(shard),
                    },
                    log_level="INFO",
                )
                for shard in range(PROCESSES)
            ]
            error: str | None = None
            ready_at = double.clock()
            try:
                for bot in bots:
                    await bot.start(wait_ready=False)
                for bot in bots:
                    await bot.wait_ready(0)
                ready_at = double.clock()
                await wait_for_nudges(double, bots, channels, members)
            except (DeliveryFailed, AssertionError, TimeoutError) as exc:
                error = str(exc)
            finally:
                exit_codes = [await bot.stop() for bot in bots]
            figures = delivery_figures(double, channels, members, ready_at)
            for bot in bots:
                try:
                    assert_clean_shutdown(bot)
                except AssertionError as exc:
                    figures["violations"].append(f"{bot.name} shutdown: {exc}")
            fraction = figures["fraction_of_limit"] or 0.0
            figures["target_fraction"] = SHARED_TARGET
            figures["passed"] = (
                fraction >= SHARED_TARGET
                and figures["members_with_exactly_one"] == members
                and figures["rate_limited_429"] == 0
            )
            return {
                **figures,
                "processes": PROCESSES,
                "slot_late_at_start_s": round(time.time() - slot_at, 1),
                "exit_codes": exit_codes,
                "error": error,
                "logs": [str(p) for bot in bots for run in bot.runs for p in run],
            }


def bench_shared_delivery(quick: bool) -> dict[str, Any]:
    members = 1_000 if quick else 10_000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backbone-shared-") as tmp, double_collector_off():
        result = asyncio.run(run_shared_delivery(Path(tmp), members))
    result["duration_s"] = time.perf_counter() - started
    print(
        f"Delivering {members:,} nudges due in one minute from {PROCESSES} bot processes"
        f" sharing one PostgreSQL (fsync on), against the double at {DELIVERY_RATE} requests/s"
    )
    if result["error"]:
        print(f"FAILED: {result['error']}")
    print_delivery_table(result, SHARED_TARGET)
    print(f"Nudges/s over each tenth of the run: {result['nudges_per_s_by_tenth']}")
    for violation in result["violations"]:
        print(f"violation: {violation}")
    return result


# --- all parts -----------------------------------------------------------------------


PARTS = ("find_due", "delivery", "shared_delivery")


def _previous_results() -> dict[str, Any]:
    path = RESULTS_DIR / "reminders.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    results = previous.get("results")
    return results if isinstance(results, dict) else {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks reminders", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="100,000 rows and 1,000 nudges, for smoke runs"
    )
    parser.add_argument("--only", choices=PARTS, help="run one part (default: both)")
    parser.add_argument("--all-cores", action="store_true", help="find_due: do not pin to one core")
    args = parser.parse_args(argv)
    parts = [args.only] if args.only else list(PARTS)

    measured = datetime.now(UTC).isoformat(timespec="seconds")
    stamp = {"measured_at": measured, "quick": args.quick, "git": git_revision()}
    # A part not run this time keeps its figures from the last run (with their own stamp).
    results = {k: v for k, v in _previous_results().items() if k in PARTS and k not in parts}
    status = 0
    if "find_due" in parts:
        results["find_due"] = {**stamp, **bench_find_due(args.quick, args.all_cores)}
    if "delivery" in parts:
        if "find_due" in parts:
            print()
        results["delivery"] = {**stamp, **bench_delivery(args.quick)}
        if results["delivery"]["error"]:
            status = 1
    if "shared_delivery" in parts:
        print()
        results["shared_delivery"] = {**stamp, **bench_shared_delivery(args.quick)}
        if results["shared_delivery"]["error"]:
            status = 1
    path = write_results("reminders", results)
    print(f"Results written to {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
