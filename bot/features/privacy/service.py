"""/privacy export, delete and leaderboard visibility, as plain values: no Discord, no SQL."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.features.privacy.replies import KEPT_WITHOUT_NAMES
from bot.storage import Storage, Transaction
from bot.storage.privacy import MEMBER_TABLES, MemberSummary

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
        "about": {spec.table: spec.about for spec in MEMBER_TABLES},
        "kept_without_names": KEPT_WITHOUT_NAMES,
        "tables": {name: [_jsonable(row) for row in rows] for name, rows in tables.items()},
    }


async def export_json(storage: Storage, user_id: int, now: datetime) -> MemberExport:
    """Everything stored about the member as a pretty JSON file, with what it holds."""

    def work(
        tx: Transaction,
    ) -> tuple[dict[str, list[dict[str, object]]], MemberSummary]:
        return tx.privacy.export_member(user_id), tx.privacy.summarize_member(user_id)

    tables, summary = await storage.read(work)
    document = export_document(user_id, now, tables)
    content = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    return MemberExport(content, summary)


async def summary(storage: Storage, user_id: int) -> MemberSummary:
    """What /privacy delete would delete."""
    return await storage.read(lambda tx: tx.privacy.summarize_member(user_id))


async def delete_everything(storage: Storage, user_id: int) -> MemberSummary:
    """Delete every row stored about the member in one transaction; what was deleted."""

    def work(tx: Transaction) -> MemberSummary:
        servers = tx.privacy.summarize_member(user_id).servers
        return MemberSummary(tx.privacy.delete_member(user_id), servers)

    deleted = await storage.write(work)
    log.info("A member deleted their stored data: %s", deleted.counts)
    return deleted


async def show_on_leaderboards(storage: Storage, user_id: int, show: bool) -> bool:
    """Show or hide the member on every board of every server; False if it already was so.

    Hiding takes them off every board's rows, ranks and counts at once; their logs and
    streaks are kept and recomputed as before, so /streak still works for them.
    """
    return await storage.write(lambda tx: tx.settings.set_leaderboard_hidden(user_id, not show))
