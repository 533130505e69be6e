"""`backbone migrate-db --to postgresql://...`: copy a SQLite database into PostgreSQL.

A server that outgrows one process keeps its streaks, reminders and settings: every
table of the SQLite file (first brought to the latest SQLite schema, as a start of the
bot would) is copied into an empty PostgreSQL database at the latest PostgreSQL schema,
in one transaction, and the row count of every table is compared before it commits.

The copy is verbatim, derived tables included (leaderboard histograms, the schedule):
the PostgreSQL triggers that keep those tables are switched off for the copy
(`DISABLE TRIGGER USER`, which the tables' owner may do without being a superuser) and
on again before the commit, so no row is counted twice and the month board's older
months keep the tie-breaks they had. Rows go through COPY, which is fast enough for
millions of logs. SQLite is read in one read transaction: a consistent snapshot, even
though the bot should be stopped first, or it would go on writing to the old file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bot.storage.postgres.migrations import migrate as migrate_postgres

BOOKKEEPING = frozenset({"backbone_schema"})
"""PostgreSQL tables of the migrations themselves, which the copy leaves alone."""
PREFILLED = frozenset({"retention", "schedule"})
"""Tables a fresh PostgreSQL schema already fills (the retention job's one row, and its
schedule row); the copy replaces their rows with the SQLite file's."""
COPY_CHUNK = 10_000


class CopyRefused(Exception):
    """The copy cannot be made; no row was written. The message says why and the fix."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    )
    return [str(name) for (name,) in rows]


def _postgres_columns(conn: psycopg.Connection[Any]) -> dict[str, set[str]]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(str(table), set()).add(str(column))
    return columns


def _quoted(name: str) -> str:
    """A SQLite identifier, quoted (names come from the file's own schema)."""
    return '"' + name.replace('"', '""') + '"'


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def copy_into_postgres(
    source: Path,
    url: str,
    *,
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> list[TableCopy]:
    """Copy every table of the SQLite file `source` into the empty database at `url`.

    The PostgreSQL schema is migrated first (under the migrations' advisory lock). Raises
    `CopyRefused` if the target already holds data or the schemas do not match; then
    nothing was written beyond the schema.
    """
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    try:
        lite.execute("BEGIN")  # one snapshot for the whole copy
        tables = sqlite_tables(lite)
        with psycopg.connect(url, autocommit=True) as pg:
            migrate_postgres(pg)
            with pg.transaction():
                copied = _copy(lite, pg, tables, progress)
        lite.execute("COMMIT")
        return copied
    finally:
        lite.close()


def _copy(
    lite: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    tables: list[str],
    progress: Callable[[str, int], None],
) -> list[TableCopy]:
    columns = _postgres_columns(pg)
    missing = [t for t in tables if t not in columns]
    if missing:
        raise CopyRefused(
            f"the PostgreSQL schema has no table {', '.join(missing)}: is this Backbone "
            "older than the one that wrote the SQLite file? Upgrade it first."
        )
    busy = [t for t in columns if t not in BOOKKEEPING | PREFILLED and _count(pg, t)]
    if busy:
        raise CopyRefused(
            f"the PostgreSQL database already holds Backbone data ({', '.join(sorted(busy))}"
            "); migrate-db copies only into an empty database. Create a new one "
            "(createdb) and point --to at it."
        )
    copied: list[TableCopy] = []
    for table in tables:
        names = [str(row[1]) for row in lite.execute(f"PRAGMA table_info({_quoted(table)})")]
        extra = set(names) - columns[table]
        if extra:
            raise CopyRefused(
                f"PostgreSQL's {table} has no column {', '.join(sorted(extra))}: the two "
                "schemas differ; upgrade Backbone."
            )
        ident = sql.Identifier(table)
        pg.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(ident))
        pg.execute(sql.SQL("DELETE FROM {}").format(ident))
        column_list = sql.SQL(", ").join(sql.Identifier(n) for n in names)
        select = f"SELECT {', '.join(_quoted(n) for n in names)} FROM {_quoted(table)}"
        rows = 0
        with pg.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(ident, column_list)
        ) as copy:
            cursor = lite.execute(select)
            while chunk := cursor.fetchmany(COPY_CHUNK):
                for row in chunk:
                    copy.write_row(row)
                rows += len(chunk)
                progress(table, rows)
        pg.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(ident))
        copied.append(TableCopy(table, rows))
    for done in copied:
        (expected,) = lite.execute(f"SELECT COUNT(*) FROM {_quoted(done.table)}").fetchone()
        found = _count(pg, done.table)
        if found != expected or done.rows != expected:
            raise CopyRefused(
                f"{done.table}: {expected} rows in SQLite but {found} in PostgreSQL after the "
                "copy; nothing was committed."
            )
    return copied
