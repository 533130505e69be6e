"""Posture reminders on SQLite: the schedule, the per-day delivery record, topics seen, and
the server-wide channel nudges. Instants are unix seconds (UTC)."""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, fields

from bot.storage.posture import Delivery, Reminder, ServerNudge
from bot.storage.sqlite.connection import fetch_one

_REMINDER_COLUMNS = ", ".join(f.name for f in fields(Reminder))
_DELIVERY_COLUMNS = ", ".join(f.name for f in fields(Delivery))
_SERVER_COLUMNS = ", ".join(f.name for f in fields(ServerNudge))


class SqlitePosture:
    """Reminders, deliveries, topics seen and server nudges (`PostureStore`) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get_reminder(self, user_id: int) -> Reminder | None:
        row = fetch_one(
            self.conn, f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE user_id = ?", (user_id,)
        )
        return None if row is None else Reminder(*row)

    def save_reminder(self, reminder: Reminder) -> None:
        """Insert or replace the member's whole reminder row."""
        placeholders = ", ".join("?" for _ in fields(Reminder))
        self.conn.execute(
            f"INSERT OR REPLACE INTO reminders ({_REMINDER_COLUMNS}) VALUES ({placeholders})",
            astuple(reminder),
        )

    def delete_reminder(self, user_id: int) -> bool:
        return (
            self.conn.execute("DELETE FROM reminders WHERE user_id = ?", (user_id,)).rowcount == 1
        )

    def get_delivery(self, user_id: int, local_day: str) -> Delivery | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_DELIVERY_COLUMNS} FROM nudge_deliveries WHERE user_id = ? AND local_day = ?",
            (user_id, local_day),
        )
        return None if row is None else Delivery(*row)

    def last_delivery(self, user_id: int) -> Delivery | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_DELIVERY_COLUMNS} FROM nudge_deliveries WHERE user_id = ?"
            " ORDER BY local_day DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else Delivery(*row)

    def save_delivery(self, delivery: Delivery) -> None:
        placeholders = ", ".join("?" for _ in fields(Delivery))
        self.conn.execute(
            f"INSERT OR REPLACE INTO nudge_deliveries ({_DELIVERY_COLUMNS})"
            f" VALUES ({placeholders})",
            astuple(delivery),
        )

    def seen_topics(self, audience_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT topic_id FROM topics_seen WHERE audience_id = ?", (audience_id,)
        )
        return {row[0] for row in rows}

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        """Record a topic as seen; a new cycle first forgets the previous one."""
        if new_cycle:
            self.conn.execute("DELETE FROM topics_seen WHERE audience_id = ?", (audience_id,))
        self.conn.execute(
            "INSERT INTO topics_seen (audience_id, topic_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (audience_id, topic_id),
        )

    def get_server_nudge(self, guild_id: int) -> ServerNudge | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_SERVER_COLUMNS} FROM server_nudges WHERE guild_id = ?",
            (guild_id,),
        )
        return None if row is None else ServerNudge(*row)

    def save_server_nudge(self, nudge: ServerNudge) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO server_nudges ({_SERVER_COLUMNS}) VALUES (?, ?, ?, ?)",
            astuple(nudge),
        )

    def delete_server_nudge(self, guild_id: int) -> None:
        self.conn.execute("DELETE FROM server_nudges WHERE guild_id = ?", (guild_id,))

    def defer_reminder(self, user_id: int, until: int) -> None:
        """Move every pending time of the member's reminder to no earlier than `until`."""
        self.conn.execute(
            "UPDATE reminders SET slot_at = MAX(slot_at, ?1),"
            " snooze_at = CASE WHEN snooze_at IS NULL THEN NULL ELSE MAX(snooze_at, ?1) END,"
            " due_at = MAX(due_at, ?1) WHERE user_id = ?2",
            (until, user_id),
        )

    def defer_server_nudge(self, guild_id: int, until: int) -> None:
        self.conn.execute(
            "UPDATE server_nudges SET due_at = MAX(due_at, ?) WHERE guild_id = ?", (until, guild_id)
        )
