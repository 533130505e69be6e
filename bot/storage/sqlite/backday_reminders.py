"""/backday reminder on SQLite (migration 0005); its schedule row follows by trigger."""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, fields

from bot.storage.backday_reminders import BackdayReminder, ReminderDelivery
from bot.storage.sqlite.connection import fetch_one

_REMINDER_COLUMNS = ", ".join(f.name for f in fields(BackdayReminder))
_DELIVERY_COLUMNS = ", ".join(f.name for f in fields(ReminderDelivery))


class SqliteBackdayReminders:
    """Streak-at-risk reminders (the `BackdayReminderStore` interface) on SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, user_id: int) -> BackdayReminder | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_REMINDER_COLUMNS} FROM backday_reminders WHERE user_id = ?",
            (user_id,),
        )
        return None if row is None else BackdayReminder(*row)

    def save(self, reminder: BackdayReminder) -> None:
        placeholders = ", ".join("?" for _ in fields(BackdayReminder))
        self.conn.execute(
            f"INSERT OR REPLACE INTO backday_reminders ({_REMINDER_COLUMNS})"
            f" VALUES ({placeholders})",
            astuple(reminder),
        )

    def delete(self, user_id: int) -> bool:
        cursor = self.conn.execute("DELETE FROM backday_reminders WHERE user_id = ?", (user_id,))
        return cursor.rowcount == 1

    def get_delivery(self, user_id: int, week: str) -> ReminderDelivery | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_DELIVERY_COLUMNS} FROM backday_reminder_deliveries"
            " WHERE user_id = ? AND week = ?",
            (user_id, week),
        )
        return None if row is None else ReminderDelivery(*row)

    def last_delivery(self, user_id: int) -> ReminderDelivery | None:
        row = fetch_one(
            self.conn,
            f"SELECT {_DELIVERY_COLUMNS} FROM backday_reminder_deliveries WHERE user_id = ?"
            " ORDER BY week DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else ReminderDelivery(*row)

    def save_delivery(self, delivery: ReminderDelivery) -> None:
        placeholders = ", ".join("?" for _ in fields(ReminderDelivery))
        self.conn.execute(
            f"INSERT OR REPLACE INTO backday_reminder_deliveries ({_DELIVERY_COLUMNS})"
            f" VALUES ({placeholders})",
            astuple(delivery),
        )
