"""The real command line, run as a subprocess: `python -m bot check | preview | run | sync |
backup | --help`.

Every run gets an explicit environment: the caller's, minus the bot's own variables,
plus KNOWLEDGE_DIR and DATABASE_PATH. `.env` in the working directory is read too, so
tests about the token run from an empty temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.features.knowledge import Knowledge
from bot.preview import PREVIEWABLE
from bot.storage.sqlite import SqliteStorage, connection
from bot.storage.sqlite.migrations import available_migrations
from tests.conftest import (
    MINIMAL_EXERCISE,
    MINIMAL_SOURCES,
    REPO_ROOT,
    SHIPPED_KNOWLEDGE,
    WriteFiles,
)

TIMEOUT = 60
TOKEN = "secret-token-value-123"
BOT_VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "KNOWLEDGE_DIR",
    "LOG_LEVEL",
    "DEV_GUILD_ID",
    "SHARD_COUNT",
    "SHARD_IDS",
)
ERROR_LINE = re.compile(r"^\S+:\d+: \S.*$")

Env = dict[str, str]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    """The caller's environment without the bot's variables, pointed at the shipped KB."""
    clean = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES}
    clean.update(
        KNOWLEDGE_DIR=str(SHIPPED_KNOWLEDGE),
        DATABASE_PATH=str(tmp_path / "data" / "backbone.db"),
        PYTHONIOENCODING="utf-8",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    )
    return clean


@pytest.fixture
def empty_cwd(tmp_path: Path) -> Path:
    """A working directory without a `.env` file."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd


def backbone(*args: str, env: Env, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def preview_ok(invocation: str, env: Env) -> str:
    result = backbone("preview", invocation, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def ranked_titles(output: str) -> list[str]:
    """The numbered field titles of an /ask reply: '1. Title · kind' -> 'Title · kind'."""
    return [m.group(1) for m in re.finditer(r"^▌ \d+\. (.+)$", output, re.MULTILINE)]


def broken_knowledge(write_files: WriteFiles) -> Path:
    """A KB with three errors in two files."""
    return write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + "exercize: []\n",
            "rows.yaml": MINIMAL_EXERCISE.replace("muscles: [lats]", "muscles: lats").replace(
                "source: [coach]", "source: [nobody]"
            ),
        }
    )


BROKEN_ERRORS = [
    "knowledge/rows.yaml:6: exercises.0.muscles: Input should be a valid list",
    "knowledge/sources.yaml:5: unknown key 'exercize' (did you mean 'exercises'?)",
]


# --- --help and check ----------------------------------------------------------------


def test_help_lists_every_command(env: Env) -> None:
    result = backbone("--help", env=env)
    assert result.returncode == 0
    for command in ("run", "check", "preview", "sync"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


def test_no_command_is_a_usage_error(env: Env) -> None:
    result = backbone(env=env)
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_check_shipped_knowledge(env: Env) -> None:
    result = backbone("check", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.fullmatch(
        r".+: OK \(\d+ exercises, \d+ situations, \d+ posture topics, \d+ red flags\)\n",
        result.stdout,
    )
    counts = re.search(
        r"OK \((\d+) exercises, (\d+) situations, (\d+) posture topics", result.stdout
    )
    assert counts is not None
    exercises, situations, topics = map(int, counts.groups())
    assert exercises >= 30 and situations >= 8 and topics >= 40


def test_check_broken_knowledge_lists_every_error(
    env: Env, write_files: WriteFiles, tmp_path: Path
) -> None:
    broken_knowledge(write_files)
    env["KNOWLEDGE_DIR"] = "knowledge"
    result = backbone("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    header, *errors = result.stderr.splitlines()
    assert header == "The knowledge base in knowledge has 2 error(s):"
    assert errors == BROKEN_ERRORS
    assert all(ERROR_LINE.match(line) for line in errors)


def test_check_reports_errors_found_after_parsing(
    env: Env, write_files: WriteFiles, tmp_path: Path
) -> None:
    """The second pass (cross-references) also prints path:line: message."""
    write_files(
        {
            "sources.yaml": MINIMAL_SOURCES,
            "rows.yaml": MINIMAL_EXERCISE.replace("source: [coach]", "source: [nobody]"),
        }
    )
    env["KNOWLEDGE_DIR"] = "knowledge"
    result = backbone("check", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1:] == [
        "knowledge/rows.yaml:2: unknown source 'nobody' (known: coach)"
    ]


def test_check_missing_knowledge_directory(env: Env, tmp_path: Path) -> None:
    env["KNOWLEDGE_DIR"] = str(tmp_path / "nowhere")
    result = backbone("check", env=env)
    assert result.returncode == 2
    assert "knowledge directory does not exist (KNOWLEDGE_DIR)" in result.stderr


# --- preview -------------------------------------------------------------------------


def test_preview_cue(env: Env) -> None:
    output = preview_ok("/cue exercise:rows", env)
    lines = output.splitlines()
    assert lines[1] == "Barbell row"
    assert "▌ Setup" in lines
    assert "▌ Cues" in lines
    assert "— Source: " in output
    assert "Standard, widely taught coaching cues" in output
    assert "**" not in output  # markdown bold is stripped for the terminal


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("pullup", "Pull-up"),
        ("lat pull down", "Lat pulldown"),
        ("dedlift", "Deadlift"),
        ("barbell-row", "Barbell row"),
    ],
)
def test_preview_cue_resolves_typos(env: Env, typed: str, title: str) -> None:
    output = preview_ok(f"/cue exercise:{typed}", env)
    assert output.splitlines()[1] == title
    assert "Closest matches" not in output


def test_preview_unknown_exercise_shows_closest_matches(env: Env) -> None:
    output = preview_ok("/cue exercise:bench press", env)
    assert output.startswith("(only the member who asked sees this reply)")
    assert "I don't have cues for “bench press” yet." in output
    assert "Closest matches:" in output
    assert re.search(r"^• .+: `/cue exercise:[a-z0-9-]+`$", output, re.MULTILINE)


def test_preview_why_back_pain_overview(env: Env) -> None:
    output = preview_ok("/why-back-pain", env)
    assert output.splitlines()[1] == "Why your lower back hurts after squats"
    assert "▌ Pick a situation" in output
    for situation in ("after-squats", "neglected-back", "desk-sitting", "neck-shoulder-tension"):
        assert f"/why-back-pain situation:{situation}" in output
    assert "Not medical advice" in output
    assert "▌ When to see a professional" in output


def test_preview_why_back_pain_situation(env: Env) -> None:
    output = preview_ok("/why-back-pain situation:after-squats", env)
    assert output.splitlines()[1] == "Lower back pain after squats"
    assert output.count("▌ ✗ ") == 5
    assert "▌ Related exercises" in output
    assert "/cue exercise:squat" in output
    assert "Not medical advice" in output


def test_preview_ask_after_leg_day_ranks_after_squats_first(env: Env) -> None:
    output = preview_ok("/ask question:lower back hurts after leg day", env)
    titles = ranked_titles(output)
    assert titles, output
    assert titles[0] == "Lower back pain after squats · back pain"
    assert "/why-back-pain situation:after-squats" in output


def test_preview_ask_slouching_at_desk_ranks_desk_sitting_first(env: Env) -> None:
    output = preview_ok("/ask question:how do I stop slouching at my desk", env)
    titles = ranked_titles(output)
    assert titles, output
    assert titles[0] == "Back tightness from sitting at a desk · back pain"
    assert "/why-back-pain situation:desk-sitting" in output


def test_preview_help_lists_the_commands(env: Env) -> None:
    output = preview_ok("/help", env)
    for command in ("/cue", "/ask", "/why-back-pain", "/coach reload", "/help"):
        assert f"`{command}`: " in output, command


def test_preview_several_invocations_at_once(env: Env) -> None:
    rows, deadlift = (
        preview_ok("/cue exercise:rows", env),
        preview_ok("/cue exercise:deadlift", env),
    )
    result = backbone("preview", "/cue exercise:rows", "/cue exercise:deadlift", env=env)
    assert result.returncode == 0
    assert result.stdout == f"{rows}\n{deadlift}"


@pytest.mark.parametrize(
    ("invocation", "message"),
    [
        ("cue exercise:rows", "start with the command, e.g. /cue exercise:rows"),
        ("/bench exercise:rows", "/bench cannot be previewed; try one of /cue"),
        ("/cue weight:100", "/cue has no option weight; its options: exercise"),
        ("/cue rows", "options look like name:value"),
    ],
)
def test_preview_bad_invocation(env: Env, invocation: str, message: str) -> None:
    result = backbone("preview", invocation, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"backbone: cannot preview {invocation!r}: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_posture_tip_shows_the_first_nudge(env: Env, knowledge: Knowledge) -> None:
    """/posture tip takes no options: the preview shows the first topic and says which."""
    topics = list(knowledge.base.posture_topics.values())
    output = preview_ok("/posture tip", env)
    note, bar, title, *body = output.splitlines()
    assert note == (
        f"(posture tip 1 of {len(topics)}: {topics[0].id}; members get them in their own rotation)"
    )
    assert title == f"🧍 Posture nudge: {topics[0].title}"
    assert bar == "━" * len(bar)
    assert body[1] == topics[0].text
    assert body[-1].startswith("— Source: ")
    assert "only the member who asked" not in output  # a tip is posted for everyone to see


def test_preview_posture_tip_with_other_commands(env: Env) -> None:
    result = backbone("preview", "/cue exercise:rows", "/posture tip", "/help", env=env)
    assert result.returncode == 0, result.stderr
    assert "\n\n(posture tip 1 of " in result.stdout
    assert "`/posture tip`: " in result.stdout


def test_preview_why_back_pain_without_options_lists_every_situation(
    env: Env, knowledge: Knowledge
) -> None:
    overview = knowledge.base.overview
    assert overview is not None
    output = preview_ok("/why-back-pain", env)
    assert output.splitlines()[1] == overview.title
    assert output.splitlines()[3] == overview.body.replace("**", "")
    for situation in knowledge.base.situations.values():
        line = f"{situation.title}: `/why-back-pain situation:{situation.id}`"
        assert line in output.splitlines(), line


def test_preview_ask_leads_with_red_flag_advice(env: Env, knowledge: Knowledge) -> None:
    flag = knowledge.base.red_flags["leg-numbness-or-sciatica"]
    output = preview_ok("/ask question:pain down my leg after deadlift", env)
    lines = output.splitlines()
    assert lines[1] == "⚠️ Please get this checked first"
    assert lines[3:5] == [f"⚠️ {flag.title}", flag.advice]
    first_field = next(n for n, line in enumerate(lines) if line.startswith("▌ "))
    assert first_field > 4
    assert lines[first_field] == "▌ When to see a professional"
    assert ranked_titles(output), output  # the coaching entries still follow
    assert "Not medical advice" in output


@pytest.mark.parametrize("invocation", ["/streak", "/posture on", "/coach reload", "/leaderboard"])
def test_preview_of_a_live_command_says_it_needs_a_server(env: Env, invocation: str) -> None:
    result = backbone("preview", invocation, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"backbone: cannot preview {invocation!r}: {invocation} needs a live server "
        "(Discord and the bot's database), so it cannot be previewed; previewable commands: "
        "/cue, /why-back-pain, /ask, /posture tip, /help\n"
    )


@pytest.mark.parametrize(
    ("invocation", "message"),
    [
        ("/posture", "/posture needs a subcommand; its commands: /posture on, /posture off, "),
        ("/posture tipp", "/posture has no subcommand 'tipp'; its commands: /posture on"),
        ("/posture tip topic:x", "/posture tip has no option topic; it takes no options"),
        ("/posture tip now", "options look like name:value"),
        ("/", "name a command after the /"),
    ],
)
def test_preview_bad_group_invocation(env: Env, invocation: str, message: str) -> None:
    result = backbone("preview", invocation, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"backbone: cannot preview {invocation!r}: {message}")


def test_preview_help_text_names_every_previewable_command(env: Env) -> None:
    result = backbone("preview", "--help", env=env)
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert ", ".join(f"/{name}" for name in PREVIEWABLE) in flat


ASCII_INVOCATIONS = (
    "/posture tip",
    "/ask question:pain down my leg after deadlift",
    "/cue exercise:bench press",
    "/why-back-pain",
)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1252"])
def test_preview_on_a_terminal_that_is_not_utf8(
    env: Env, knowledge: Knowledge, encoding: str
) -> None:
    """Emoji and typographic quotes degrade to plain text instead of UnicodeEncodeError."""
    env["PYTHONIOENCODING"] = encoding
    result = subprocess.run(
        [sys.executable, "-m", "bot", "preview", *ASCII_INVOCATIONS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    output = result.stdout.decode(encoding)  # strict: every byte is the terminal's
    topic = next(iter(knowledge.base.posture_topics.values()))
    lines = output.splitlines()
    assert lines[0].startswith("(posture tip 1 of ")
    assert lines[2] == f"Posture nudge: {topic.title}"
    assert "Please get this checked first" in lines
    quoted = "“bench press”" if encoding == "cp1252" else '"bench press"'
    assert f"I don't have cues for {quoted} yet." in output
    assert not re.search(r"^\? ", output, re.MULTILINE)  # emoji go, not turn into "?"
    if encoding == "ascii":
        assert output.isascii()
        assert re.search(r"^=+$", output, re.MULTILINE)
        assert "| When to see a professional" in lines
        assert "- Source: " in output


def test_preview_with_the_c_locale_and_no_pythonioencoding(env: Env) -> None:
    del env["PYTHONIOENCODING"]
    env.update(LANG="C", LC_ALL="C")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "preview", *ASCII_INVOCATIONS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    assert b"Posture nudge: " in result.stdout


def test_preview_without_an_invocation_is_a_usage_error(env: Env) -> None:
    result = backbone("preview", env=env)
    assert result.returncode == 2
    assert "invocation" in result.stderr


def test_preview_refuses_a_broken_knowledge_base(
    env: Env, write_files: WriteFiles, tmp_path: Path
) -> None:
    broken_knowledge(write_files)
    env["KNOWLEDGE_DIR"] = "knowledge"
    result = backbone("preview", "/cue exercise:rows", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[1:] == BROKEN_ERRORS


# --- run and configuration -----------------------------------------------------------


def test_run_without_token_explains_how_to_get_one(env: Env, empty_cwd: Path) -> None:
    result = backbone("run", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "DISCORD_TOKEN" in result.stderr
    assert "https://discord.com/developers/applications" in result.stderr
    assert "Reset Token" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_reads_the_token_from_dot_env(
    env: Env, empty_cwd: Path, write_files: WriteFiles
) -> None:
    """With a token in `.env` the bot gets past the token check (and stops at the KB)."""
    (empty_cwd / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
    env["KNOWLEDGE_DIR"] = str(broken_knowledge(write_files))
    result = backbone("run", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" not in result.stderr
    assert "error(s):" in result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_run_with_broken_knowledge_never_prints_the_token(
    env: Env, empty_cwd: Path, write_files: WriteFiles, tmp_path: Path
) -> None:
    directory = broken_knowledge(write_files)
    env.update(DISCORD_TOKEN=TOKEN, KNOWLEDGE_DIR=str(directory), LOG_LEVEL="DEBUG")
    result = backbone("run", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert TOKEN not in result.stdout
    assert TOKEN not in result.stderr
    header, *errors = result.stderr.splitlines()
    assert header == f"The knowledge base in {directory} has 2 error(s):"
    assert [e.split(":", 1)[1] for e in errors] == [e.split(":", 1)[1] for e in BROKEN_ERRORS]
    assert errors[0].startswith(str(directory / "rows.yaml"))
    assert not (tmp_path / "data" / "backbone.db").exists(), "the bot started anyway"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOG_LEVEL", "loud", "LOG_LEVEL='loud' is not one of DEBUG, INFO"),
        ("DEV_GUILD_ID", "my-server", "DEV_GUILD_ID='my-server' is not a server id"),
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_setting_names_the_variable(
    env: Env, empty_cwd: Path, command: str, variable: str, value: str, message: str
) -> None:
    env.update({variable: value, "DISCORD_TOKEN": TOKEN})
    result = backbone(command, env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"backbone: {message}")
    assert TOKEN not in result.stderr


def test_every_bad_setting_is_reported_at_once(env: Env, empty_cwd: Path) -> None:
    env.update(LOG_LEVEL="loud", DEV_GUILD_ID="my-server")
    result = backbone("check", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("backbone: LOG_LEVEL=")
    assert lines[1].startswith("backbone: DEV_GUILD_ID=")


def test_bad_setting_in_dot_env_is_reported(env: Env, empty_cwd: Path) -> None:
    (empty_cwd / ".env").write_text("LOG_LEVEL=shouty  # oops\n", encoding="utf-8")
    result = backbone("check", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert result.stderr.startswith("backbone: LOG_LEVEL='shouty'")


# --- a DATABASE_PATH that cannot work ----------------------------------------------------

UNREACHABLE_DISCORD = "http://127.0.0.1:9"  # nothing listens: contacting it would say so


def not_a_database(root: Path) -> tuple[Path, str]:
    path = root / "notes.db"
    path.write_text("shopping list: chalk, straps, a foam roller\n" * 50, encoding="utf-8")
    return path, "this file is not a SQLite database"


def under_a_regular_file(root: Path) -> tuple[Path, str]:
    (root / "data").write_text("a file where a folder should be\n", encoding="utf-8")
    return root / "data" / "backbone.db", f"{root / 'data'} is a regular file, not a folder"


def a_directory(root: Path) -> tuple[Path, str]:
    (root / "data").mkdir()
    return root / "data", "is a directory, not a database file"


@pytest.mark.parametrize("case", [not_a_database, under_a_regular_file, a_directory])
@pytest.mark.parametrize("command", ["run", "sync"])
def test_bad_database_path_stops_start_up_with_one_clear_line(
    env: Env, empty_cwd: Path, tmp_path: Path, command: str, case: Any
) -> None:
    path, problem = case(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    env.update(
        DISCORD_TOKEN=TOKEN, DATABASE_PATH=str(path), DISCORD_API_BASE_URL=UNREACHABLE_DISCORD
    )
    result = backbone(command, env=env, cwd=empty_cwd)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"backbone: DATABASE_PATH={str(path)!r}"), line
    assert problem in line
    assert "cannot reach Discord" not in line, "it went to Discord before opening the database"
    assert TOKEN not in result.stdout + result.stderr
    if before is not None:
        assert path.read_bytes() == before, "the file was changed"


def unprivileged(argv: list[str]) -> list[str]:
    """`argv` run as a user without root's right to write anywhere (nobody, via setpriv,
    when the tests run as root)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root may write to any folder")
    dropped = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    probe = subprocess.run(
        [*dropped[: -len(argv)], sys.executable, "-c", "import bot"],
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot run the bot as an unprivileged user here: {probe.stderr[-200:]!r}")
    return dropped


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to the test's user)."""
    root = Path(tempfile.mkdtemp(prefix="backbone-test-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for folder in (root, *root.rglob("*")):
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(root)


@pytest.mark.parametrize("nested", [False, True], ids=["in-folder", "in-new-subfolder"])
@pytest.mark.parametrize("command", ["run", "sync"])
def test_database_in_an_unwritable_folder_says_so(
    env: Env, shared_tmp: Path, command: str, nested: bool
) -> None:
    folder = shared_tmp / "readonly"
    folder.mkdir(mode=0o555)
    folder.chmod(0o555)
    path = folder / "data" / "backbone.db" if nested else folder / "backbone.db"
    env.update(
        DISCORD_TOKEN=TOKEN,
        DATABASE_PATH=str(path),
        DISCORD_API_BASE_URL=UNREACHABLE_DISCORD,
        PYTHONDONTWRITEBYTECODE="1",
    )
    result = subprocess.run(
        unprivileged([sys.executable, "-m", "bot", command]),
        cwd=shared_tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"backbone: DATABASE_PATH={str(path)!r}: the user the bot runs as")
    verb = "create folders in" if nested else "write to"
    assert f"may not {verb} {folder} (permission denied)" in line
    assert f"Give that user write access to {folder}" in line
    assert "cannot reach Discord" not in line
    assert not list(folder.iterdir())


def test_database_too_new_keeps_its_message(env: Env, empty_cwd: Path, tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA user_version = 999")
    env.update(
        DISCORD_TOKEN=TOKEN, DATABASE_PATH=str(path), DISCORD_API_BASE_URL=UNREACHABLE_DISCORD
    )
    result = backbone("run", env=env, cwd=empty_cwd)
    assert result.returncode == 2
    assert result.stderr.startswith("backbone: the database is at schema version 999, but")
    assert "Upgrade Backbone" in result.stderr


def test_sync_help_documents_clear_guild(env: Env) -> None:
    result = backbone("sync", "--help", env=env)
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert "--clear-guild ID remove the commands registered on that server only" in flat
    assert backbone("sync", "--guild", "1", "--clear-guild", "2", env=env).returncode == 2


# --- backup --------------------------------------------------------------------------------

SUMMARY = re.compile(
    r"^Backed up (?P<source>.+) to (?P<path>.+): (?P<size>[\d,]+) bytes, "
    r"schema version (?P<version>\d+), integrity ok\.\n$"
)


def make_database(path: Path, rows: int = 3) -> None:
    """A migrated database with `rows` facts in bot_state, as the bot would leave it."""

    async def create() -> None:
        storage = await SqliteStorage.open(path)
        try:
            for n in range(rows):
                await storage.write(lambda tx, n=n: tx.state.set_state(f"row:{n}", str(n)))
        finally:
            await storage.close()

    asyncio.run(create())


def facts(path: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as c:
        return dict(c.execute("SELECT key, value FROM bot_state WHERE key LIKE 'row:%'"))


def rows_in(path: Path) -> int:
    """How many facts `path` alone holds (none if even the table is still in a WAL)."""
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as c:
        tables = {name for (name,) in c.execute("SELECT name FROM sqlite_master")}
    return len(facts(path)) if "bot_state" in tables else 0


def test_backup_writes_a_checked_private_copy(env: Env, tmp_path: Path) -> None:
    database = Path(env["DATABASE_PATH"])
    make_database(database)
    target = tmp_path / "backups" / "backbone-2026-11-29.db"
    target.parent.mkdir()
    result = backbone("backup", str(target), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    summary = SUMMARY.match(result.stdout)
    assert summary, result.stdout
    assert summary["path"] == str(target)
    assert int(summary["size"].replace(",", "")) == target.stat().st_size
    assert int(summary["version"]) == available_migrations()[-1].version
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert facts(target) == {"row:0": "0", "row:1": "1", "row:2": "2"}
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no -wal, no leftovers
    with contextlib.closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_refuses_to_overwrite_without_force(env: Env, tmp_path: Path) -> None:
    make_database(Path(env["DATABASE_PATH"]))
    target = tmp_path / "backup.db"
    target.write_text("last week's backup", encoding="utf-8")
    result = backbone("backup", str(target), env=env)
    assert result.returncode == 2
    assert result.stderr == (
        f"backbone: cannot back up: {target} already exists; pass --force to overwrite it, "
        "or name a new file.\n"
    )
    assert target.read_text(encoding="utf-8") == "last week's backup"
    forced = backbone("backup", "--force", str(target), env=env)
    assert forced.returncode == 0, forced.stderr
    assert len(facts(target)) == 3


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "missing/backup.db",
            "cannot write {tmp}/missing/backup.db: the folder {tmp}/missing does not exist",
        ),
        ("data", "{tmp}/data is a folder; name a file, e.g. {tmp}/data/backbone.db"),
        ("data/backbone.db", "{tmp}/data/backbone.db is the database itself; name another file"),
    ],
)
def test_backup_to_a_bad_path_says_why(env: Env, tmp_path: Path, target: str, message: str) -> None:
    make_database(Path(env["DATABASE_PATH"]))
    result = backbone("backup", "--force", f"{tmp_path}/{target}", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("backbone: cannot back up: " + message.format(tmp=tmp_path)), (
        result.stderr
    )


def test_backup_without_a_database_names_database_path(env: Env, tmp_path: Path) -> None:
    result = backbone("backup", str(tmp_path / "backup.db"), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"backbone: DATABASE_PATH={env['DATABASE_PATH']!r}: there is no database here"
    )
    assert not Path(env["DATABASE_PATH"]).exists(), "backup created an empty database"
    assert not (tmp_path / "backup.db").exists()


def test_backup_of_a_file_that_is_not_a_database(env: Env, tmp_path: Path) -> None:
    path, problem = not_a_database(tmp_path)
    env["DATABASE_PATH"] = str(path)
    result = backbone("backup", str(tmp_path / "backup.db"), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"backbone: DATABASE_PATH={str(path)!r}: {problem}")


async def test_backup_while_another_connection_keeps_writing(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's own connection (WAL, no checkpoint) commits row after row while
    `backbone backup` runs: the copy holds every row committed before the backup started,
    in order and without gaps, although the database file alone does not."""
    monkeypatch.setattr(connection, "CHECKPOINT_INTERVAL", 3600.0)  # all of it stays in WAL
    monkeypatch.setattr(connection, "WAL_FRAMES_BOUND", 0)  # however long the WAL grows
    database = Path(env["DATABASE_PATH"])
    storage = await SqliteStorage.open(database)
    committed = 0
    stop, warmed_up = asyncio.Event(), asyncio.Event()

    async def write_row(n: int) -> None:
        await storage.write(lambda tx: tx.state.set_state(f"row:{n}", str(n)))

    async def keep_writing() -> None:
        nonlocal committed
        while not stop.is_set():
            await write_row(committed)
            committed += 1
            if committed >= 200:
                warmed_up.set()
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    try:
        await asyncio.wait_for(warmed_up.wait(), TIMEOUT)
        before = committed
        target = tmp_path / "live-backup.db"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "backup",
            str(target),
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        after = committed
    finally:
        stop.set()
        await writer
    try:
        assert proc.returncode == 0, err.decode()
        assert SUMMARY.match(out.decode()), out
        copied = facts(target)
        assert after > before, "nothing was written while the backup ran"
        assert before <= len(copied) <= after, (before, len(copied), after)
        assert copied == {f"row:{n}": str(n) for n in range(len(copied))}
        # What a file copy would have missed: the committed rows still in the WAL.
        plain = tmp_path / "file-copy.db"
        shutil.copyfile(database, plain)
        assert rows_in(plain) < before
    finally:
        await storage.close()


@pytest.mark.parametrize("command", ["run", "sync"])
def test_an_unreachable_database_url_stops_start_up_with_one_clear_line(
    env: Env, empty_cwd: Path, tmp_path: Path, command: str
) -> None:
    socket_dir = tmp_path / "no-server-here"
    socket_dir.mkdir()
    env.update(
        DISCORD_TOKEN=TOKEN,
        DATABASE_URL=f"postgresql://backbone:s3cret-pw@/backbone?host={socket_dir}",
        DISCORD_API_BASE_URL=UNREACHABLE_DISCORD,
    )
    result = backbone(command, env=env, cwd=empty_cwd)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("backbone: cannot connect to the PostgreSQL server in DATABASE_URL")
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_backup_with_a_database_url_points_to_postgresql_tools(env: Env, tmp_path: Path) -> None:
    env.update(DATABASE_URL="postgresql://u@/db?host=/nowhere")
    result = backbone("backup", str(tmp_path / "copy.db"), env=env)
    assert result.returncode == 2
    assert "pg_dump" in result.stderr
    assert not (tmp_path / "copy.db").exists()
