"""/privacy export and delete over a real SQLite file, seeded with raw SQL.

The seed puts one member's data in every member table, next to another member's data and
a second server's, so each check can tell "all of mine" from "none of theirs".
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import discord
import pytest

from bot.app import Backbone
from bot.core.errors import UserFacingError
from bot.features.privacy import service as privacy
from bot.features.privacy.replies import (
    CANCELLED,
    KEPT_WITHOUT_NAMES,
    NOT_YOURS,
    export_filename,
    export_reply,
    visibility_reply,
)
from bot.storage.privacy import MEMBER_TABLES, NO_MEMBER_DATA
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.privacy import SqlitePrivacy
from bot.storage.sqlite.streaks import SqliteStreaks
from tests.discord_mocks import make_interaction
from tests.features.test_cogs import assert_no_pings, invoke

# Real-sized snowflakes, beyond JavaScript's 2**53 exact integers.
ME = 300_000_000_000_000_001
OTHER = 300_000_000_000_000_002
NOBODY = 300_000_000_000_000_003
GUILD_A = 400_000_000_000_000_001
GUILD_B = 400_000_000_000_000_002
NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
COG = "bot.features.privacy.cog"

# table -> rows, as the raw INSERTs below write them.
MINE: dict[str, list[dict[str, Any]]] = {
    "member_settings": [{"user_id": ME, "timezone": "Europe/Berlin", "leaderboard_hidden": 0}],
    "backday_logs": [
        {
            "guild_id": GUILD_A,
            "user_id": ME,
            "day": "2025-03-10",
            "note": "rows",
            "logged_at": "2025-03-10T18:00:00+00:00",
        },
        {
            "guild_id": GUILD_A,
            "user_id": ME,
            "day": "2025-03-11",
            "note": None,
            "logged_at": "2025-03-11T18:00:00+00:00",
        },
        {
            "guild_id": GUILD_B,
            "user_id": ME,
            "day": "2025-03-11",
            "note": "pull-ups",
            "logged_at": "2025-03-11T19:00:00+00:00",
        },
    ],
    "member_stats": [
        {
            "guild_id": GUILD_A,
            "user_id": ME,
            "current_streak": 3,
            "best_streak": 5,
            "total_days": 9,
            "expires_at": "2025-03-24T00:00:00+00:00",
            "hidden": 0,
        },
        {
            "guild_id": GUILD_B,
            "user_id": ME,
            "current_streak": 1,
            "best_streak": 1,
            "total_days": 1,
            "expires_at": None,
            "hidden": 0,
        },
    ],
    # Written by triggers from the rows above (see DERIVED), listed here as expected.
    "monthly_days": [
        {
            "user_id": ME,
            "guild_id": GUILD_A,
            "month": "2025-03",
            "days": 2,
            "best_streak": 5,
            "total_days": 9,
            "hidden": 0,
        },
        {
            "user_id": ME,
            "guild_id": GUILD_B,
            "month": "2025-03",
            "days": 1,
            "best_streak": 1,
            "total_days": 1,
            "hidden": 0,
        },
    ],
    "reminders": [
        {
            "user_id": ME,
            "guild_id": GUILD_A,
            "local_time": "08:15",
            "days": "weekdays",
            "slot_at": 1_741_850_100,
            "snooze_at": None,
            "snooze_topic": None,
            "due_at": 1_741_850_100,
            "dm_channel_id": 500_000_000_000_000_001,
            "dm_refused_at": None,
            "opted_in_at": 1_741_000_000,
        }
    ],
    "nudge_deliveries": [
        {
            "user_id": ME,
            "local_day": "2025-03-10",
            "topic_id": "chin-tuck",
            "nonce": "n1",
            "status": "dm",
            "attempted_at": 1_741_590_900,
        },
        {
            "user_id": ME,
            "local_day": "2025-03-11",
            "topic_id": "wall-angels",
            "nonce": "n2",
            "status": "refused",
            "attempted_at": 1_741_677_300,
        },
    ],
    "topics_seen": [
        {"audience_id": ME, "topic_id": "chin-tuck"},
        {"audience_id": ME, "topic_id": "wall-angels"},
    ],
    "backday_reminders": [
        {
            "user_id": ME,
            "weekday": 6,
            "local_time": "18:00",
            "due_at": 1_742_054_400,
            "dm_channel_id": 500_000_000_000_000_001,
            "dm_refused_at": None,
            "set_at": 1_741_000_000,
        }
    ],
    "backday_reminder_deliveries": [
        {
            "user_id": ME,
            "week": "2025-03-10",
            "nonce": "r1",
            "status": "dm",
            "attempted_at": 1_741_540_000,
        }
    ],
}

# The other member shares ME's standing in GUILD_A, so standing_counts has a row with
# two members there; plus rows that are nobody's: a server's settings, its channel
# nudge, the topics that server has seen, and the bot's own state.
THEIRS_AND_NOBODYS: dict[str, list[dict[str, Any]]] = {
    "bot_state": [{"key": "command_tree_hash", "value": "abc123"}],
    "guild_settings": [
        {
            "guild_id": GUILD_A,
            "timezone": "Europe/London",
            "weekly_target": 2,
            "nudge_channel_id": 600_000_000_000_000_001,
            "nudge_time": "12:00",
            "default_reminder_time": "09:00",
        }
    ],
    "server_nudges": [
        {
            "guild_id": GUILD_A,
            "due_at": 1_741_867_200,
            "last_day": "2025-03-12",
            "last_status": "ok",
        }
    ],
    "member_settings": [{"user_id": OTHER, "timezone": "UTC"}],
    "backday_logs": [
        {
            "guild_id": GUILD_A,
            "user_id": OTHER,
            "day": "2025-03-11",
            "note": None,
            "logged_at": "2025-03-11T07:00:00+00:00",
        }
    ],
    "member_stats": [
        {
            "guild_id": GUILD_A,
            "user_id": OTHER,
            "current_streak": 3,
            "best_streak": 5,
            "total_days": 9,
            "expires_at": None,
        }
    ],
    "reminders": [
        {
            "user_id": OTHER,
            "guild_id": GUILD_A,
            "local_time": "07:00",
            "days": "every day",
            "slot_at": 1_741_849_200,
            "snooze_at": None,
            "snooze_topic": None,
            "due_at": 1_741_849_200,
            "dm_channel_id": None,
            "dm_refused_at": None,
            "opted_in_at": 1_741_000_001,
        }
    ],
    "nudge_deliveries": [
        {
            "user_id": OTHER,
            "local_day": "2025-03-11",
            "topic_id": "chin-tuck",
            "nonce": "n3",
            "status": "dm",
            "attempted_at": 1_741_676_400,
        }
    ],
    "topics_seen": [
        {"audience_id": OTHER, "topic_id": "chin-tuck"},
        {"audience_id": GUILD_A, "topic_id": "wall-angels"},
    ],
}


def all_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return sorted(row[0] for row in rows)


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of each column."""
    return [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({table})")]


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted."""
    return {
        table: sorted(
            (tuple(row) for row in conn.execute(f"SELECT * FROM {table}")),
            key=repr,
        )
        for table in all_tables(conn)
    }


# Member tables whose rows triggers keep from other tables: the seed never inserts them.
DERIVED = {"monthly_days"}
# Counts with no ids (NO_MEMBER_DATA) that triggers keep: deleting a member changes them.
HISTOGRAMS = {"standing_counts", "month_counts"}


def insert(conn: sqlite3.Connection, seed: dict[str, list[dict[str, Any]]]) -> None:
    # Streak rows before logs, as /backday log saves them: the logs' trigger copies them
    # onto the month rows.
    for table, rows in sorted(seed.items(), key=lambda item: item[0] != "member_stats"):
        if table in DERIVED:
            continue
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "privacy.db")
    try:
        yield database
    finally:
        await database.close()


async def seed(db: Database) -> None:
    def work(conn: sqlite3.Connection) -> None:
        insert(conn, MINE)
        insert(conn, THEIRS_AND_NOBODYS)

    await db.write(work)


@pytest.fixture
async def seeded(db: Database) -> Database:
    await seed(db)
    return db


@pytest.fixture
async def privacy_bot(bot: Backbone) -> Backbone:
    """The integration bot with the privacy cog, whether or not EXTENSIONS lists it yet."""
    if COG not in bot.extensions:
        await bot.load_extension(COG)
    return bot


# --- storage --------------------------------------------------------------------------


async def test_every_table_is_classified(db: Database) -> None:
    tables = await db.read(all_tables)
    member = {spec.table for spec in MEMBER_TABLES}
    assert len(member) == len(MEMBER_TABLES)
    assert not member & set(NO_MEMBER_DATA)
    unclassified = set(tables) - member - set(NO_MEMBER_DATA)
    assert not unclassified, f"classify in bot/storage/sqlite/privacy.py: {sorted(unclassified)}"
    assert member | set(NO_MEMBER_DATA) == set(tables), "a listed table no longer exists"
    declared = await db.read(lambda conn: {t: dict(columns(conn, t)) for t in tables})
    for spec in MEMBER_TABLES:
        assert declared[spec.table].get(spec.column) == "INTEGER", spec


POSTGRES_BOOKKEEPING = {"backbone_schema"}
"""PostgreSQL's migration version, a table there (SQLite keeps it in user_version)."""


async def test_every_postgres_table_is_classified() -> None:
    """The same check on PostgreSQL's own schema, after all its migrations."""
    import psycopg

    from tests.postgres import fresh_database

    with psycopg.connect(fresh_database()) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        ).fetchall()
    declared: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        declared.setdefault(table, {})[column] = data_type
    tables = set(declared) - POSTGRES_BOOKKEEPING
    member = {spec.table for spec in MEMBER_TABLES}
    unclassified = tables - member - set(NO_MEMBER_DATA)
    assert not unclassified, f"classify in bot/storage/privacy.py: {sorted(unclassified)}"
    assert member | set(NO_MEMBER_DATA) == tables, "a listed table does not exist"
    for spec in MEMBER_TABLES:
        assert declared[spec.table].get(spec.column) == "bigint", spec


async def test_the_seed_covers_every_member_table(db: Database) -> None:
    assert set(MINE) == {spec.table for spec in MEMBER_TABLES}
    assert all(MINE.values())


async def test_every_lookup_goes_through_an_index(seeded: Database, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "privacy.db", isolation_level=None)
    try:
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        SqlitePrivacy(conn).export_member(ME)
        SqlitePrivacy(conn).summarize_member(ME)
        conn.execute("BEGIN")
        SqlitePrivacy(conn).delete_member(ME)
        conn.execute("ROLLBACK")
        conn.set_trace_callback(None)
        # A trigger's statements are traced as repeats of the one that fired them.
        queries = list(dict.fromkeys(s for s in statements if s.split()[0] in ("SELECT", "DELETE")))
        assert len(queries) == 3 * len(MEMBER_TABLES) + 1
        tables = set(all_tables(conn))
        for sql in queries:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            searched = [step for step in plan if step.startswith("SEARCH")]
            assert searched, (sql, plan)
            for step in searched:
                assert "USING" in step and ("INDEX" in step or "PRIMARY KEY" in step), (sql, plan)
            scanned = [step.split()[1] for step in plan if step.startswith("SCAN ")]
            assert not set(scanned) & tables, (sql, plan)
    finally:
        conn.close()


async def test_export_holds_every_row_of_the_member_and_none_of_anyone_elses(
    seeded: Database,
) -> None:
    exported = await privacy.export_json(SqliteStorage(seeded), ME, NOW)
    text = exported.content.decode("utf-8")
    document = json.loads(text)
    assert document["user_id"] == str(ME)
    assert document["exported_at"] == "2025-03-12T09:30:00+00:00"
    assert set(document["about"]) == set(MINE)

    def as_exported(row: dict[str, Any]) -> dict[str, Any]:
        return {
            k: str(v) if k.endswith("_id") and isinstance(v, int) else v for k, v in row.items()
        }

    tables = document["tables"]
    assert set(tables) == set(MINE)
    for table, rows in MINE.items():
        expected = sorted((as_exported(r) for r in rows), key=repr)
        assert sorted(tables[table], key=repr) == expected, table
    assert str(OTHER) not in text
    # Every id in the file is a string, so JavaScript reads it exactly.
    assert all(abs(n) < 2**53 for n in _numbers(document))
    for rows in tables.values():
        for row in rows:
            for name, value in row.items():
                if name.endswith("_id") and value is not None:
                    assert isinstance(value, str), (name, value)

    assert exported.summary.counts == {table: len(rows) for table, rows in MINE.items()}
    assert exported.summary.servers == 2


def _numbers(node: object) -> list[int]:
    if isinstance(node, dict):
        return [n for v in node.values() for n in _numbers(v)]
    if isinstance(node, list):
        return [n for v in node for n in _numbers(v)]
    return [node] if isinstance(node, int) and not isinstance(node, bool) else []


async def test_export_of_a_member_with_nothing_lists_every_table_empty(db: Database) -> None:
    exported = await privacy.export_json(SqliteStorage(db), NOBODY, NOW)
    document = json.loads(exported.content)
    assert document["tables"] == {spec.table: [] for spec in MEMBER_TABLES}
    assert exported.summary.total == 0


async def test_delete_leaves_nothing_behind_and_touches_nobody_else(seeded: Database) -> None:
    before = await seeded.read(dump)
    deleted = await privacy.delete_everything(SqliteStorage(seeded), ME)
    assert deleted.counts == {table: len(rows) for table, rows in MINE.items()}
    assert deleted.servers == 2

    def leftovers(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        """(table, column) pairs where ME's id still appears, in any integer column."""
        found = []
        for table in all_tables(conn):
            for name, kind in columns(conn, table):
                if "INT" in kind.upper():
                    hit = conn.execute(
                        f"SELECT 1 FROM {table} WHERE {name} = ? LIMIT 1", (ME,)
                    ).fetchone()
                    if hit is not None:
                        found.append((table, name))
        return found

    assert await seeded.read(leftovers) == []
    after = await seeded.read(dump)
    for table, rows in before.items():
        if table in HISTOGRAMS:
            continue
        untouched = [row for row in rows if ME not in row]
        assert after[table] == untouched, table
    assert set(after["topics_seen"]) == {(GUILD_A, "wall-angels"), (OTHER, "chin-tuck")}

    # The triggers kept the leaderboard's standing counts exact.
    def standings(conn: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        counted = conn.execute(
            "SELECT guild_id, current_streak, best_streak, total_days, members"
            " FROM standing_counts ORDER BY 1, 2, 3, 4"
        ).fetchall()
        grouped = conn.execute(
            "SELECT guild_id, current_streak, best_streak, total_days, COUNT(*)"
            " FROM member_stats GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).fetchall()
        return [tuple(r) for r in counted], [tuple(r) for r in grouped]

    counted, grouped = await seeded.read(standings)
    assert counted == grouped == [(GUILD_A, 3, 5, 9, 1)]
    mine = await seeded.read(lambda conn: SqliteStreaks(conn).standing_of(GUILD_A, OTHER))
    assert mine is not None and mine.rank == 1
    assert await seeded.read(lambda conn: SqliteStreaks(conn).member_count(GUILD_B)) == 0

    # Deleting again finds nothing.
    again = await privacy.delete_everything(SqliteStorage(seeded), ME)
    assert again.total == 0


async def test_a_failed_delete_deletes_nothing(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await seeded.read(dump)
    real = SqlitePrivacy.delete_member

    def half_then_fail(self: SqlitePrivacy, user_id: int) -> dict[str, int]:
        real(self, user_id)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(SqlitePrivacy, "delete_member", half_then_fail)
    with pytest.raises(RuntimeError):
        await privacy.delete_everything(SqliteStorage(seeded), ME)
    assert await seeded.read(dump) == before


# --- the cog --------------------------------------------------------------------------


def component_interaction(bot: Backbone, user_id: int) -> tuple[Any, Any]:
    interaction, sent = make_interaction(user_id=user_id)
    interaction.client = bot
    interaction.response.edit_message = AsyncMock()
    return interaction, sent


async def press(bot: Backbone, view: discord.ui.View, label: str, user_id: int) -> Any:
    """Press the button labelled `label` the way discord.py dispatches a DynamicItem:
    rebuilt from its custom id alone, as after a restart.
    """
    # The class as the loaded extension defines it (load_extension imports afresh).
    (dynamic,) = [
        item
        for item in view.children
        if isinstance(item, discord.ui.DynamicItem) and item.item.label == label
    ]
    button = dynamic.item
    assert button.custom_id is not None
    match = dynamic.template.fullmatch(button.custom_id)
    assert match is not None
    interaction, sent = component_interaction(bot, user_id)
    item = await type(dynamic).from_custom_id(interaction, button, match)
    await item.callback(interaction)
    return interaction, sent


async def seed_bot(bot: Backbone) -> dict[str, list[tuple[Any, ...]]]:
    await seed(bot.storage.database)
    return await bot.storage.database.read(dump)


async def test_export_sends_an_ephemeral_json_file(privacy_bot: Backbone) -> None:
    await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=ME)
    await invoke(privacy_bot, "privacy export", interaction)
    call = sent.only
    assert call["ephemeral"] is True
    assert_no_pings(call)
    file = call["file"]
    assert isinstance(file, discord.File)
    assert file.filename == export_filename(ME) == f"backbone-data-{ME}.json"
    document = json.loads(file.fp.read())
    assert document["user_id"] == str(ME)
    assert len(document["tables"]["backday_logs"]) == 3
    content = call["content"]
    assert len(content) <= 2000
    assert "3 back-day logs and 2 streaks in 2 servers" in content
    assert "your daily posture reminder" in content
    # What insights keep, and for how long, though none of it is about the member.
    assert KEPT_WITHOUT_NAMES in content and "after 90 days" in KEPT_WITHOUT_NAMES
    assert document["kept_without_names"] == KEPT_WITHOUT_NAMES


async def test_delete_asks_first_and_deletes_nothing_until_confirmed(
    privacy_bot: Backbone,
) -> None:
    before = await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=ME)
    await invoke(privacy_bot, "privacy delete", interaction)
    call = sent.only
    assert call["ephemeral"] is True
    assert_no_pings(call)
    assert "3 back-day logs and 2 streaks in 2 servers" in call["content"]
    assert "a posture nudge history of 2 days" in call["content"]
    assert KEPT_WITHOUT_NAMES in call["content"]
    view = call["view"]
    buttons = [item.item for item in view.children]
    assert [(b.label, b.style) for b in buttons] == [
        ("Delete everything", discord.ButtonStyle.danger),
        ("Cancel", discord.ButtonStyle.secondary),
    ]
    assert [b.custom_id for b in buttons] == [
        f"privacy:delete:{ME}:confirm",
        f"privacy:delete:{ME}:cancel",
    ]
    assert await privacy_bot.storage.database.read(dump) == before

    pressed, _ = await press(privacy_bot, view, "Delete everything", ME)
    edit = pressed.response.edit_message.await_args.kwargs
    assert edit["view"] is None
    assert "ephemeral" not in edit
    assert_no_pings(edit)
    assert edit["content"].startswith("🗑️ Deleted 3 back-day logs and 2 streaks in 2 servers")
    assert (
        await privacy_bot.storage.database.read(
            lambda conn: SqlitePrivacy(conn).summarize_member(ME).total
        )
        == 0
    )
    other = await privacy_bot.storage.database.read(
        lambda conn: SqlitePrivacy(conn).summarize_member(OTHER)
    )
    assert other.total == 7  # with OTHER's month row in GUILD_A


async def test_cancel_deletes_nothing(privacy_bot: Backbone) -> None:
    before = await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=ME)
    await invoke(privacy_bot, "privacy delete", interaction)
    pressed, _ = await press(privacy_bot, sent.only["view"], "Cancel", ME)
    edit = pressed.response.edit_message.await_args.kwargs
    assert edit["content"] == CANCELLED == "Nothing was deleted."
    assert edit["view"] is None
    assert_no_pings(edit)
    assert await privacy_bot.storage.database.read(dump) == before


async def test_only_the_caller_can_press_the_buttons(privacy_bot: Backbone) -> None:
    before = await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=ME)
    await invoke(privacy_bot, "privacy delete", interaction)
    view = sent.only["view"]
    for label in ("Delete everything", "Cancel"):
        pressed, refused = await press(privacy_bot, view, label, OTHER)
        call = refused.only
        assert call["content"] == NOT_YOURS
        assert call["ephemeral"] is True
        assert_no_pings(call)
        pressed.response.edit_message.assert_not_awaited()
    assert await privacy_bot.storage.database.read(dump) == before


async def test_nothing_stored_means_no_buttons(privacy_bot: Backbone) -> None:
    await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=NOBODY)
    await invoke(privacy_bot, "privacy delete", interaction)
    call = sent.only
    assert call["ephemeral"] is True
    assert "nothing to delete" in call["content"]
    assert "view" not in call

    interaction, sent = make_interaction(user_id=NOBODY)
    await invoke(privacy_bot, "privacy export", interaction)
    call = sent.only
    assert "stores nothing about you" in call["content"]
    assert json.loads(call["file"].fp.read())["tables"]["reminders"] == []


async def test_confirming_twice_is_harmless(privacy_bot: Backbone) -> None:
    await seed_bot(privacy_bot)
    interaction, sent = make_interaction(user_id=ME)
    await invoke(privacy_bot, "privacy delete", interaction)
    view = sent.only["view"]
    await press(privacy_bot, view, "Delete everything", ME)
    pressed, _ = await press(privacy_bot, view, "Delete everything", ME)
    edit = pressed.response.edit_message.await_args.kwargs
    assert "nothing left to delete" in edit["content"]
    assert edit["view"] is None


async def test_privacy_works_outside_servers_too(privacy_bot: Backbone) -> None:
    group = privacy_bot.tree.get_command("privacy")
    assert group is not None
    assert not getattr(group, "guild_only", False)
    interaction, sent = make_interaction(user_id=ME, guild_id=None)
    await invoke(privacy_bot, "privacy export", interaction)
    assert sent.only["ephemeral"] is True


# --- /privacy leaderboard ----------------------------------------------------------------


def ranked_rows(conn: sqlite3.Connection, user_id: int) -> dict[str, list[int]]:
    """The hidden flag on each of the member's ranked rows (our own SQL)."""
    return {
        table: [
            row[0]
            for row in conn.execute(f"SELECT hidden FROM {table} WHERE user_id = ?", (user_id,))
        ]
        for table in ("member_stats", "monthly_days")
    }


async def test_hiding_reaches_every_ranked_row_and_is_exported(seeded: Database) -> None:
    storage = SqliteStorage(seeded)
    assert await privacy.show_on_leaderboards(storage, ME, False) is True
    assert await privacy.show_on_leaderboards(storage, ME, False) is False
    assert await seeded.read(lambda conn: ranked_rows(conn, ME)) == {
        "member_stats": [1, 1],
        "monthly_days": [1, 1],
    }
    assert await seeded.read(lambda conn: ranked_rows(conn, OTHER)) == {
        "member_stats": [0],
        "monthly_days": [0],
    }
    exported = json.loads((await privacy.export_json(storage, ME, NOW)).content)
    tables = exported["tables"]
    assert tables["member_settings"] == [
        {"user_id": str(ME), "timezone": "Europe/Berlin", "leaderboard_hidden": 1}
    ]
    assert [row["hidden"] for row in tables["member_stats"] + tables["monthly_days"]] == [1] * 4
    assert "leaderboard" in exported["about"]["member_settings"]
    # OTHER is alone on GUILD_A's boards now, ranked first.
    mine = await seeded.read(lambda conn: SqliteStreaks(conn).standing_of(GUILD_A, OTHER))
    assert mine is not None and mine.rank == 1
    assert await seeded.read(lambda conn: SqliteStreaks(conn).member_count(GUILD_A)) == 1

    assert await privacy.show_on_leaderboards(storage, ME, True) is True
    assert await seeded.read(lambda conn: ranked_rows(conn, ME)) == {
        "member_stats": [0, 0],
        "monthly_days": [0, 0],
    }
    assert await seeded.read(lambda conn: SqliteStreaks(conn).member_count(GUILD_A)) == 2


async def test_delete_removes_the_choice_and_every_month_row(seeded: Database) -> None:
    storage = SqliteStorage(seeded)
    await privacy.show_on_leaderboards(storage, ME, False)
    deleted = await privacy.delete_everything(storage, ME)
    assert (deleted.counts["member_settings"], deleted.counts["monthly_days"]) == (1, 2)

    def left(conn: sqlite3.Connection) -> tuple[object, ...]:
        return (
            conn.execute(
                "SELECT COUNT(*) FROM member_settings WHERE user_id = ?", (ME,)
            ).fetchone(),
            conn.execute("SELECT COUNT(*) FROM monthly_days WHERE user_id = ?", (ME,)).fetchone(),
            conn.execute(
                "SELECT guild_id, month, days, members FROM month_counts ORDER BY 1"
            ).fetchall(),
        )

    (settings_left,), (months_left,), counts = await seeded.read(left)
    assert (settings_left, months_left) == (0, 0)
    assert [tuple(r) for r in counts] == [(GUILD_A, "2025-03", 1, 1)]  # OTHER's, unchanged


async def test_a_member_who_only_hid_and_showed_again_stores_nothing(db: Database) -> None:
    storage = SqliteStorage(db)
    await privacy.show_on_leaderboards(storage, NOBODY, False)
    hidden = await privacy.summary(storage, NOBODY)
    assert hidden.counts["member_settings"] == 1
    assert "your own settings (timezone, leaderboard visibility)" in export_reply(hidden).content
    await privacy.show_on_leaderboards(storage, NOBODY, True)
    assert (await privacy.summary(storage, NOBODY)).total == 0


async def test_privacy_leaderboard_hides_and_shows_ephemerally(privacy_bot: Backbone) -> None:
    await seed_bot(privacy_bot)
    replies = []
    for shown in (False, False, True, True):
        interaction, sent = make_interaction(user_id=ME)
        await invoke(privacy_bot, "privacy leaderboard", interaction, show=shown)
        call = sent.only
        assert call["ephemeral"] is True
        assert_no_pings(call)
        assert len(call["content"]) <= 2000
        replies.append(call["content"])
    assert replies[0].startswith("🙈 You're now hidden from the leaderboards of every server")
    assert "`/streak` still shows them" in replies[0]
    assert "already hidden" in replies[1]
    assert replies[2].startswith("👀 You're on the leaderboards of every server again")
    assert "already on the leaderboards" in replies[3]


async def test_privacy_leaderboard_refuses_what_is_not_a_boolean(privacy_bot: Backbone) -> None:
    await seed_bot(privacy_bot)
    interaction, _sent = make_interaction(user_id=ME)
    with pytest.raises(UserFacingError, match="True or False"):
        await invoke(privacy_bot, "privacy leaderboard", interaction, show="yes")
    assert await privacy_bot.storage.database.read(lambda conn: ranked_rows(conn, ME)) == {
        "member_stats": [0, 0],
        "monthly_days": [0, 0],
    }


def test_the_visibility_replies_say_what_happened() -> None:
    for shown in (True, False):
        for changed in (True, False):
            reply = visibility_reply(shown, changed)
            assert reply.ephemeral
            assert reply.content is not None and len(reply.content) <= 2000
            assert ("show:False" in reply.content) is shown
            assert ("show:True" in reply.content) is not shown
