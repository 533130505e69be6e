"""Settings from the environment and `.env`: defaults, parsing, precedence, errors, secrecy."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config import TOKEN_HELP, ConfigError, Secret, Settings, read_env_file

TOKEN = "secret-token-value-123"


def write_env(tmp_path: Path, text: str, name: str = ".env") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def config_problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Settings.from_mapping(env)
    return info.value.problems


# --- Settings.from_mapping -----------------------------------------------------------


def test_defaults() -> None:
    settings = Settings.from_mapping({})
    assert settings.token is None
    assert settings.database_path == Path("data/backbone.db")
    assert settings.knowledge_dir == Path("knowledge")
    assert settings.log_level == "INFO"
    assert settings.dev_guild_id is None


def test_empty_and_blank_values_fall_back_to_defaults() -> None:
    env = {
        "DISCORD_TOKEN": "",
        "DATABASE_PATH": "  ",
        "KNOWLEDGE_DIR": "",
        "LOG_LEVEL": "",
        "DEV_GUILD_ID": " ",
    }
    assert Settings.from_mapping(env) == Settings.from_mapping({})


def test_values_are_read_and_trimmed(tmp_path: Path) -> None:
    settings = Settings.from_mapping(
        {
            "DISCORD_TOKEN": f"  {TOKEN} ",
            "DATABASE_PATH": str(tmp_path / "bot.db"),
            "KNOWLEDGE_DIR": " kb ",
            "LOG_LEVEL": "debug",
            "DEV_GUILD_ID": " 123456789012345678 ",
        }
    )
    assert settings.token is not None
    assert settings.token.reveal() == TOKEN
    assert settings.database_path == tmp_path / "bot.db"
    assert settings.knowledge_dir == Path("kb")
    assert settings.log_level == "DEBUG"
    assert settings.dev_guild_id == 123456789012345678


@pytest.mark.parametrize("level", ["DEBUG", "info", "Warning", "ERROR", "critical"])
def test_every_log_level_is_accepted_in_any_case(level: str) -> None:
    assert Settings.from_mapping({"LOG_LEVEL": level}).log_level == level.upper()


def test_bad_log_level_names_the_variable_and_the_choices() -> None:
    (problem,) = config_problems({"LOG_LEVEL": "loud"})
    assert problem.startswith("LOG_LEVEL=")
    assert "LOUD" in problem.upper()
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in problem


@pytest.mark.parametrize("guild", ["abc", "12345", "1234567890123456789012", "-123456789012345"])
def test_bad_dev_guild_id_names_the_variable(guild: str) -> None:
    (problem,) = config_problems({"DEV_GUILD_ID": guild})
    assert problem.startswith(f"DEV_GUILD_ID={guild!r}")
    assert "Copy Server ID" in problem
    assert "leave it empty" in problem


@pytest.mark.parametrize("guild", ["123456789012345", "123456789012345678901"])
def test_dev_guild_id_accepts_15_to_21_digits(guild: str) -> None:
    assert Settings.from_mapping({"DEV_GUILD_ID": guild}).dev_guild_id == int(guild)


def test_global_rate_limit_defaults_to_discords_and_can_be_raised() -> None:
    assert Settings.from_mapping({}).global_rate_limit == 50
    assert Settings.from_mapping({"DISCORD_GLOBAL_RATE_LIMIT": " 500 "}).global_rate_limit == 500


@pytest.mark.parametrize("rate", ["0", "-5", "fast", "1.5", "100001"])
def test_bad_global_rate_limit_names_the_variable(rate: str) -> None:
    (problem,) = config_problems({"DISCORD_GLOBAL_RATE_LIMIT": rate})
    assert problem.startswith(f"DISCORD_GLOBAL_RATE_LIMIT={rate!r}")
    assert "default for bots is 50" in problem


def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    (problem,) = config_problems({"DATABASE_PATH": str(tmp_path)})
    assert problem.startswith("DATABASE_PATH=")
    assert "is a directory" in problem


def test_every_bad_value_is_reported_together(tmp_path: Path) -> None:
    problems = config_problems(
        {"LOG_LEVEL": "chatty", "DEV_GUILD_ID": "my-server", "DATABASE_PATH": str(tmp_path)}
    )
    assert len(problems) == 3
    assert [p.split("=", 1)[0] for p in problems] == ["LOG_LEVEL", "DEV_GUILD_ID", "DATABASE_PATH"]


def test_config_error_message_joins_the_problems() -> None:
    error = ConfigError(["first problem.", "second problem."])
    assert str(error) == "first problem.; second problem."
    assert error.problems == ["first problem.", "second problem."]


# --- Tokens and secrecy --------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret(TOKEN)
    shown = [repr(secret), str(secret), format(secret), f"{secret}", f"{secret!r}"]
    shown += ["%s" % secret, "%r" % secret]  # noqa: UP031 - the style logging uses
    assert set(shown) == {"Secret('********')"}
    assert TOKEN not in str([secret]) + str({"token": secret})
    assert secret.reveal() == TOKEN


def test_secret_has_no_instance_dict_to_leak_through() -> None:
    secret = Secret(TOKEN)
    with pytest.raises(TypeError):
        vars(secret)


def test_settings_repr_hides_the_token() -> None:
    settings = Settings.from_mapping({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "Secret('********')" in repr(settings)


def test_require_token_returns_the_secret() -> None:
    token = Settings.from_mapping({"DISCORD_TOKEN": TOKEN}).require_token()
    assert isinstance(token, Secret)
    assert token.reveal() == TOKEN


def test_require_token_explains_how_to_get_one() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_mapping({}).require_token()
    assert info.value.problems == [TOKEN_HELP]
    for fragment in (
        "DISCORD_TOKEN is not set",
        "https://discord.com/developers/applications",
        "Reset Token",
        ".env",
        ".env.example",
        "export",
    ):
        assert fragment in TOKEN_HELP


# --- read_env_file -------------------------------------------------------------------


def test_missing_env_file_is_empty(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / ".env") == {}


def test_a_directory_named_env_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    assert read_env_file(tmp_path / ".env") == {}


def test_env_file_parsing(tmp_path: Path) -> None:
    path = write_env(
        tmp_path,
        """
        # A comment line
           # an indented comment

        PLAIN=value
        export EXPORTED=yes
        SPACED = around equals
        DOUBLE="double quoted"
        SINGLE='single quoted'
        HASH_IN_QUOTES="keep # this"
        INLINE=value # trailing comment
        NO_SPACE_HASH=abc#def
        EQUALS=a=b=c
        EMPTY=
        EMPTY_QUOTES=""
          INDENTED=ok
        not a variable line
        1BAD=starts with a digit
        """,
    )
    assert read_env_file(path) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around equals",
        "DOUBLE": "double quoted",
        "SINGLE": "single quoted",
        "HASH_IN_QUOTES": "keep # this",
        "INLINE": "value",
        "NO_SPACE_HASH": "abc#def",
        "EQUALS": "a=b=c",
        "EMPTY": "",
        "EMPTY_QUOTES": "",
        "INDENTED": "ok",
    }


def test_later_lines_win(tmp_path: Path) -> None:
    path = write_env(tmp_path, "LOG_LEVEL=INFO\nLOG_LEVEL=DEBUG\n")
    assert read_env_file(path) == {"LOG_LEVEL": "DEBUG"}


def test_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"DISCORD_TOKEN=abc\r\nLOG_LEVEL=debug\r\n")
    assert read_env_file(path) == {"DISCORD_TOKEN": "abc", "LOG_LEVEL": "debug"}


def test_quoted_value_followed_by_inline_comment(tmp_path: Path) -> None:
    path = write_env(tmp_path, 'DISCORD_TOKEN="abc.def" # from the Developer Portal\n')
    assert read_env_file(path) == {"DISCORD_TOKEN": "abc.def"}


def test_env_file_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"\xef\xbb\xbfDISCORD_TOKEN=abc\nLOG_LEVEL=debug\n")
    assert read_env_file(path) == {"DISCORD_TOKEN": "abc", "LOG_LEVEL": "debug"}


# --- Settings.load -------------------------------------------------------------------


def test_load_reads_the_env_file(tmp_path: Path) -> None:
    env_file = write_env(
        tmp_path,
        f"""
        DISCORD_TOKEN={TOKEN}
        LOG_LEVEL=warning
        KNOWLEDGE_DIR=my-knowledge
        DEV_GUILD_ID=123456789012345678
        """,
    )
    settings = Settings.load(environ={}, env_file=env_file)
    assert settings.token is not None
    assert settings.token.reveal() == TOKEN
    assert settings.log_level == "WARNING"
    assert settings.knowledge_dir == Path("my-knowledge")
    assert settings.dev_guild_id == 123456789012345678


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "LOG_LEVEL=DEBUG\nKNOWLEDGE_DIR=from-file\nDISCORD_TOKEN=file\n")
    settings = Settings.load(
        environ={"LOG_LEVEL": "ERROR", "DISCORD_TOKEN": "from-env"}, env_file=env_file
    )
    assert settings.log_level == "ERROR"
    assert settings.token is not None
    assert settings.token.reveal() == "from-env"
    assert settings.knowledge_dir == Path("from-file")  # not in the environment: .env applies


def test_load_defaults_to_dot_env_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path, "KNOWLEDGE_DIR=from-cwd\n")
    monkeypatch.chdir(tmp_path)
    assert Settings.load(environ={}).knowledge_dir == Path("from-cwd")


def test_load_uses_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWLEDGE_DIR", "from-os-environ")
    env_file = write_env(tmp_path, "KNOWLEDGE_DIR=from-file\n")
    assert Settings.load(env_file=env_file).knowledge_dir == Path("from-os-environ")


def test_load_without_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(tmp_path, "KNOWLEDGE_DIR=ignored\n")
    monkeypatch.chdir(tmp_path)
    assert Settings.load(environ={}, env_file=None).knowledge_dir == Path("knowledge")


def test_load_with_a_missing_env_file(tmp_path: Path) -> None:
    assert Settings.load(environ={}, env_file=tmp_path / "absent.env") == Settings.from_mapping({})


def test_bad_values_in_env_file_are_reported_together(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "LOG_LEVEL=verbose\nDEV_GUILD_ID=guild\n")
    with pytest.raises(ConfigError) as info:
        Settings.load(environ={}, env_file=env_file)
    assert [p.split("=", 1)[0] for p in info.value.problems] == ["LOG_LEVEL", "DEV_GUILD_ID"]


def test_environment_can_fix_a_bad_env_file_value(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "LOG_LEVEL=verbose\n")
    assert Settings.load(environ={"LOG_LEVEL": "info"}, env_file=env_file).log_level == "INFO"


# --- PostgreSQL and shards -------------------------------------------------------------


def test_database_url_and_shards_are_off_by_default() -> None:
    settings = Settings.from_mapping({})
    assert settings.database_url is None
    assert (settings.shard_count, settings.shard_ids, settings.sharded) == (None, None, False)
    assert settings.request_budget == 50


def test_a_database_url_is_kept_secret() -> None:
    url = "postgresql://backbone:hunter2@db.example:5432/backbone"
    settings = Settings.from_mapping({"DATABASE_URL": url})
    assert settings.database_url is not None and settings.database_url.reveal() == url
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u@h/db", "must start with postgresql://"),
        ("postgresql://u:pw@h", "names no database"),
        ("postgresql://u:pw@h:port/db", "port that is not a number"),
        ("postgresql:///db", "names no server"),
    ],
)
def test_a_bad_database_url_is_explained_without_repeating_it(url: str, expected: str) -> None:
    (problem,) = config_problems({"DATABASE_URL": url})
    assert problem.startswith("DATABASE_URL") and expected in problem
    assert "pw" not in problem.replace("PASSWORD", "")


def test_a_unix_socket_url_names_its_server_in_the_query() -> None:
    settings = Settings.from_mapping({"DATABASE_URL": "postgresql://u@/db?host=/run/postgresql"})
    assert settings.database_url is not None


@pytest.mark.parametrize(
    ("raw", "ids"), [("0-3", (0, 1, 2, 3)), ("4,6", (4, 6)), ("0-1, 6", (0, 1, 6)), ("2", (2,))]
)
def test_shard_ids_take_ranges_and_lists(raw: str, ids: tuple[int, ...]) -> None:
    settings = Settings.from_mapping(
        {"SHARD_COUNT": "8", "SHARD_IDS": raw, "DATABASE_URL": "postgresql://u@h/db"}
    )
    assert settings.shard_ids == ids
    assert settings.request_budget == 50 * len(ids) / 8  # the process's share of the limit


def test_one_process_may_run_every_shard_on_sqlite() -> None:
    settings = Settings.from_mapping({"SHARD_COUNT": "2", "SHARD_IDS": "0-1"})
    assert (settings.shard_count, settings.shard_ids) == (2, (0, 1))
    assert Settings.from_mapping({"SHARD_COUNT": "3"}).request_budget == 50


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT='0' is not a whole number"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT='two' is not a whole number"),
        ({"SHARD_IDS": "0-1"}, "needs SHARD_COUNT"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, "'3-1' is not a shard id or range"),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0,x"}, "'x' is not a shard id or range"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0-2"}, "names shard 2, but SHARD_COUNT=2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1"}, "set DATABASE_URL"),
    ],
)
def test_bad_shard_settings_name_the_variable_and_the_fix(
    env: dict[str, str], expected: str
) -> None:
    (problem,) = config_problems(env)
    assert expected in problem
