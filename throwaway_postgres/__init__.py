"""A throwaway PostgreSQL server for the tests and benchmarks: its own cluster in a
temporary folder, reachable only through a unix socket there, removed when stopped.

`make test` (and so `.ci/run`) installs Debian's `postgresql` package when no server
binaries are found; this module only finds them. It never skips: a machine without
PostgreSQL fails with a message that says how to install it. When run as root (CI),
`initdb` and the server run as the `postgres` user, since PostgreSQL refuses root.

    with Cluster.start() as cluster:
        url = cluster.create_database("contract_1")   # postgresql://postgres@/contract_1?host=...
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

SUPERUSER = "postgres"
INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl) were not found. Install them with "
    "`apt-get install postgresql` (`make test` does this itself when run as root)."
)

# Fast and disposable: a test cluster never has to survive a power cut.
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
COMMON_SETTINGS = {
    "listen_addresses": "''",  # the unix socket only: nothing on the network
    "max_connections": "200",
    "shared_buffers": "128MB",
    "max_locks_per_transaction": "256",
}


class PostgresNotInstalled(RuntimeError):
    pass


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: pg_config's answer, else Debian's newest."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and (Path(found) / "initdb").exists() and (Path(found) / "pg_ctl").exists():
            return Path(found)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(debian):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresNotInstalled(INSTALL_HINT)


class Cluster:
    """A running throwaway cluster; `stop()` (or leaving the `with`) removes it."""

    def __init__(self, root: Path, bindir: Path, as_user: str | None) -> None:
        self.root = root
        self.data = root / "data"
        self.socket_dir = root
        self.bindir = bindir
        self._as_user = as_user
        self._names = itertools.count(1)
        self.running = False

    @classmethod
    def start(cls, *, durable: bool = False, settings: dict[str, str] | None = None) -> Cluster:
        """initdb a new cluster in a temporary folder and start it (a second or two).

        `durable` keeps PostgreSQL's crash-safe defaults (fsync on) for benchmarks, where
        the numbers must be those of a real deployment; tests turn them off.
        """
        bindir = server_binaries()
        as_user = SUPERUSER if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="backbone-pg-"))
        if as_user is not None:
            entry = pwd.getpwnam(as_user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, bindir, as_user)
        try:
            cluster._initdb()
            options = {**COMMON_SETTINGS, **({} if durable else THROWAWAY_SETTINGS)}
            options.update(settings or {})
            options["unix_socket_directories"] = f"'{root}'"
            cluster._pg_ctl(
                "start",
                "-w",
                "-l",
                str(root / "server.log"),
                "-o",
                " ".join(f"-c {name}={value}" for name, value in options.items()),
            )
            cluster.running = True
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, args: Sequence[str]) -> None:
        command = [*args]
        if self._as_user is not None:
            command = ["runuser", "-u", self._as_user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{tail}"
            )

    def _initdb(self) -> None:
        self._run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run([str(self.bindir / "pg_ctl"), "--pgdata", str(self.data), *args])

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for `database` on this cluster's socket, as DATABASE_URL takes it."""
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`) and return its URL."""
        import psycopg  # late: only the tests and benchmarks that use a cluster need it

        name = name or f"db_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            copy = f" TEMPLATE {template}" if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once (nothing in it is worth a clean shutdown) and remove it."""
        if self.running:
            with contextlib.suppress(RuntimeError):
                self._pg_ctl("stop", "-m", "immediate", "-w")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
