"""Static checks over every feature, found the way the bot finds them (no bot is built).

Like python-discord's extension walk: each feature's cog module is imported and its
cogs' app commands are read from the classes, so a clash between two features fails
here with both names, before discord.py's tree would refuse one at start-up. The same
walk checks the custom-id prefixes of restart-proof buttons and the import boundaries
the layout promises.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import EXTENSIONS, feature_extensions

BOT_DIR = Path(__file__).resolve().parent.parent / "bot"
FEATURES = ("coach", "help", "knowledge", "posture", "privacy", "streaks")


def _cogs(extension: str) -> list[type[commands.Cog]]:
    module = importlib.import_module(extension)
    return [
        member
        for _, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, commands.Cog) and member.__module__ == module.__name__
    ]


def _command_names(
    command: app_commands.Command[..., object, object] | app_commands.Group,
) -> Iterable[str]:
    """The command's qualified name, and those of every subcommand under a group."""
    yield command.qualified_name
    if isinstance(command, app_commands.Group):
        for child in command.walk_commands():
            yield child.qualified_name


def registered_names(extensions: Iterable[str]) -> list[tuple[str, str]]:
    """(qualified command name, "extension:Cog") for every app command of every cog."""
    found: list[tuple[str, str]] = []
    for extension in extensions:
        for cog in _cogs(extension):
            for command in cog.__cog_app_commands__:
                found += [(name, f"{extension}:{cog.__name__}") for name in _command_names(command)]
    return found


def collisions(names: Iterable[tuple[str, str]]) -> list[str]:
    """Every name claimed more than once, with who claims it."""
    owners: dict[str, list[str]] = {}
    for name, owner in names:
        owners.setdefault(name, []).append(owner)
    return [f"/{name}: {', '.join(who)}" for name, who in sorted(owners.items()) if len(who) > 1]


def _dynamic_prefixes(extensions: Iterable[str]) -> list[tuple[str, str]]:
    """(custom-id prefix before the first ':', item class) of every restart-proof button."""
    found: list[tuple[str, str]] = []
    for extension in extensions:
        package = extension.rsplit(".", 1)[0]
        for name in ("cog", "views"):
            try:
                module = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError:
                continue
            for _, member in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(member, discord.ui.DynamicItem)
                    and member.__module__ == module.__name__
                ):
                    template = member.__discord_ui_compiled_template__.pattern
                    found.append(
                        (template.split(":", 1)[0], f"{module.__name__}.{member.__name__}")
                    )
    return found


def test_every_feature_is_discovered() -> None:
    assert feature_extensions() == EXTENSIONS
    assert tuple(e.split(".")[2] for e in EXTENSIONS) == FEATURES
    for extension in EXTENSIONS:
        assert callable(importlib.import_module(extension).setup), extension


def test_no_two_features_claim_a_command_name() -> None:
    names = registered_names(EXTENSIONS)
    assert not collisions(names)
    top = {name for name, _ in names if " " not in name}
    assert {"cue", "why-back-pain", "ask", "help", "coach", "posture", "privacy"} <= top


def test_the_collision_check_reports_a_clash() -> None:
    """The check above can fail: the real cogs, with one feature loaded twice."""
    names = registered_names([*EXTENSIONS, "bot.features.help.cog"])
    assert collisions(names) == [
        "/help: bot.features.help.cog:HelpCog, bot.features.help.cog:HelpCog"
    ]


def test_button_custom_id_prefixes_are_unique() -> None:
    prefixes = _dynamic_prefixes(EXTENSIONS)
    assert {"nudge", "leaderboard"} <= {p for p, _ in prefixes}
    repeated = [p for p, n in Counter(p for p, _ in prefixes).items() if n > 1]
    assert not repeated, [item for item in prefixes if item[0] in repeated]


# --- import boundaries -------------------------------------------------------------------


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_core_imports_no_feature_runtime_or_storage() -> None:
    for path in _modules(BOT_DIR / "core"):
        bad = [m for m in _imports(path) if re.match(r"bot\.(features|runtime|storage)\b", m)]
        assert not bad, f"{path.name} imports {bad}"


def test_features_use_each_other_only_through_the_package() -> None:
    for feature in FEATURES:
        for path in _modules(BOT_DIR / "features" / feature):
            for module in _imports(path):
                match = re.match(r"bot\.features\.([a-z_]+)\.", module)
                if match and match.group(1) != feature:
                    raise AssertionError(f"{feature}/{path.name} reaches into {module}")


def test_only_storage_speaks_sql() -> None:
    for path in _modules(BOT_DIR):
        if (BOT_DIR / "storage") in path.parents:
            continue
        bad = [m for m in _imports(path) if m.split(".")[0] in {"sqlite3", "aiosqlite", "asyncpg"}]
        bad += [m for m in _imports(path) if m.startswith("bot.storage.sqlite.")]
        allowed_cli = path == BOT_DIR / "__main__.py"
        assert not bad or allowed_cli, f"{path.relative_to(BOT_DIR)} imports {bad}"
