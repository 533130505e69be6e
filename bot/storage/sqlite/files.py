"""What is wrong with a database path, in words the bot's owner can act on.

Opening the database can fail because of where it is, not because of a bug: a folder the
bot's user may not write to, a path under a regular file, a directory, a file that is not
a SQLite database, a full or read-only disk, a second process holding the lock. SQLite
and the OS report these as `sqlite3.Error`/`OSError` with terse texts ("unable to open
database file"); `explain` turns them into a `DatabaseFileError` that names the path,
what is wrong and how to fix it. Errors that point at a bug (an SQL syntax error in a
migration, say) are not explained: they keep their traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

# SQLite result codes (primary part of `sqlite3.Error.sqlite_errorcode`) that describe
# the file or its surroundings rather than the SQL.
_CANTOPEN = 14
_READONLY = 8
_PERM = 3
_BUSY = 5
_LOCKED = 6
_NOTADB = 26
_CORRUPT = 11
_FULL = 13
_IOERR = 10
_FILE_CODES = frozenset(
    {_CANTOPEN, _READONLY, _PERM, _BUSY, _LOCKED, _NOTADB, _CORRUPT, _FULL, _IOERR}
)


class DatabaseFileError(Exception):
    """The database at `path` cannot be used as it is; `problem` and `fix` say why and what
    to do. `problem` reads after the path (`'data/x.db': <problem>. <fix>`)."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"{str(path)!r}: {problem}. {fix}")

    def describe(self, variable: str) -> str:
        """One line naming the setting: `DATABASE_PATH='x.db': <problem>. <fix>`."""
        return f"{variable}={str(self.path)!r}: {self.problem}. {self.fix}"


def explains(error: BaseException) -> bool:
    """Whether `error` is about the database file (so `explain` has something to say)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _FILE_CODES
    return isinstance(error, OSError)


def _file_ancestor(path: Path) -> Path | None:
    """The first ancestor of `path` that exists but is not a folder, if any."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def _missing_or_unwritable_folder(path: Path) -> Path | None:
    """The folder that stops SQLite creating `path` and its `-wal`/`-shm` files: the nearest
    existing ancestor folder the current user may not write to, if any."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return folder
    return None


def explain(path: Path, error: BaseException) -> DatabaseFileError:
    """Describe why `path` could not be opened, created or written, given the `error`
    raised while doing so. Call only when `explains(error)`."""
    user = f"the user the bot runs as (uid {os.getuid()})" if hasattr(os, "getuid") else "the bot"
    elsewhere = "or point DATABASE_PATH at a file in a folder the bot may write to"
    if path.is_dir():
        return DatabaseFileError(
            path,
            "this is a directory, not a database file",
            f"Name a file instead, e.g. {path / 'backbone.db'}",
        )
    blocker = _file_ancestor(path)
    if blocker is not None:
        return DatabaseFileError(
            path,
            f"{blocker} is a regular file, not a folder, so nothing can be created under it",
            f"Fix the path (for example {blocker.parent / 'backbone.db'}), "
            f"or move {blocker} out of the way",
        )
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF if isinstance(error, sqlite3.Error) else 0
    if code == _NOTADB:
        return DatabaseFileError(
            path,
            "this file is not a SQLite database (another kind of file, or badly damaged)",
            "Point DATABASE_PATH at Backbone's database, or move this file away so a new "
            "database is created there",
        )
    if code == _CORRUPT:
        return DatabaseFileError(
            path,
            f"the database file is damaged ({error})",
            "Stop the bot and restore the latest backup over it (see README: Backup and "
            "restore), or move the file away to start with an empty database",
        )
    if code in (_BUSY, _LOCKED):
        return DatabaseFileError(
            path,
            f"another program holds the database locked ({error})",
            "Is a second Backbone running on the same file? Stop it and try again",
        )
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EROFS):
        return DatabaseFileError(
            path,
            f"cannot create {path.parent}: {error.strerror}",
            f"Free some space or mount the disk writable, {elsewhere}",
        )
    unwritable = _missing_or_unwritable_folder(path)
    if unwritable is not None:
        what = "create folders in" if unwritable != path.parent else "write to"
        return DatabaseFileError(
            path,
            f"{user} may not {what} {unwritable} (permission denied); SQLite needs to write "
            "the database and its -wal and -shm files next to it",
            f"Give that user write access to {unwritable} (chown or chmod), {elsewhere}",
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return DatabaseFileError(
            path,
            f"{user} may not read and write this file (permission denied)",
            f"Give that user read and write access to it (chown or chmod), {elsewhere}",
        )
    if code in (_FULL, _IOERR):
        return DatabaseFileError(
            path,
            f"SQLite could not write the database ({error})",
            f"Check that the disk is not full or failing, {elsewhere}",
        )
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return DatabaseFileError(
        path,
        f"cannot open or write the database ({reason})",
        "Check that the file and its folder are writable by the bot's user and the disk is "
        f"neither read-only nor full, {elsewhere}",
    )
