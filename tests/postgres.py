"""The test run's one throwaway PostgreSQL cluster, started on first use.

Tests that need PostgreSQL call `fresh_database()` for a database of their own. The
cluster starts once per test run (about a second) and is removed when the run ends
(`tests/conftest.py`). A machine without PostgreSQL fails these tests: `make test`
installs it, and a missing server must never pass as a skipped suite.
"""

from __future__ import annotations

import atexit
import threading

from throwaway_postgres import Cluster

_lock = threading.Lock()
_cluster: Cluster | None = None
_template: str | None = None


def cluster() -> Cluster:
    global _cluster
    with _lock:
        if _cluster is None:
            _cluster = Cluster.start()
            atexit.register(_cluster.stop)
        return _cluster


def fresh_database(*, migrated: bool = True) -> str:
    """The URL of a new database: empty, or (default) at the latest schema already, copied
    from a template migrated once per run (much faster than migrating each time)."""
    global _template
    server = cluster()
    if not migrated:
        return server.create_database()
    with _lock:
        if _template is None:
            from bot.storage.postgres.connection import PostgresDatabase

            name = "backbone_template"
            url = server.create_database(name)
            PostgresDatabase._open(url, 1).pool.close()
            _template = name
    return server.create_database(template=_template)


def stop() -> None:
    global _cluster, _template
    with _lock:
        if _cluster is not None:
            _cluster.stop()
            _cluster = None
            _template = None
