"""What storage keeps about one member, for /privacy export and /privacy delete.

`MEMBER_TABLES` is the one list of tables that hold a member's data and the column that
holds their id; `NO_MEMBER_DATA` names every other table with the reason it holds none.
A test compares both lists with the schema after all migrations, so a new table that
nobody classified fails the build instead of escaping export and delete. Every backend
has the same tables, so the list is shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MemberTable:
    table: str
    column: str
    """The column holding the member's Discord user id."""
    order_by: str
    """Export order within the member's rows (a stable, readable file)."""
    about: str
    """What the rows are, in words, for the export file."""

    @property
    def select_sql(self) -> str:
        return f"SELECT * FROM {self.table} WHERE {self.column} = ? ORDER BY {self.order_by}"

    @property
    def count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM {self.table} WHERE {self.column} = ?"

    @property
    def delete_sql(self) -> str:
        return f"DELETE FROM {self.table} WHERE {self.column} = ?"


MEMBER_TABLES: tuple[MemberTable, ...] = (
    MemberTable(
        "member_settings",
        "user_id",
        "user_id",
        "Your own settings: the timezone your weeks and posture nudges follow, and whether "
        "you hide yourself from the leaderboards (leaderboard_hidden: 1 hidden, 0 shown).",
    ),
    # Before backday_logs: deleting a log also counts it out of its month, so deleting
    # the month rows first makes the deleted counts match the summary.
    MemberTable(
        "monthly_days",
        "user_id",
        "guild_id, month",
        "Your back days per server and calendar month, for the month leaderboard, with "
        "copies of your best streak and total back days (its tie-breaks) and whether you "
        "are hidden.",
    ),
    MemberTable(
        "backday_logs",
        "user_id",
        "guild_id, day",
        "Every back day you logged, per server, with its note and when you logged it.",
    ),
    MemberTable(
        "member_stats",
        "user_id",
        "guild_id",
        "Your weekly streak per server (current, best, total back days) for the leaderboards, "
        "and whether you are hidden from them.",
    ),
    MemberTable(
        "reminders",
        "user_id",
        "user_id",
        "Your daily posture nudge: time, days, next due instant, DM channel and DM status.",
    ),
    MemberTable(
        "nudge_deliveries",
        "user_id",
        "local_day",
        "Each day a posture nudge was sent (or tried) to you, and how it went (kept 90 days).",
    ),
    MemberTable(
        "topics_seen",
        "audience_id",
        "topic_id",
        "The posture topics you have seen in the current rotation.",
    ),
    MemberTable(
        "backday_reminders",
        "user_id",
        "user_id",
        "Your streak-at-risk reminder: weekday, time, next due instant, DM channel and status.",
    ),
    MemberTable(
        "backday_reminder_deliveries",
        "user_id",
        "week",
        "Each week a streak-at-risk reminder was due for you, and how it went (kept 90 days).",
    ),
)

NO_MEMBER_DATA: dict[str, str] = {
    "bot_state": "facts the bot keeps about itself (e.g. the synced command tree's hash)",
    "guild_settings": "per-server settings chosen by server admins",
    "server_nudges": "the schedule of each server's public channel nudge",
    "schedule": (
        "when each timed delivery is next due, kept by triggers from the tables it indexes: "
        "a member's rows go when their reminders are deleted"
    ),
    "standing_counts": (
        "how many shown members share each streak and all-time standing: counts with no "
        "ids, kept by triggers on member_stats, so deleting a member's stats updates it"
    ),
    "month_counts": (
        "how many shown members share each month-board standing: counts with no ids, kept "
        "by triggers on monthly_days, so deleting a member's month rows updates it"
    ),
    "server_recaps": "the schedule and last outcome of each server's weekly recap post",
    "ask_misses": (
        "/ask questions that found no good match, counted per server and day with no user "
        "id, kept 90 days (RETENTION_DAYS) for /coach insights"
    ),
    "entry_opens": (
        "how often each knowledge entry was opened, per server and day with no user id, "
        "kept 90 days for /coach insights"
    ),
    "retention": "when the daily job that forgets old history next runs, and what it did",
}

RETENTION_DAYS = 90
"""Delivery history and the /coach insights counters are kept this long, then pruned."""

ANONYMOUS_TABLES: tuple[str, ...] = ("ask_misses", "entry_opens")
"""Tables that record what members do without saying who: tests check that no user id
can be found in them."""


@dataclass(frozen=True, slots=True)
class MemberSummary:
    counts: dict[str, int]
    """Rows per member table (every table in MEMBER_TABLES, zeros included)."""
    servers: int
    """Servers where the member has back-day logs or a streak."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class PrivacyStore(Protocol):
    def export_member(self, user_id: int) -> dict[str, list[dict[str, object]]]:
        """Every row stored about the member: table name -> rows as {column: value}."""
        ...

    def summarize_member(self, user_id: int) -> MemberSummary:
        """How many rows each member table holds for the member, and in how many servers."""
        ...

    def delete_member(self, user_id: int) -> dict[str, int]:
        """Delete every row stored about the member (in a write unit); rows per table."""
        ...
