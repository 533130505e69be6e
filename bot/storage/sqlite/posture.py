"""Posture reminders: the schedule, the per-day delivery record, topics seen, and the
server-wide channel nudges. Instants are unix seconds (UTC)."""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields

from bot.storage.sqlite.connection import fetch_one
from bot.storage.sqlite.settings import DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class Reminder:
    user_id: int
    guild_id: int
    local_time: str
    days: str
    slot_at: int
    snooze_at: int | None
    snooze_topic: str | None
    due_at: int
    dm_channel_id: int | None
    dm_refused_at: int | None
    opted_in_at: int


@dataclass(frozen=True, slots=True)
class Delivery:
    user_id: int
    local_day: str
    topic_id: str
    nonce: str
    status: str
    attempted_at: int


@dataclass(frozen=True, slots=True)
class ServerNudge:
    guild_id: int
    due_at: int
    last_day: str | None
    last_status: str | None


_REMINDER_COLUMNS = ", ".join(f.name for f in fields(Reminder))
_DELIVERY_COLUMNS = ", ".join(f.name for f in fields(Delivery))
_SERVER_COLUMNS = ", ".join(f.name for f in fields(ServerNudge))


def get_reminder(conn: sqlite3.Connection, user_id: int) -> Reminder | None:
    row = fetch_one(
        conn, f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE user_id = ?", (user_id,)
    )
    return None if row is None else Reminder(*row)


def save_reminder(conn: sqlite3.Connection, reminder: Reminder) -> None:
    """Insert or replace the member's whole reminder row."""
    placeholders = ", ".join("?" for _ in fields(Reminder))
    conn.execute(
        f"INSERT OR REPLACE INTO reminders ({_REMINDER_COLUMNS}) VALUES ({placeholders})",
        astuple(reminder),
    )


def delete_reminder(conn: sqlite3.Connection, user_id: int) -> bool:
    return conn.execute("DELETE FROM reminders WHERE user_id = ?", (user_id,)).rowcount == 1


def member_timezone(conn: sqlite3.Connection, user_id: int) -> str | None:
    row = fetch_one(conn, "SELECT timezone FROM member_settings WHERE user_id = ?", (user_id,))
    return None if row is None or row[0] is None else str(row[0])


def reminder_zone(conn: sqlite3.Connection, user_id: int) -> str:
    return member_timezone(conn, user_id) or DEFAULT_TIMEZONE


def set_member_timezone(conn: sqlite3.Connection, user_id: int, timezone: str) -> None:
    conn.execute(
        "INSERT INTO member_settings (user_id, timezone) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
        (user_id, timezone),
    )


def due_reminders(conn: sqlite3.Connection, now: int, limit: int) -> list[int]:
    """Members whose nudge (regular or snoozed) is due at `now`, soonest first."""
    rows = conn.execute(
        "SELECT user_id FROM reminders WHERE due_at <= ? ORDER BY due_at LIMIT ?", (now, limit)
    )
    return [row[0] for row in rows]


def next_due_at(conn: sqlite3.Connection) -> int | None:
    """The soonest due instant of any member or server nudge (two index lookups)."""
    (members,) = fetch_one(conn, "SELECT MIN(due_at) FROM reminders")
    (servers,) = fetch_one(conn, "SELECT MIN(due_at) FROM server_nudges")
    due = [at for at in (members, servers) if at is not None]
    return min(due) if due else None


def get_delivery(conn: sqlite3.Connection, user_id: int, local_day: str) -> Delivery | None:
    row = fetch_one(
        conn,
        f"SELECT {_DELIVERY_COLUMNS} FROM nudge_deliveries WHERE user_id = ? AND local_day = ?",
        (user_id, local_day),
    )
    return None if row is None else Delivery(*row)


def last_delivery(conn: sqlite3.Connection, user_id: int) -> Delivery | None:
    row = fetch_one(
        conn,
        f"SELECT {_DELIVERY_COLUMNS} FROM nudge_deliveries WHERE user_id = ?"
        " ORDER BY local_day DESC LIMIT 1",
        (user_id,),
    )
    return None if row is None else Delivery(*row)


def save_delivery(conn: sqlite3.Connection, delivery: Delivery) -> None:
    placeholders = ", ".join("?" for _ in fields(Delivery))
    conn.execute(
        f"INSERT OR REPLACE INTO nudge_deliveries ({_DELIVERY_COLUMNS}) VALUES ({placeholders})",
        astuple(delivery),
    )


def seen_topics(conn: sqlite3.Connection, audience_id: int) -> set[str]:
    rows = conn.execute("SELECT topic_id FROM topics_seen WHERE audience_id = ?", (audience_id,))
    return {row[0] for row in rows}


def mark_seen(
    conn: sqlite3.Connection, audience_id: int, topic_id: str, *, new_cycle: bool
) -> None:
    """Record a topic as seen; a new cycle first forgets the previous one."""
    if new_cycle:
        conn.execute("DELETE FROM topics_seen WHERE audience_id = ?", (audience_id,))
    conn.execute(
        "INSERT INTO topics_seen (audience_id, topic_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (audience_id, topic_id),
    )


def get_server_nudge(conn: sqlite3.Connection, guild_id: int) -> ServerNudge | None:
    row = fetch_one(
        conn, f"SELECT {_SERVER_COLUMNS} FROM server_nudges WHERE guild_id = ?", (guild_id,)
    )
    return None if row is None else ServerNudge(*row)


def save_server_nudge(conn: sqlite3.Connection, nudge: ServerNudge) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO server_nudges ({_SERVER_COLUMNS}) VALUES (?, ?, ?, ?)",
        astuple(nudge),
    )


def delete_server_nudge(conn: sqlite3.Connection, guild_id: int) -> None:
    conn.execute("DELETE FROM server_nudges WHERE guild_id = ?", (guild_id,))


def due_server_nudges(conn: sqlite3.Connection, now: int, limit: int) -> list[int]:
    rows = conn.execute(
        "SELECT guild_id FROM server_nudges WHERE due_at <= ? ORDER BY due_at LIMIT ?",
        (now, limit),
    )
    return [row[0] for row in rows]


def defer_reminder(conn: sqlite3.Connection, user_id: int, until: int) -> None:
    """Move every pending time of the member's reminder to no earlier than `until`."""
    conn.execute(
        "UPDATE reminders SET slot_at = MAX(slot_at, ?1),"
        " snooze_at = CASE WHEN snooze_at IS NULL THEN NULL ELSE MAX(snooze_at, ?1) END,"
        " due_at = MAX(due_at, ?1) WHERE user_id = ?2",
        (until, user_id),
    )


def defer_server_nudge(conn: sqlite3.Connection, guild_id: int, until: int) -> None:
    conn.execute(
        "UPDATE server_nudges SET due_at = MAX(due_at, ?) WHERE guild_id = ?", (until, guild_id)
    )
