"""Placeholder until this store is ported to PostgreSQL (issue #13, in progress)."""

from __future__ import annotations

from typing import Any

import psycopg


class PostgresBackdayReminders:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
