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
        )

    def require_token(self) -> Secret:
        if self.token is None:
            raise ConfigError([TOKEN_HELP])
        return self.token
