"""Small helpers the e2e test modules share: driving a command and the common assertions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from discord_double import DiscordDouble, InteractionReply, Json
from discord_double.process import BotProcess

NO_PINGS: dict[str, list[str]] = {"parse": []}


async def run(
    double: DiscordDouble, name: str, options: dict[str, object] | None = None, **kw: Any
) -> InteractionReply:
    """Invoke `/name` and wait for what the bot answered."""
    handle = await double.slash(name, options, **kw)
    return await handle.response(timeout=5)


def assert_no_pings(message: Json) -> None:
    mentions = message.get("allowed_mentions")
    assert isinstance(mentions, dict), f"no allowed_mentions in {message}"
    assert mentions.get("parse") == [], mentions
    assert not mentions.get("users") and not mentions.get("roles"), mentions


def embed_of(reply: InteractionReply) -> Json:
    (embed,) = reply.embeds
    return embed


def assert_public_embed(reply: InteractionReply, title: str) -> Json:
    assert reply.callback.status == 200
    assert reply.type == 4
    assert not reply.ephemeral
    assert reply.data["allowed_mentions"] == NO_PINGS
    embed = embed_of(reply)
    assert embed["title"] == title
    return embed


class _Qmark:
    """A psycopg connection that takes SQLite's `?` placeholders, so a test's SQL reads the
    same on both backends."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql.replace("?", "%s").encode(), params)


@contextlib.contextmanager
def database(bot: BotProcess) -> Iterator[Any]:
    """The bot's own database (SQLite file or PostgreSQL), committed on leaving the block.

    Statements use `?` placeholders; rows read as mappings (`dict(row)`, `row["column"]`).
    """
    if bot.database_url is not None:
        with psycopg.connect(bot.database_url, row_factory=dict_row) as conn:
            yield _Qmark(conn)
        return
    lite = sqlite3.connect(bot.db_path, timeout=5)
    lite.row_factory = sqlite3.Row
    try:
        with lite:
            yield lite
    finally:
        lite.close()


def integer_columns(bot: BotProcess) -> dict[str, list[str]]:
    """Every table of the bot's schema and its integer columns (where ids are kept)."""
    found: dict[str, list[str]] = {}
    with database(bot) as conn:
        if bot.database_url is not None:
            rows = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
                " AND data_type IN ('bigint', 'integer', 'smallint')"
            ).fetchall()
            for row in rows:
                found.setdefault(row["table_name"], []).append(row["column_name"])
            return found
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            types = {c[1]: c[2] for c in conn.execute(f"PRAGMA table_info({table})")}
            found[table] = [c for c in columns if types[c].upper() == "INTEGER"]
    return found
