"""The registered command tree: every extension loads, names are unique, payloads valid."""

from __future__ import annotations

import re
from typing import Any

from discord import app_commands

from bot.app import Backbone

NAME = re.compile(r"^[-_\w]{1,32}$")
MANAGE_GUILD = 1 << 5


def _walk(payload: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    here = [(f"{path}/{payload['name']}", payload)]
    for option in payload.get("options", []):
        if option.get("type") in (1, 2):  # subcommand, subcommand group
            here += _walk(option, f"{path}/{payload['name']}")
    return here


def test_the_tree_holds_every_command_once(bot: Backbone) -> None:
    names = [c.name for c in bot.tree.get_commands()]
    assert len(names) == len(set(names))
    assert {"cue", "why-back-pain", "ask", "help", "coach"} <= set(names)


def test_payloads_follow_discords_rules(bot: Backbone) -> None:
    payloads = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
    assert len(payloads) <= 100
    for top in payloads:
        for path, payload in _walk(top):
            assert NAME.match(payload["name"]) and payload["name"] == payload["name"].lower(), path
            assert 1 <= len(payload["description"]) <= 100, path
            options = payload.get("options", [])
            assert len(options) <= 25, path
            seen_optional = False
            for option in options:
                if option["type"] in (1, 2):
                    continue
                assert NAME.match(option["name"]), path
                assert 1 <= len(option["description"]) <= 100, f"{path} {option['name']}"
                if option.get("required"):
                    assert not seen_optional, f"{path}: required option after optional"
                else:
                    seen_optional = True


def test_contract_options(bot: Backbone) -> None:
    payloads = {c.name: c.to_dict(bot.tree) for c in bot.tree.get_commands()}
    cue = payloads["cue"]["options"][0]
    assert (cue["name"], cue["required"], cue["autocomplete"]) == ("exercise", True, True)
    why = payloads["why-back-pain"]["options"][0]
    assert (why["name"], why.get("required", False), why["autocomplete"]) == (
        "situation",
        False,
        True,
    )
    ask = payloads["ask"]["options"][0]
    assert (ask["name"], ask["required"], ask["max_length"]) == ("question", True, 200)


def test_admin_commands_need_manage_server(bot: Backbone) -> None:
    coach = bot.tree.get_command("coach")
    assert isinstance(coach, app_commands.Group)
    payload = coach.to_dict(bot.tree)
    assert int(payload["default_member_permissions"]) == MANAGE_GUILD
    assert payload.get("contexts") == [0] or payload.get("dm_permission") is False
    for sub in coach.walk_commands():
        assert isinstance(sub, app_commands.Command)
        assert sub.checks, f"/coach {sub.name} must check Manage Server at run time too"
