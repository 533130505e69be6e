"""Posture reminders on PostgreSQL: the schedule, the per-day delivery record, topics seen,
and the server-wide channel nudges (migration 0003). Instants are unix seconds (UTC).

The dispatcher's claim and finish run these for every nudge, so each method is one
statement (one round trip) through a primary key: a save is one upsert, and the schedule
row follows by trigger within it. Only a new topic cycle costs a second statement.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import psycopg

from bot.storage.postgres.connection import affected, fetch_one
from bot.storage.posture import Delivery, Reminder, ServerNudge


class PostgresPosture:
    """Reminders, deliveries, topics seen and server nudges (`PostureStore`) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def get_reminder(self, user_id: int) -> Reminder | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, guild_id, local_time, days, slot_at, snooze_at, snooze_topic,"
            " due_at, dm_channel_id, dm_refused_at, opted_in_at"
            " FROM reminders WHERE user_id = %s",
            (user_id,),
        )
        return None if row is None else Reminder(*row)

    def save_reminder(self, reminder: Reminder) -> None:
        """Insert or replace the member's whole reminder row."""
        self.conn.execute(
            "INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, snooze_at,"
            " snooze_topic, due_at, dm_channel_id, dm_refused_at, opted_in_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id,"
            " local_time = excluded.local_time, days = excluded.days,"
            " slot_at = excluded.slot_at, snooze_at = excluded.snooze_at,"
            " snooze_topic = excluded.snooze_topic, due_at = excluded.due_at,"
            " dm_channel_id = excluded.dm_channel_id, dm_refused_at = excluded.dm_refused_at,"
            " opted_in_at = excluded.opted_in_at",
            astuple(reminder),
        )

    def delete_reminder(self, user_id: int) -> bool:
        return affected(self.conn, "DELETE FROM reminders WHERE user_id = %s", (user_id,)) == 1

    def get_delivery(self, user_id: int, local_day: str) -> Delivery | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, local_day, topic_id, nonce, status, attempted_at"
            " FROM nudge_deliveries WHERE user_id = %s AND local_day = %s",
            (user_id, local_day),
        )
        return None if row is None else Delivery(*row)

    def last_delivery(self, user_id: int) -> Delivery | None:
        row = fetch_one(
            self.conn,
            "SELECT user_id, local_day, topic_id, nonce, status, attempted_at"
            " FROM nudge_deliveries WHERE user_id = %s ORDER BY local_day DESC LIMIT 1",
            (user_id,),
        )
        return None if row is None else Delivery(*row)

    def save_delivery(self, delivery: Delivery) -> None:
        self.conn.execute(
            "INSERT INTO nudge_deliveries"
            " (user_id, local_day, topic_id, nonce, status, attempted_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (user_id, local_day) DO UPDATE SET topic_id = excluded.topic_id,"
            " nonce = excluded.nonce, status = excluded.status,"
            " attempted_at = excluded.attempted_at",
            astuple(delivery),
        )

    def seen_topics(self, audience_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT topic_id FROM topics_seen WHERE audience_id = %s", (audience_id,)
        )
        return {str(topic) for (topic,) in rows}

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        """Record a topic as seen; a new cycle first forgets the previous one."""
        if new_cycle:
            self.conn.execute("DELETE FROM topics_seen WHERE audience_id = %s", (audience_id,))
        self.conn.execute(
            "INSERT INTO topics_seen (audience_id, topic_id) VALUES (%s, %s)"
            " ON CONFLICT DO NOTHING",
            (audience_id, topic_id),
        )

    def get_server_nudge(self, guild_id: int) -> ServerNudge | None:
        row = fetch_one(
            self.conn,
            "SELECT guild_id, due_at, last_day, last_status FROM server_nudges WHERE guild_id = %s",
            (guild_id,),
        )
        return None if row is None else ServerNudge(*row)

    def save_server_nudge(self, nudge: ServerNudge) -> None:
        self.conn.execute(
            "INSERT INTO server_nudges (guild_id, due_at, last_day, last_status)"
            " VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (guild_id) DO UPDATE SET due_at = excluded.due_at,"
            " last_day = excluded.last_day, last_status = excluded.last_status",
            astuple(nudge),
        )

    def delete_server_nudge(self, guild_id: int) -> None:
        self.conn.execute("DELETE FROM server_nudges WHERE guild_id = %s", (guild_id,))

    def defer_reminder(self, user_id: int, until: int) -> None:
        """Move every pending time of the member's reminder to no earlier than `until`."""
        # GREATEST ignores NULLs, so an unsnoozed reminder must stay NULL explicitly.
        self.conn.execute(
            "UPDATE reminders SET slot_at = GREATEST(slot_at, %(until)s),"
            " snooze_at = CASE WHEN snooze_at IS NULL THEN NULL"
            " ELSE GREATEST(snooze_at, %(until)s) END,"
            " due_at = GREATEST(due_at, %(until)s) WHERE user_id = %(user_id)s",
            {"until": until, "user_id": user_id},
        )

    def defer_server_nudge(self, guild_id: int, until: int) -> None:
        self.conn.execute(
            "UPDATE server_nudges SET due_at = GREATEST(due_at, %s) WHERE guild_id = %s",
            (until, guild_id),
        )
