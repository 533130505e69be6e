"""The schedule on PostgreSQL, shared by several bot processes (migration 0003).

Triggers on each kind's table keep its rows' due instants here, and clear the lease of a
row whose due instant changes. A process takes due rows with `lease`, one statement that
locks its candidates with FOR UPDATE SKIP LOCKED: two processes leasing at once never
take the same row (one skips what the other holds locked, and anything it still collides
on fails serialization and is re-run by the unit's retry), and the rows they hold are
skipped by every lease until their lease ends.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import psycopg


class PostgresSchedule:
    """The schedule of timed deliveries (the `ScheduleStore` interface) on PostgreSQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def next_due_at(self, kinds: Collection[str]) -> int | None:
        """The soonest free row of each kind (one probe of `schedule_free` per kind), or
        the end of a lease on a leased row (the few in `schedule_leased`), whichever is
        sooner: a row that another process holds is not this process's work before then,
        so the scheduler sleeps instead of waking to find it taken."""
        if not kinds:
            return None
        row = self.conn.execute(
            "SELECT LEAST("
            " (SELECT MIN(free.due_at) FROM unnest(%(kinds)s::text[]) AS asked (kind)"
            "  CROSS JOIN LATERAL (SELECT due_at FROM schedule"
            "   WHERE schedule.kind = asked.kind AND leased_until IS NULL"
            "   ORDER BY due_at LIMIT 1) AS free),"
            " (SELECT MIN(GREATEST(due_at, leased_until)) FROM schedule"
            "  WHERE leased_until IS NOT NULL AND kind = ANY(%(kinds)s)))",
            {"kinds": list(kinds)},
        ).fetchone()
        due = None if row is None else row[0]
        return None if due is None else int(due)

    def lease(
        self, now: int, until: int, limit: int, kinds: Collection[str]
    ) -> list[tuple[str, int]]:
        """Take up to `limit` free due rows of these kinds, soonest first, until `until`.

        A lease that would end by `now` holds nothing, so none is recorded (the rows stay
        free, and `next_due_at` keeps reporting their due instant).
        """
        if not kinds:
            return []
        rows = self.conn.execute(
            # The due index, walked from the soonest: rows leased by others are skipped
            # by the filter, rows another lease is taking right now by SKIP LOCKED. The
            # rows taken are updated by their tuple ids (locked, so they stay put): a
            # join on the key would have the planner hash the whole schedule.
            "WITH leased AS ("
            " UPDATE schedule SET leased_until = CASE WHEN %(until)s > %(now)s"
            " THEN %(until)s::bigint END"
            " WHERE ctid = ANY(ARRAY("
            "  SELECT ctid FROM schedule"
            "  WHERE due_at <= %(now)s AND kind = ANY(%(kinds)s)"
            "  AND (leased_until IS NULL OR leased_until <= %(now)s)"
            "  ORDER BY due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED))"
            " RETURNING kind, key, due_at)"
            " SELECT kind, key FROM leased ORDER BY due_at, kind, key",
            {"now": now, "until": until, "limit": limit, "kinds": list(kinds)},
        )
        return [(str(kind), int(key)) for kind, key in rows]
