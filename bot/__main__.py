"""Command line: `backbone run | check | preview | sync | backup` (also `python -m bot ...`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.config import ConfigError, Secret, Settings
from bot.features.knowledge.loader import KnowledgeBaseError
from bot.features.knowledge.store import Knowledge, KnowledgeStore
from bot.runtime.logs import setup_logging
from bot.storage import Storage
from bot.storage.postgres.connection import PostgresUnavailable
from bot.storage.postgres.migrations import DatabaseTooNewError as PostgresTooNewError
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.files import DatabaseFileError
from bot.storage.sqlite.migrations import DatabaseTooNewError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

if TYPE_CHECKING:
    from bot.app import Backbone


def _fail(message: str) -> int:
    print(f"backbone: {message}", file=sys.stderr)
    return EXIT_USAGE


def _load_knowledge(directory: Path) -> Knowledge:
    try:
        return Knowledge.load(directory)
    except KnowledgeBaseError as exc:
        print(f"The knowledge base in {directory} has {len(exc.errors)} error(s):", file=sys.stderr)
        for line in exc.lines():
            print(line, file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _make_bot(
    settings: Settings, knowledge: Knowledge, storage: Storage | None, *, serve: bool
) -> Backbone:
    """`serve`: this process serves members (`run`), so it syncs changed commands on
    start and runs the nudge dispatcher; `sync` and `preview` only load the cogs."""
    from bot.app import Backbone  # late: `check` and `preview` need no Discord client

    # discord.py reads its REST base from this class attribute for every request,
    # interaction callbacks included; `Backbone.setup_hook` moves the gateway with it.
    discord.http.Route.BASE = settings.api_base_url
    return Backbone(
        settings=settings,
        knowledge=KnowledgeStore(settings.knowledge_dir, knowledge),
        storage=storage,  # type: ignore[arg-type]  # None only for preview: no cog touches it
        sync_on_start=serve,
        background_tasks=serve,
    )


async def open_storage(settings: Settings) -> Storage:
    """PostgreSQL when DATABASE_URL is set (several processes can share it), else the SQLite
    file at DATABASE_PATH; either migrated to the latest schema."""
    if settings.database_url is not None:
        from bot.storage.postgres import PostgresStorage

        return await PostgresStorage.open(settings.database_url.reveal())
    return await SqliteStorage.open(settings.database_path)


async def _run(settings: Settings, knowledge: Knowledge, token: Secret) -> int:
    storage = await open_storage(settings)
    try:
        bot = _make_bot(settings, knowledge, storage, serve=True)
        async with bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(token.reveal())
    finally:
        await storage.close()
    return EXIT_OK


async def _sync(
    settings: Settings,
    knowledge: Knowledge,
    token: Secret,
    guild: int | None,
    clear_guild: int | None = None,
) -> int:
    from bot.runtime.sync import clear_guild as clear_guild_copies
    from bot.runtime.sync import sync_commands

    storage = await open_storage(settings)
    target = clear_guild if clear_guild is not None else guild
    try:
        bot = _make_bot(settings, knowledge, storage, serve=False)
        async with bot:
            await bot.login(token.reveal())
            if clear_guild is not None:
                await clear_guild_copies(bot.tree, storage, bot.application_id, clear_guild)
            else:
                count = await sync_commands(
                    bot.tree, storage, bot.application_id, guild, force=True
                )
    except (discord.Forbidden, discord.NotFound) as exc:
        if target is None:
            raise
        return _fail(
            f"Discord refused access to server {target} ({exc.text or exc.status}): is the "
            "bot in that server, invited with the applications.commands scope?"
        )
    finally:
        await storage.close()
    if clear_guild is not None:
        print(
            f"Removed the slash commands registered on server {clear_guild} only; "
            "the global ones stay."
        )
        return EXIT_OK
    where = f"server {guild}" if guild else "all servers (global; may take up to an hour to show)"
    print(f"Synced {count or 0} slash commands to {where}.")
    return EXIT_OK


async def _help_listing(settings: Settings, knowledge: Knowledge) -> list[tuple[str, str]]:
    """Load the cogs without connecting, to list the real command tree: `/help` shows it,
    and `preview` reads `/posture tip` as one command and tells live-only ones apart."""
    from bot.app import EXTENSIONS
    from bot.features.help.cog import command_listing

    bot = _make_bot(settings, knowledge, None, serve=False)
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    return command_listing(bot.tree)


def _connect(settings: Settings, session: Coroutine[Any, Any, int]) -> int:
    """Run a session with Discord, turning the failures a bot owner can fix into messages."""
    try:
        return asyncio.run(session)
    except discord.LoginFailure:
        return _fail(
            "Discord rejected DISCORD_TOKEN. Reset the token in the Developer Portal "
            "(Bot > Reset Token) and update .env."
        )
    except discord.PrivilegedIntentsRequired:
        return _fail("Discord refused a privileged intent; Backbone should need none.")
    except (DatabaseTooNewError, PostgresTooNewError, PostgresUnavailable) as exc:
        return _fail(str(exc))
    except DatabaseFileError as exc:
        return _fail(exc.describe("DATABASE_PATH"))
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
        print(f"backbone: cannot reach Discord at {settings.api_base_url}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_run(settings: Settings) -> int:
    token = settings.require_token()
    setup_logging(settings)
    knowledge = _load_knowledge(settings.knowledge_dir)
    return _connect(settings, _run(settings, knowledge, token))


def cmd_check(settings: Settings) -> int:
    knowledge = _load_knowledge(settings.knowledge_dir)
    print(f"{settings.knowledge_dir}: OK ({knowledge.base.counts()})")
    return EXIT_OK


def _tolerant_stdout() -> str:
    """Replies carry emoji and typographic quotes: on a terminal that cannot show them
    (`PYTHONIOENCODING=ascii`, a Latin-1 console) `bot.preview.for_terminal` puts plain
    stand-ins first, and anything left prints as `?` instead of crashing."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    return getattr(sys.stdout, "encoding", None) or "utf-8"


def cmd_preview(settings: Settings, lines: Sequence[str]) -> int:
    from bot.preview import PreviewError, for_terminal, preview

    knowledge = _load_knowledge(settings.knowledge_dir)
    listing = asyncio.run(_help_listing(settings, knowledge))
    encoding = _tolerant_stdout()
    for n, line in enumerate(lines):
        try:
            shown = preview(knowledge, line, listing)
        except PreviewError as exc:
            return _fail(f"cannot preview {line!r}: {exc}")
        try:
            if n:
                print()
            print(for_terminal(shown.text(), encoding), flush=True)
        except BrokenPipeError:  # `backbone preview ... | head`
            sys.stdout = None  # stop Python flushing into the closed pipe at exit
            return EXIT_OK
    return EXIT_OK


def cmd_sync(settings: Settings, guild: int | None, clear_guild: int | None = None) -> int:
    token = settings.require_token()
    setup_logging(settings)
    knowledge = _load_knowledge(settings.knowledge_dir)
    return _connect(settings, _sync(settings, knowledge, token, guild, clear_guild))


def cmd_backup(settings: Settings, target: Path, *, force: bool) -> int:
    """Copy the database while the bot runs; see `bot.storage.sqlite.backup`."""
    from bot.storage.sqlite.backup import BackupError, BackupTargetError, backup

    if settings.database_url is not None:
        return _fail(
            "backup copies the SQLite file at DATABASE_PATH, but DATABASE_URL is set: back up "
            "PostgreSQL with its own tools (pg_dump, or your provider's snapshots)."
        )
    try:
        result = backup(settings.database_path, target, force=force)
    except DatabaseFileError as exc:
        return _fail(exc.describe("DATABASE_PATH"))
    except BackupTargetError as exc:
        return _fail(f"cannot back up: {exc}.")
    except BackupError as exc:
        print(f"backbone: {exc}; no backup was written.", file=sys.stderr)
        return EXIT_FAILURE
    print(
        f"Backed up {settings.database_path} to {result.path}: {result.size:,} bytes, "
        f"schema version {result.schema_version}, integrity ok."
    )
    return EXIT_OK


def cmd_migrate_db(settings: Settings, target: str | None) -> int:
    """Copy DATABASE_PATH into the PostgreSQL database `target`; see
    `bot.storage.postgres.import_sqlite`."""
    import psycopg

    from bot.config import database_url_problem
    from bot.storage.postgres.connection import explain_connect_error
    from bot.storage.postgres.import_sqlite import CopyRefused, copy_into_postgres

    url = target or (settings.database_url.reveal() if settings.database_url else "")
    if not url:
        return _fail("migrate-db needs --to postgresql://USER:PASSWORD@HOST:PORT/DATABASE.")
    problem = database_url_problem(url)
    if problem:
        return _fail(problem.replace("DATABASE_URL", "--to", 1))
    source = settings.database_path
    if not source.is_file():
        return _fail(
            f"DATABASE_PATH={str(source)!r} does not exist: there is no SQLite database to "
            "copy. Set DATABASE_PATH to the file the bot used."
        )

    async def upgrade() -> None:  # the file at the latest schema, as a start would leave it
        await (await SqliteStorage.open(source)).close()

    try:
        asyncio.run(upgrade())
        copied = copy_into_postgres(source, url)
    except DatabaseFileError as exc:
        return _fail(exc.describe("DATABASE_PATH"))
    except (DatabaseTooNewError, PostgresTooNewError, CopyRefused) as exc:
        return _fail(f"{exc}")
    except psycopg.OperationalError as exc:
        return _fail(explain_connect_error(exc).replace("DATABASE_URL", "--to", 1))
    width = max(len(done.table) for done in copied)
    for done in copied:
        print(f"  {done.table:<{width}}  {done.rows:>12,} rows")
    total = sum(done.rows for done in copied)
    print(
        f"Copied {total:,} rows in {len(copied)} tables from {source} into PostgreSQL; every "
        "table's count matches. Set DATABASE_URL to that URL and start the bot."
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backbone",
        description="Backbone, a Discord coaching bot for back training and posture.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")
    commands.add_parser("check", help="validate the knowledge base; errors as path:line: message")
    preview = commands.add_parser(
        "preview",
        help='print what the bot would reply, e.g. preview "/cue exercise:rows" "/posture tip"',
    )
    preview.add_argument(
        "invocation",
        nargs="+",
        help="one or more quoted slash commands: /cue, /why-back-pain, /ask, /posture tip, /help "
        "(the others need a live server)",
    )
    sync = commands.add_parser(
        "sync",
        help="register the slash commands with Discord now",
        description="Register the slash commands with Discord now (globally unless --guild).",
    )
    target = sync.add_mutually_exclusive_group()
    target.add_argument("--guild", type=int, metavar="ID", help="sync to one server (instant)")
    target.add_argument(
        "--clear-guild",
        type=int,
        metavar="ID",
        help="remove the commands registered on that server only (left by DEV_GUILD_ID or "
        "--guild; they show up twice next to the global ones); the global commands stay. "
        "The bot does this itself at start for a server that is no longer DEV_GUILD_ID",
    )
    backup = commands.add_parser(
        "backup",
        help="copy the database to PATH, safely while the bot runs",
        description="Copy the database (DATABASE_PATH) to PATH with SQLite's backup API: a "
        "consistent copy even while the bot runs, checked with PRAGMA integrity_check and "
        "readable by its owner only. To restore: stop the bot, copy the backup over "
        "DATABASE_PATH, start the bot.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the file to write")
    backup.add_argument(
        "--force", action="store_true", help="overwrite PATH if it exists (refused otherwise)"
    )
    migrate_db = commands.add_parser(
        "migrate-db",
        help="copy the SQLite database into an empty PostgreSQL one",
        description="Copy every table of the SQLite database at DATABASE_PATH into an empty "
        "PostgreSQL database, in one transaction, and check every table's row count. Stop "
        "the bot first (it would keep writing to the SQLite file); afterwards set "
        "DATABASE_URL to the same URL and start it again.",
    )
    migrate_db.add_argument(
        "--to",
        metavar="URL",
        help="postgresql://USER:PASSWORD@HOST:PORT/DATABASE (default: DATABASE_URL)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load()
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "check":
            return cmd_check(settings)
        if args.command == "preview":
            return cmd_preview(settings, args.invocation)
        if args.command == "backup":
            return cmd_backup(settings, args.path, force=args.force)
        if args.command == "migrate-db":
            return cmd_migrate_db(settings, args.to)
        return cmd_sync(settings, args.guild, args.clear_guild)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"backbone: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:
        return int(exc.code or 0)


if __name__ == "__main__":
    sys.exit(main())
