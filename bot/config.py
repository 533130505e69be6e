"""Typed settings from the environment, with `.env` as a fallback for local runs.

Values already in the environment win over `.env`. Every problem is collected and
reported together, each naming the variable and what a valid value looks like.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DISCORD_API = "https://discord.com/api/v10"
DEFAULT_GLOBAL_RATE_LIMIT = 50
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_QUOTED = re.compile(r"""^(["'])(.*?)\1\s*(?:#.*)?$""")
_INLINE_COMMENT = re.compile(r"\s#.*$")

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(New Application > Bot > Reset Token), then put the token in .env as "
    "DISCORD_TOKEN=... (see .env.example) or export it in your shell."
)


MAX_SHARDS = 65_536


def parse_shard_ids(raw: str) -> list[int]:
    """`0-3`, `4,6` or `0-1,5` as a sorted list of shard ids; ValueError if malformed."""
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        if not low.strip().isdigit() or (dash and not high.strip().isdigit()):
            raise ValueError(part)
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(part)
        ids.update(range(first, last + 1))
    return sorted(ids)


def database_url_problem(url: str) -> str | None:
    """What is wrong with a DATABASE_URL, in words; None when it names a PostgreSQL database.

    The message never repeats the URL: it may hold a password.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return (
            "DATABASE_URL must start with postgresql:// (e.g. "
            "postgresql://backbone:PASSWORD@db.example:5432/backbone); leave it empty to use "
            "SQLite at DATABASE_PATH."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "DATABASE_URL has a port that is not a number."
    if not parts.path.strip("/"):
        return "DATABASE_URL names no database: end it with /DATABASE_NAME."
    if not parts.hostname and not parse_qs(parts.query).get("host"):
        return "DATABASE_URL names no server: postgresql://USER:PASSWORD@HOST:PORT/DATABASE."
    return None


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file: `KEY=value` lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            continue
        key, raw = match.groups()
        quoted = _QUOTED.match(raw)
        values[key] = quoted.group(2) if quoted else _INLINE_COMMENT.sub("", raw).strip()
    return values


@dataclass(frozen=True)
class Settings:
    token: Secret | None
    database_path: Path
    knowledge_dir: Path
    log_level: str
    dev_guild_id: int | None
    api_base_url: str = DISCORD_API
    """Where Discord's REST API lives. Only tests change it, to a local Discord double."""
    global_rate_limit: int = DEFAULT_GLOBAL_RATE_LIMIT
    """Requests per second Discord allows this bot; nudges are paced under it."""
    database_url: Secret | None = None
    """PostgreSQL instead of the SQLite file (it may hold a password: never logged)."""
    shard_count: int | None = None
    """Shards of the whole bot (every process); None lets Discord's recommendation decide
    when this process runs them all."""
    shard_ids: tuple[int, ...] | None = None
    """The shards this process runs; None: all of them."""

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def request_budget(self) -> float:
        """Requests per second this process may start on its own: the global limit is the
        bot's, shared by every process, so each takes the share of its shards."""
        if self.shard_count is None or self.shard_ids is None:
            return float(self.global_rate_limit)
        return self.global_rate_limit * len(self.shard_ids) / self.shard_count

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        merged = read_env_file(env_file) if env_file is not None else {}
        merged.update(os.environ if environ is None else environ)
        return cls.from_mapping(merged)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        problems: list[str] = []

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        token = get("DISCORD_TOKEN")
        log_level_raw = get("LOG_LEVEL", "INFO")
        log_level = log_level_raw.upper()
        if log_level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL={log_level_raw!r} is not one of {', '.join(LOG_LEVELS)}.")
        guild_raw = get("DEV_GUILD_ID")
        dev_guild_id: int | None = None
        if guild_raw:
            if _SNOWFLAKE.match(guild_raw):
                dev_guild_id = int(guild_raw)
            else:
                problems.append(
                    f"DEV_GUILD_ID={guild_raw!r} is not a server id: right-click the server "
                    "with Developer Mode on and Copy Server ID (15-21 digits), or leave it empty."
                )
        api_base_url = get("DISCORD_API_BASE_URL", DISCORD_API).rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", api_base_url):
            problems.append(
                f"DISCORD_API_BASE_URL={api_base_url!r} is not an http(s) URL; "
                "leave it unset to use Discord."
            )
        rate_raw = get("DISCORD_GLOBAL_RATE_LIMIT", str(DEFAULT_GLOBAL_RATE_LIMIT))
        global_rate_limit = int(rate_raw) if rate_raw.isdigit() else 0
        if not 1 <= global_rate_limit <= 100_000:
            problems.append(
                f"DISCORD_GLOBAL_RATE_LIMIT={rate_raw!r} is not a whole number of requests per "
                f"second from 1 up; Discord's default for bots is {DEFAULT_GLOBAL_RATE_LIMIT}."
            )
        database_path = Path(get("DATABASE_PATH", "data/backbone.db"))
        if database_path.exists() and database_path.is_dir():
            problems.append(
                f"DATABASE_PATH={str(database_path)!r} is a directory, not a database file; "
                f"name a file, e.g. {str(database_path / 'backbone.db')!r}."
            )
        database_url = get("DATABASE_URL")
        if database_url:
            problem = database_url_problem(database_url)
            if problem:
                problems.append(problem)
        shard_count, shard_ids = _shards(get("SHARD_COUNT"), get("SHARD_IDS"), problems)
        partial = shard_ids is not None and len(shard_ids) < (shard_count or 0)
        if partial and not database_url:
            problems.append(
                f"SHARD_IDS={get('SHARD_IDS')!r} runs {len(shard_ids or ())} of {shard_count} "
                "shards, so other processes run the rest, and they must share one "
                "database: set DATABASE_URL to a PostgreSQL database (SQLite's file "
                "cannot be shared between processes)."
            )
        if problems:
            raise ConfigError(problems)
        return cls(
            token=Secret(token) if token else None,
            database_path=database_path,
            knowledge_dir=Path(get("KNOWLEDGE_DIR", "knowledge")),
            log_level=log_level,
            dev_guild_id=dev_guild_id,
            api_base_url=api_base_url,
            global_rate_limit=global_rate_limit,
            database_url=Secret(database_url) if database_url else None,
            shard_count=shard_count,
            shard_ids=shard_ids,
        )

    def require_token(self) -> Secret:
        if self.token is None:
            raise ConfigError([TOKEN_HELP])
        return self.token


def _shards(
    count_raw: str, ids_raw: str, problems: list[str]
) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT and SHARD_IDS, checked together; problems are appended."""
    count: int | None = None
    if count_raw:
        if count_raw.isdigit() and 1 <= int(count_raw) <= MAX_SHARDS:
            count = int(count_raw)
        else:
            problems.append(
                f"SHARD_COUNT={count_raw!r} is not a whole number of shards from 1 up: the "
                "number of shards of the whole bot, across every process (Discord requires "
                "sharding from 2,500 servers: one shard per 1,000 servers is usual)."
            )
    if not ids_raw:
        return count, None
    try:
        ids = parse_shard_ids(ids_raw)
    except ValueError as error:
        problems.append(
            f"SHARD_IDS={ids_raw!r}: {str(error)!r} is not a shard id or range; write the "
            "shards this process runs as 0-3, or 0,2,4, or 0-1,6."
        )
        return count, None
    if not count_raw:
        problems.append(
            f"SHARD_IDS={ids_raw!r} needs SHARD_COUNT, the number of shards of the whole "
            "bot (e.g. SHARD_COUNT=4 with SHARD_IDS=0-1 here and 2-3 in another process)."
        )
    elif count is not None and ids[-1] >= count:
        problems.append(
            f"SHARD_IDS={ids_raw!r} names shard {ids[-1]}, but SHARD_COUNT={count} numbers "
            f"shards 0 to {count - 1}."
        )
    return count, tuple(ids)
