"""/privacy export and /privacy delete, as plain values: no Discord here, no SQL."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.storage.sqlite import privacy as store
from bot.storage.sqlite.connection import Database
from bot.storage.sqlite.privacy import MemberSummary

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


@dataclass(frozen=True, slots=True)
class MemberExport:
    content: bytes
    """The JSON file, UTF-8."""
    summary: MemberSummary


def is_id_column(name: str) -> bool:
    """Discord ids (snowflakes) exceed JavaScript's exact integers: export them as text."""
    return name == "id" or name.endswith("_id")


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    return {
        name: str(value) if isinstance(value, int) and is_id_column(name) else value
        for name, value in row.items()
    }


def export_document(
    user_id: int, exported_at: datetime, tables: dict[str, list[dict[str, object]]]
) -> dict[str, object]:
    return {
        "format": EXPORT_FORMAT,
        "user_id": str(user_id),
        "exported_at": exported_at.isoformat(),
        "about": {spec.table: spec.about for spec in store.MEMBER_TABLES},
        "tables": {name: [_jsonable(row) for row in rows] for name, rows in tables.items()},
    }


async def export_json(db: Database, user_id: int, now: datetime) -> MemberExport:
    """Everything stored about the member as a pretty JSON file, with what it holds."""

    def work(
        conn: sqlite3.Connection,
    ) -> tuple[dict[str, list[dict[str, object]]], MemberSummary]:
        return store.export_member(conn, user_id), store.summarize_member(conn, user_id)

    tables, summary = await db.read(work)
    document = export_document(user_id, now, tables)
    content = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    return MemberExport(content, summary)


async def summary(db: Database, user_id: int) -> MemberSummary:
    """What /privacy delete would delete."""
    return await db.read(lambda conn: store.summarize_member(conn, user_id))


async def delete_everything(db: Database, user_id: int) -> MemberSummary:
    """Delete every row stored about the member in one transaction; what was deleted."""

    def work(conn: sqlite3.Connection) -> MemberSummary:
        servers = store.summarize_member(conn, user_id).servers
        return MemberSummary(store.delete_member(conn, user_id), servers)

    deleted = await db.write(work)
    log.info("A member deleted their stored data: %s", deleted.counts)
    return deleted
