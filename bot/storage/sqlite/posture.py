"""Posture reminders on SQLite: the schedule, the per-day delivery record, topics seen, and
the server-wide channel nudges. Instants are unix seconds (UTC)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, fields

from bot.storage.posture import (
    DELIVERIES_BEFORE_SLOT,
    Delivery,
    DeliveryOutcome,
    NudgeState,
    Reminder,
    ServerNudge,
    TopicSeen,
)
from bot.storage.settings import DEFAULT_TIMEZONE
from bot.storage.sqlite.connection import fetch_one

_REMINDER_COLUMNS = ", ".join(f.name for f in fields(Reminder))
_REMINDER_COLUMNS_R = ", ".join(f"r.{f.name}" for f in fields(Reminder))
_DELIVERY_COLUMNS = ", ".join(f.name for f in fields(Delivery))
_DELIVERY_COLUMNS_D = ", ".join(f"d.{f.name}" for f in fields(Delivery))
_REMINDER_WIDTH = len(fields(Reminder))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


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
        self.save_reminders([reminder])

    def save_reminders(self, reminders: Sequence[Reminder]) -> None:
        placeholders = ", ".join("?" for _ in fields(Reminder))
        self.conn.executemany(
            f"INSERT OR REPLACE INTO reminders ({_REMINDER_COLUMNS}) VALUES ({placeholders})",
            map(astuple, reminders),
        )

    def delete_reminder(self, user_id: int) -> bool:
        return (
            self.conn.execute("DELETE FROM reminders WHERE user_id = ?", (user_id,)).rowcount == 1
        )

    def nudge_states(self, user_ids: Sequence[int]) -> dict[int, NudgeState]:
        if not user_ids:
            return {}
        marks = _marks(user_ids)
        seen: defaultdict[int, set[str]] = defaultdict(set)
        for audience_id, topic_id in self.conn.execute(
            f"SELECT audience_id, topic_id FROM topics_seen WHERE audience_id IN ({marks})",
            tuple(user_ids),
        ):
            seen[audience_id].add(topic_id)
        deliveries: defaultdict[int, list[Delivery]] = defaultdict(list)
        for row in self.conn.execute(
            f"SELECT {_DELIVERY_COLUMNS_D} FROM nudge_deliveries AS d"
            " JOIN reminders AS r ON r.user_id = d.user_id"
            f" WHERE d.user_id IN ({marks})"
            " AND d.local_day >= date(r.slot_at - ?, 'unixepoch') ORDER BY d.local_day",
            (*user_ids, DELIVERIES_BEFORE_SLOT),
        ):
            deliveries[row[0]].append(Delivery(*row))
        states = {}
        for row in self.conn.execute(
            f"SELECT {_REMINDER_COLUMNS_R}, COALESCE(m.timezone, ?), g.nudge_channel_id"
            " FROM reminders AS r"
            " LEFT JOIN member_settings AS m ON m.user_id = r.user_id"
            " LEFT JOIN guild_settings AS g ON g.guild_id = r.guild_id"
            f" WHERE r.user_id IN ({marks})",
            (DEFAULT_TIMEZONE, *user_ids),
        ):
            reminder = Reminder(*row[:_REMINDER_WIDTH])
            timezone, channel_id = row[_REMINDER_WIDTH:]
            states[reminder.user_id] = NudgeState(
                reminder,
                timezone,
                channel_id,
                frozenset(seen[reminder.user_id]),
                tuple(deliveries[reminder.user_id]),
            )
        return states

    def reminders_with_zones(self, user_ids: Sequence[int]) -> dict[int, tuple[Reminder, str]]:
        if not user_ids:
            return {}
        rows = self.conn.execute(
            f"SELECT {_REMINDER_COLUMNS_R}, COALESCE(m.timezone, ?) FROM reminders AS r"
            " LEFT JOIN member_settings AS m ON m.user_id = r.user_id"
            f" WHERE r.user_id IN ({_marks(user_ids)})",
            (DEFAULT_TIMEZONE, *user_ids),
        )
        return {row[0]: (Reminder(*row[:_REMINDER_WIDTH]), row[_REMINDER_WIDTH]) for row in rows}

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

    def set_delivery_statuses(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        self.conn.executemany(
            "UPDATE nudge_deliveries SET status = ?, attempted_at = ?"
            " WHERE user_id = ? AND local_day = ?",
            [(o.status, o.attempted_at, o.user_id, o.local_day) for o in outcomes],
        )

    def save_delivery(self, delivery: Delivery) -> None:
        self.save_deliveries([delivery])

    def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        placeholders = ", ".join("?" for _ in fields(Delivery))
        self.conn.executemany(
            f"INSERT OR REPLACE INTO nudge_deliveries ({_DELIVERY_COLUMNS})"
            f" VALUES ({placeholders})",
            map(astuple, deliveries),
        )

    def seen_topics(self, audience_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT topic_id FROM topics_seen WHERE audience_id = ?", (audience_id,)
        )
        return {row[0] for row in rows}

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        """Record a topic as seen; a new cycle first forgets the previous one."""
        self.mark_seen_many([TopicSeen(audience_id, topic_id, new_cycle)])

    def mark_seen_many(self, seen: Sequence[TopicSeen]) -> None:
        self.conn.executemany(
            "DELETE FROM topics_seen WHERE audience_id = ?",
            [(s.audience_id,) for s in seen if s.new_cycle],
        )
        self.conn.executemany(
            "INSERT INTO topics_seen (audience_id, topic_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(s.audience_id, s.topic_id) for s in seen],
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
