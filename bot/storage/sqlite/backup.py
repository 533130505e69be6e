"""An online, consistent copy of the database: `backbone backup PATH`.

The bot keeps the database in WAL mode with automatic checkpoints off (see
`connection`): recently committed rows may live only in the `-wal` file, so copying the
database file alone can miss them, and copying the two files while the bot writes can
pair a database file with a WAL from another moment. SQLite's backup API instead reads
every page through a connection of its own, inside one read transaction: the copy is the
database as of one commit, WAL included, and the bot keeps reading and writing meanwhile
(in WAL mode a reader blocks no writer).

The copy goes to a temporary file next to the target, is switched out of WAL mode (one
self-contained file), checked (`PRAGMA integrity_check`, and its `user_version` must match
the source's), made readable by its owner only (it holds members' data), and only then
renamed over the target: a failed backup never leaves a half-written file at PATH.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.storage.sqlite.connection import BUSY_TIMEOUT_MS
from bot.storage.sqlite.files import DatabaseFileError, explain, explains


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


class BackupTargetError(BackupError):
    """The target path cannot take the backup (exists, is a folder, missing folder...)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    """Bytes on disk."""
    schema_version: int
    """`PRAGMA user_version` of the copy (and of the source)."""


def _check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise BackupTargetError(f"{target} is a folder; name a file, e.g. {target / 'backbone.db'}")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise BackupTargetError(f"cannot write {target}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupTargetError(f"cannot write {target}: no permission to write in {folder}")
    if target.exists():
        if source.exists() and os.path.samefile(source, target):
            raise BackupTargetError(f"{target} is the database itself; name another file")
        if not force:
            raise BackupTargetError(
                f"{target} already exists; pass --force to overwrite it, or name a new file"
            )


def _open_source(source: Path) -> sqlite3.Connection:
    """Open the live database without creating it when DATABASE_PATH names no file."""
    if source.is_dir():
        raise DatabaseFileError(
            source, "this is a directory, not a database file", "Check DATABASE_PATH"
        )
    if not source.exists():
        raise DatabaseFileError(
            source,
            "there is no database here to back up",
            "Check DATABASE_PATH (the bot creates the file on its first start)",
        )
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite?
    except (OSError, sqlite3.Error) as error:
        if not explains(error):
            raise
        raise explain(source, error) from error
    return conn


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the database at `source` to `target` while others may be writing to it.

    Raises `BackupTargetError` for a target that cannot be used (it exists and not
    `force`, is a folder, its folder is missing or not writable), `DatabaseFileError`
    when `source` is no usable database, and `BackupError` when the copy fails its check.
    """
    _check_target(source, target, force=force)
    src = _open_source(source)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with contextlib.closing(sqlite3.connect(partial)) as dst:
            # One step (pages=-1): the whole copy is read in one read transaction, so it
            # is one consistent state even while the bot commits.
            src.backup(dst, pages=-1)
            source_version = _user_version(src)
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal next to it
            problems = [row[0] for row in dst.execute("PRAGMA integrity_check")]
            version = _user_version(dst)
        if problems != ["ok"]:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
        if version != source_version:
            raise BackupError(
                f"the copy is at schema version {version}, the database at {source_version}"
            )
        os.chmod(partial, 0o600)
        with open(partial, "rb") as copied:
            os.fsync(copied.fileno())
        os.replace(partial, target)
    except OSError as error:
        raise BackupTargetError(f"cannot write {target}: {error.strerror or error}") from error
    except sqlite3.Error as error:
        raise BackupError(f"the backup to {target} failed: {error}") from error
    finally:
        src.close()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(target, target.stat().st_size, version)
