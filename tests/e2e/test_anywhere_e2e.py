"""Knowledge anywhere: in the bot's DM, in members' private channels and as a member's own
install, through the real bot; server-only commands stay in servers and say so."""

from __future__ import annotations

import pytest

from bot.features.knowledge.render import NOT_MEDICAL_ADVICE
from tests.e2e.conftest import Live
from tests.e2e.helpers import NO_PINGS, embed_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

ANYWHERE = ["ask", "cue", "help", "posture", "why-back-pain"]
SERVER_ONLY = ["backday", "coach", "leaderboard", "streak"]
PLACES = [
    pytest.param({"dm": True}, id="bot-dm"),
    pytest.param({"private": True}, id="private-channel"),
    pytest.param({"user_install": True}, id="user-install-in-a-server"),
]


def registered(live: Live) -> dict[str, dict[str, object]]:
    (put,) = [r for r in live.double.requests_to("PUT", r"^/applications/\d+/commands$") if r.json][
        :1
    ]
    return {c["name"]: c for c in put.json}


async def test_knowledge_commands_are_registered_for_every_context_and_install(
    live: Live,
) -> None:
    commands = registered(live)
    for name in ANYWHERE:
        assert sorted(commands[name]["contexts"]) == [0, 1, 2], name  # type: ignore[arg-type]
        assert sorted(commands[name]["integration_types"]) == [0, 1], name  # type: ignore[arg-type]
    for name in SERVER_ONLY:
        command = commands[name]
        assert command["contexts"] == [0] or (
            command["contexts"] is None and command["dm_permission"] is False
        ), name
        assert command.get("integration_types") in (None, [0]), name


@pytest.mark.parametrize("where", PLACES)
async def test_cue_ask_why_help_and_tip_answer_anywhere(live: Live, where: dict[str, bool]) -> None:
    double = live.double
    user = double.make_user("roamer")
    calls = [
        ("cue", {"exercise": "rows"}, None),
        ("why-back-pain", None, None),
        ("ask", {"question": "pins and needles down my leg"}, None),
        ("help", None, None),
        ("posture", None, "tip"),
    ]
    for name, options, sub in calls:
        handle = await double.slash(name, options, subcommand=sub, user=user, **where)
        reply = await handle.response(timeout=5)
        assert reply.callback.status == 200, (name, reply.callback.response)
        assert reply.data["allowed_mentions"] == NO_PINGS, name
        if name == "help":
            assert reply.ephemeral
            continue
        embed = embed_of(reply)
        assert embed["title"], name
        if name in ("why-back-pain", "ask"):
            assert NOT_MEDICAL_ADVICE in embed["footer"]["text"], name
    assert not double.violations


@pytest.mark.parametrize("name", SERVER_ONLY)
async def test_server_only_commands_are_not_offered_outside_a_server(live: Live, name: str) -> None:
    double = live.double
    subs = {"backday": "log", "coach": "settings"}
    with pytest.raises(PermissionError):
        await double.slash(name, subcommand=subs.get(name), dm=True)
    with pytest.raises(PermissionError):
        await double.slash(name, subcommand=subs.get(name), private=True)


async def test_posture_on_outside_a_server_says_where_it_works(live: Live) -> None:
    double = live.double
    user = double.make_user("drifter")
    for where in ({"dm": True}, {"private": True}, {"user_install": True}):
        handle = await double.slash(
            "posture", {"time": "07:30"}, subcommand="on", user=user, **where
        )
        reply = await handle.response(timeout=5)
        assert reply.ephemeral, where
        assert reply.content.startswith("`/posture on` works in a server that has added Backbone")
    handle = await double.slash("posture", subcommand="status", user=user, dm=True)
    status = await handle.response()
    assert status.ephemeral
    assert "not getting posture nudges" in embed_of(status)["description"]
