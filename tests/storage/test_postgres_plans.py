"""The PostgreSQL plans of the settings and streak stores' hot statements.

`/backday log`, `/streak` and a leaderboard page must stay fast at 100,000 members, so
every statement they run must search an index, never scan a table. These tests seed a
database of a few thousand members in two servers, ANALYZE it, and check the plans of
the stores' own statements (their module constants, so what is explained is what runs):
no `Seq Scan` on the members' tables, and an index search somewhere. The statements the
triggers run are not in any plan; the write path is checked through PostgreSQL's
per-transaction counters instead (`pg_stat_xact_user_tables`), which count every scan of
the transaction, triggers' included.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from bot.storage.postgres import PostgresStorage
from bot.storage.postgres import settings as pg_settings
from bot.storage.postgres import streaks as pg_streaks
from bot.storage.postgres.streaks import BOARDS, PostgresStreaks
from bot.storage.streaks import Board
from tests.postgres import fresh_database

GUILD = 1_000_001
"""The server the statements are explained for: 3,000 members, 1 to 12 logs each."""
OTHER_GUILD = 1_000_002
"""A bigger server (10,000 members, 1 to 5 logs each, far more varied standings), so
that GUILD is a small part of every table, histograms included, as one server among
many is; on a table mostly of one server, scanning it all is the planner's best
choice, and no slower than an index for that server."""
USER = 10**17  # Discord-sized ids: user n is USER + n
MONTH = "2024-03"
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
MEMBER = USER + 1_501
"""A member of GUILD in the middle of its boards."""

LARGE = (
    "backday_logs",
    "member_stats",
    "monthly_days",
    "member_settings",
    "standing_counts",
    "month_counts",
)
"""The tables that grow with members (the histograms with their distinct standings)."""

INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}

SEED = f"""
ALTER TABLE backday_logs DISABLE TRIGGER USER;
ALTER TABLE member_stats DISABLE TRIGGER USER;
ALTER TABLE monthly_days DISABLE TRIGGER USER;
ALTER TABLE member_settings DISABLE TRIGGER USER;
CREATE TEMPORARY TABLE members ON COMMIT DROP AS
    SELECT {GUILD} AS guild_id, {USER} + u AS user_id, u % 40 AS current, u % 7 AS extra
    FROM generate_series(1, 3000) AS u
    UNION ALL
    SELECT {OTHER_GUILD}, {USER} + u, u % 97, (u / 97) % 61 FROM generate_series(1, 10000) AS u;
INSERT INTO member_settings (user_id, timezone, leaderboard_hidden)
    SELECT {USER} + u, 'Europe/Paris', (u % 50 = 0)::int
    FROM generate_series(1, 10000) AS u WHERE u % 3 = 0 OR u % 50 = 0;
INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at)
    SELECT DISTINCT guild_id, user_id,
           to_char(date '2024-02-01' + ((user_id * 7 + k * 5) % 60)::int, 'YYYY-MM-DD'),
           NULL::text, '2024-03-01T12:00:00+00:00'
    FROM members,
         generate_series(1, 1 + user_id % CASE guild_id WHEN {GUILD} THEN 12 ELSE 5 END) AS k;
INSERT INTO member_stats
        (guild_id, user_id, current_streak, best_streak, total_days, expires_at, hidden)
    SELECT m.guild_id, m.user_id, m.current, m.current + m.extra, logs.days,
           CASE WHEN m.user_id % 4 = 0 THEN '2024-03-25T00:00:00+00:00' END,
           COALESCE(s.leaderboard_hidden, 0)
    FROM members AS m
    JOIN (SELECT guild_id, user_id, COUNT(*)::int AS days FROM backday_logs
          GROUP BY guild_id, user_id) AS logs USING (guild_id, user_id)
    LEFT JOIN member_settings AS s USING (user_id);
INSERT INTO monthly_days (user_id, guild_id, month, days, best_streak, total_days, hidden)
    SELECT l.user_id, l.guild_id, substr(l.day, 1, 7), COUNT(*)::int,
           s.best_streak, s.total_days, s.hidden
    FROM backday_logs AS l JOIN member_stats AS s USING (guild_id, user_id)
    GROUP BY l.user_id, l.guild_id, substr(l.day, 1, 7), s.best_streak, s.total_days, s.hidden;
INSERT INTO standing_counts
    SELECT guild_id, current_streak, best_streak, total_days, COUNT(*) FROM member_stats
    WHERE hidden = 0 GROUP BY guild_id, current_streak, best_streak, total_days;
INSERT INTO month_counts
    SELECT guild_id, month, days, best_streak, total_days, COUNT(*) FROM monthly_days
    WHERE hidden = 0 GROUP BY guild_id, month, days, best_streak, total_days;
ALTER TABLE backday_logs ENABLE TRIGGER USER;
ALTER TABLE member_stats ENABLE TRIGGER USER;
ALTER TABLE monthly_days ENABLE TRIGGER USER;
ALTER TABLE member_settings ENABLE TRIGGER USER;
"""
"""Members with 1 to 13 logs each over February and March, varied standings, some
expiries, some hidden members. The derived tables are filled as the triggers would
leave them, but in bulk: a trigger per row would take far longer (thousands of updates
of the same histogram row in one transaction)."""


@pytest.fixture(scope="module")
def seeded() -> str:
    """The URL of a migrated database with the seed in it, analyzed."""
    url = fresh_database()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(SEED.encode())
        conn.execute(b"ANALYZE")
    return url


@pytest.fixture
async def storage(seeded: str) -> AsyncIterator[PostgresStorage]:
    opened = await PostgresStorage.open(seeded)
    try:
        yield opened
    finally:
        await opened.close()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(
    conn: psycopg.Connection[Any], statement: str | sql.Composed, params: tuple[object, ...]
) -> list[dict[str, Any]]:
    query = sql.SQL(statement) if isinstance(statement, str) else statement
    row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query), params).fetchone()
    assert row is not None
    return list(_nodes(row[0][0]["Plan"]))


def _assert_indexed(nodes: list[dict[str, Any]], what: str) -> None:
    scanned = [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"]
    assert not [t for t in scanned if t in LARGE], f"{what}: Seq Scan on {scanned}"
    assert {n["Node Type"] for n in nodes} & INDEX_NODES, f"{what}: no index search"


def _hot_statements() -> list[tuple[str, str | sql.Composed, tuple[object, ...]]]:
    """(name, statement, parameters) of every statement /backday log, /streak and a
    leaderboard page run, with parameters of a member in the middle of the boards."""
    member = MEMBER
    day = "2024-03-20"
    statements: list[tuple[str, str | sql.Composed, tuple[object, ...]]] = [
        (
            "member_context",
            pg_settings.MEMBER_CONTEXT,
            (member, GUILD, "UTC", GUILD, 1),
        ),
        (
            "member_streak",
            pg_streaks.MEMBER_STREAK,
            (member, GUILD, "UTC", GUILD, 1, GUILD, member, GUILD, member),
        ),
        ("logged_days", pg_streaks.LOGGED_DAYS, (GUILD, member)),
        (
            "save_stats",
            pg_streaks.SAVE_STATS,
            (GUILD, member, 3, 5, 9, "2024-03-27T00:00:00+00:00", member),
        ),
        ("delete_log", pg_streaks.DELETE_LOG, (GUILD, member, "2024-03-01")),
        ("expiry_due", pg_streaks.EXPIRY_DUE, (NOW.isoformat(),)),
        ("expire", pg_streaks.EXPIRE, (NOW.isoformat(),)),
        ("expire_unlocked", pg_streaks.EXPIRE_UNLOCKED, (NOW.isoformat(),)),
        ("logs_between", pg_streaks.LOGS_BETWEEN, (GUILD, "2024-03-11", day)),
    ]
    cursors = {
        "streak": (20, 22, 7, member),
        "month": (3, 22, 7, member),
        "all-time": (7, 22, member),
    }
    for kind, spec in BOARDS.items():
        scope: tuple[object, ...] = (GUILD, MONTH) if kind == "month" else (GUILD,)
        cursor = cursors[kind]
        first, last = cursor[:-1], tuple(v - 1 for v in cursor[:-1])
        statements += [
            (f"{kind} top", spec.top, (*scope, 10)),
            (f"{kind} after", spec.after, (*scope, *cursor, 10)),
            (f"{kind} before", spec.before, (*scope, *cursor, 10)),
            (f"{kind} ranks", spec.ranks, (*scope, *first, *scope, *first, *last)),
            (f"{kind} ranked top", spec.ranked_top, (*scope, 10, *scope, *scope)),
            (f"{kind} ranked after", spec.ranked_after, (*scope, *cursor, 10, *scope, *scope)),
            (f"{kind} ranked before", spec.ranked_before, (*scope, *cursor, 10, *scope, *scope)),
            (f"{kind} placing", spec.placing, (member, *scope, member)),
            (f"{kind} placing, no row", spec.placing, (USER + 3_003, *scope, USER + 3_003)),
            (f"{kind} size", spec.size, scope),
        ]
    return statements


HOT = _hot_statements()


@pytest.mark.parametrize(("name", "statement", "params"), HOT, ids=[h[0] for h in HOT])
async def test_hot_statements_search_indexes(
    storage: PostgresStorage, name: str, statement: str | sql.Composed, params: tuple[object, ...]
) -> None:
    nodes = await storage.database.read(lambda conn: _explain(conn, statement, params))
    _assert_indexed(nodes, name)


def _scans(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, int]]:
    """(sequential scans, index scans) per large table in this transaction so far."""
    rows = conn.execute(
        "SELECT relname, seq_scan, COALESCE(idx_scan, 0) FROM pg_stat_xact_user_tables"
        " WHERE relname = ANY(%s)",
        (list(LARGE),),
    )
    return {name: (int(seq), int(idx)) for name, seq, idx in rows}


class _Rollback(Exception):
    """Ends a write unit without committing its seed-changing work."""


async def test_logging_a_day_scans_no_table_even_in_triggers(storage: PostgresStorage) -> None:
    """/backday log's statements (its read, the log and the stats upsert), with the
    triggers that keep months and histograms, for a member with a row and a month
    already, and for a new member; then /backday undo's delete."""
    found: dict[str, tuple[int, int]] = {}

    def work(conn: psycopg.Connection[Any]) -> None:
        streaks = PostgresStreaks(conn)
        for member in (MEMBER, USER + 30_001):  # one with rows, one new
            total = len(streaks.member_streak(GUILD, member).days) + 1
            streaks.insert_log(GUILD, member, date(2024, 3, 20), None, NOW)
            streaks.save_stats(GUILD, member, current=2, best=40, total=total, expires_at=NOW)
            streaks.board_placing(Board(GUILD, "streak"), member)
            streaks.delete_log(GUILD, member, date(2024, 3, 20))
        found.update(_scans(conn))
        raise _Rollback

    with pytest.raises(_Rollback):
        await storage.database.write(work)
    assert not {table: seq for table, (seq, _idx) in found.items() if seq}, found
    assert found["backday_logs"][1] > 0 and found["monthly_days"][1] > 0


def _explain_generic(
    conn: psycopg.Connection[Any], statement: str | sql.Composed, params: tuple[object, ...]
) -> list[dict[str, Any]]:
    """The plan PostgreSQL uses once it switches a prepared statement to a generic plan,
    as it may after psycopg has prepared it (from the sixth run): the plan it must choose
    without knowing the parameters."""
    text = statement if isinstance(statement, str) else statement.as_string(conn)
    numbered = iter(range(1, len(params) + 1))
    text = re.sub(r"%s", lambda _: f"${next(numbered)}", text)
    conn.execute(b"SET LOCAL plan_cache_mode = force_generic_plan")
    conn.execute(sql.SQL("PREPARE hot AS {}").format(sql.SQL(text)))  # type: ignore[arg-type]
    try:
        values = sql.SQL(", ").join(sql.Literal(p) for p in params)
        row = conn.execute(
            sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE hot ({})").format(values)
        ).fetchone()
    finally:
        conn.execute(b"DEALLOCATE hot")
    assert row is not None
    return list(_nodes(row[0][0]["Plan"]))


NEVER_PREPARED = {"expire", "expire_unlocked"}
"""Rare statements the store runs with `prepare=False`: always planned for their values."""
PREPARED = [h for h in HOT if h[0] not in NEVER_PREPARED]
HISTOGRAMS = {"standing_counts", "month_counts"}


@pytest.mark.parametrize(("name", "statement", "params"), PREPARED, ids=[h[0] for h in PREPARED])
async def test_hot_statements_search_indexes_in_their_generic_plans(
    storage: PostgresStorage, name: str, statement: str | sql.Composed, params: tuple[object, ...]
) -> None:
    """No table that grows with members is scanned in a generic plan. The histograms may
    be: a generic plan reads `guild_id = $1` as 1/(servers) of their rows, so with the
    seed's two servers a scan is its honest choice (and with many servers an index)."""
    nodes = await storage.database.read(lambda conn: _explain_generic(conn, statement, params))
    scanned = {n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}
    assert not (scanned & set(LARGE)) - HISTOGRAMS, f"{name} (generic plan): Seq Scan {scanned}"
