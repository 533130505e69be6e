"""Posture reminders on PostgreSQL: the schedule, the per-day delivery record, topics seen,
and the server-wide channel nudges (migration 0003). Instants are unix seconds (UTC).

The dispatcher claims and finishes nudges a batch at a time: a batch's state is read in
one round trip (`nudge_states` sends its two statements before reading either, in the
unit's pipeline), and each write is one statement through a primary key whose result
nobody waits for (a save is one upsert, and the schedule row follows by trigger within
it), so it travels with the COMMIT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, fields
from typing import Any

import psycopg

from bot.storage.postgres.connection import affected, fetch_one
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

_REMINDER_COLUMNS_R = ", ".join(f"r.{f.name}" for f in fields(Reminder))
_REMINDER_WIDTH = len(fields(Reminder))

NUDGE_STATES = (
    f"SELECT {_REMINDER_COLUMNS_R}, COALESCE(m.timezone, %s), g.nudge_channel_id,"
    " ARRAY(SELECT t.topic_id FROM topics_seen AS t WHERE t.audience_id = r.user_id)"
    " FROM reminders AS r"
    " LEFT JOIN member_settings AS m ON m.user_id = r.user_id"
    " LEFT JOIN guild_settings AS g ON g.guild_id = r.guild_id"
    " WHERE r.user_id = ANY(%s)"
)

RECENT_DELIVERIES = (
    "SELECT d.user_id, d.local_day, d.topic_id, d.nonce, d.status, d.attempted_at"
    " FROM nudge_deliveries AS d JOIN reminders AS r ON r.user_id = d.user_id"
    " WHERE d.user_id = ANY(%s) AND d.local_day >="
    " to_char(to_timestamp(r.slot_at - %s) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    " ORDER BY d.local_day"
)

SAVE_REMINDERS = (
    "INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, snooze_at,"
    " snooze_topic, due_at, dm_channel_id, dm_refused_at, opted_in_at)"
    " SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::bigint[],"
    " %s::bigint[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
    " ON CONFLICT (user_id) DO UPDATE SET guild_id = excluded.guild_id,"
    " local_time = excluded.local_time, days = excluded.days,"
    " slot_at = excluded.slot_at, snooze_at = excluded.snooze_at,"
    " snooze_topic = excluded.snooze_topic, due_at = excluded.due_at,"
    " dm_channel_id = excluded.dm_channel_id, dm_refused_at = excluded.dm_refused_at,"
    " opted_in_at = excluded.opted_in_at"
)
"""Each row given as a column of arrays: a batch is one statement, whatever its size."""

SAVE_DELIVERIES = (
    "INSERT INTO nudge_deliveries (user_id, local_day, topic_id, nonce, status, attempted_at)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],"
    " %s::bigint[])"
    " ON CONFLICT (user_id, local_day) DO UPDATE SET topic_id = excluded.topic_id,"
    " nonce = excluded.nonce, status = excluded.status, attempted_at = excluded.attempted_at"
)

SET_DELIVERY_STATUSES = (
    "UPDATE nudge_deliveries AS d SET status = o.status, attempted_at = o.attempted_at"
    " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[])"
    " AS o(user_id, local_day, status, attempted_at)"
    " WHERE d.user_id = o.user_id AND d.local_day = o.local_day"
)

FORGET_SEEN = "DELETE FROM topics_seen WHERE audience_id = ANY(%s::bigint[])"
MARK_SEEN = (
    "INSERT INTO topics_seen (audience_id, topic_id)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[]) ON CONFLICT DO NOTHING"
)


def _columns(rows: Sequence[tuple[object, ...]], width: int) -> tuple[list[object], ...]:
    """Rows as columns, for unnest: ([a1, a2], [b1, b2]) from [(a1, b1), (a2, b2)]."""
    return tuple([row[i] for row in rows] for i in range(width))


REMINDERS_WITH_ZONES = (
    f"SELECT {_REMINDER_COLUMNS_R}, COALESCE(m.timezone, %s) FROM reminders AS r"
    " LEFT JOIN member_settings AS m ON m.user_id = r.user_id WHERE r.user_id = ANY(%s)"
)


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
        self.save_reminders([reminder])

    def save_reminders(self, reminders: Sequence[Reminder]) -> None:
        if reminders:
            rows = [astuple(r) for r in reminders]
            self.conn.execute(SAVE_REMINDERS, _columns(rows, _REMINDER_WIDTH))

    def delete_reminder(self, user_id: int) -> bool:
        return affected(self.conn, "DELETE FROM reminders WHERE user_id = %s", (user_id,)) == 1

    def nudge_states(self, user_ids: Sequence[int]) -> dict[int, NudgeState]:
        if not user_ids:
            return {}
        ids = list(user_ids)
        # Both statements are sent before either result is read: one round trip.
        reminders = self.conn.execute(NUDGE_STATES, (DEFAULT_TIMEZONE, ids))
        recent = self.conn.execute(RECENT_DELIVERIES, (ids, DELIVERIES_BEFORE_SLOT))
        states = {}
        for row in reminders:
            reminder = Reminder(*row[:_REMINDER_WIDTH])
            timezone, channel_id, seen = row[_REMINDER_WIDTH:]
            states[reminder.user_id] = (reminder, timezone, channel_id, frozenset(seen))
        deliveries: defaultdict[int, list[Delivery]] = defaultdict(list)
        for row in recent:
            deliveries[row[0]].append(Delivery(*row))
        return {
            user_id: NudgeState(*state, tuple(deliveries[user_id]))
            for user_id, state in states.items()
        }

    def reminders_with_zones(self, user_ids: Sequence[int]) -> dict[int, tuple[Reminder, str]]:
        if not user_ids:
            return {}
        rows = self.conn.execute(REMINDERS_WITH_ZONES, (DEFAULT_TIMEZONE, list(user_ids)))
        return {row[0]: (Reminder(*row[:_REMINDER_WIDTH]), row[_REMINDER_WIDTH]) for row in rows}

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

    def set_delivery_statuses(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        if outcomes:
            self.conn.execute(SET_DELIVERY_STATUSES, _columns([astuple(o) for o in outcomes], 4))

    def save_delivery(self, delivery: Delivery) -> None:
        self.save_deliveries([delivery])

    def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self.conn.execute(SAVE_DELIVERIES, _columns([astuple(d) for d in deliveries], 6))

    def seen_topics(self, audience_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT topic_id FROM topics_seen WHERE audience_id = %s", (audience_id,)
        )
        return {str(topic) for (topic,) in rows}

    def mark_seen(self, audience_id: int, topic_id: str, *, new_cycle: bool) -> None:
        """Record a topic as seen; a new cycle first forgets the previous one."""
        self.mark_seen_many([TopicSeen(audience_id, topic_id, new_cycle)])

    def mark_seen_many(self, seen: Sequence[TopicSeen]) -> None:
        if not seen:
            return
        forget = [s.audience_id for s in seen if s.new_cycle]
        if forget:
            self.conn.execute(FORGET_SEEN, (forget,))
        self.conn.execute(MARK_SEEN, ([s.audience_id for s in seen], [s.topic_id for s in seen]))

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
