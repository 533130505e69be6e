"""/backday reminder on PostgreSQL (migration 0003); its schedule row follows by trigger."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import psycopg

from bot.storage.backday_reminders import BackdayReminder, ReminderDelivery
from bot.storage.postgres.connection import affected, fetch_one


class PostgresBackdayReminders:
    """Streak-at-risk reminders (the `BackdayReminderStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get(self, user_id: int) -> BackdayReminder | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, weekday, local_time, due_at, dm_channel_id, dm_refused_at, set_at"
            " FROM backday_reminders WHERE user_id = %s",
            (user_id,),
        )
        return None if row is None else BackdayReminder(*row)

    def save(self, reminder: BackdayReminder) -> None:
        self.conn.execute(
            "INSERT INTO backday_reminders"
            " (user_id, weekday, local_time, due_at, dm_channel_id, dm_refused_at, set_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET weekday = excluded.weekday,"
            " local_time = excluded.local_time, due_at = excluded.due_at,"
            " dm_channel_id = excluded.dm_channel_id, dm_refused_at = excluded.dm_refused_at,"
            " set_at = excluded.set_at",
            astuple(reminder),
        )

    def delete(self, user_id: int) -> bool:
        return (
            affected(self.conn, "DELETE FROM backday_reminders WHERE user_id = %s", (user_id,)) == 1
        )

    def get_delivery(self, user_id: int, week: str) -> ReminderDelivery | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, week, nonce, status, attempted_at FROM backday_reminder_deliveries"
            " WHERE user_id = %s AND week = %s",
            (user_id, week),
        )
        return None if row is None else ReminderDelivery(*row)

    def last_delivery(self, user_id: int) -> ReminderDelivery | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, week, nonce, status, attempted_at FROM backday_reminder_deliveries"
            " WHERE user_id = %s ORDER BY week DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else ReminderDelivery(*row)

    def save_delivery(self, delivery: ReminderDelivery) -> None:
        self.conn.execute(
            "INSERT INTO backday_reminder_deliveries (user_id, week, nonce, status, attempted_at)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (user_id, week) DO UPDATE SET nonce = excluded.nonce,"
            " status = excluded.status, attempted_at = excluded.attempted_at",
            astuple(delivery),
        )
