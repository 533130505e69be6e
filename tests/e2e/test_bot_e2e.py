"""The real bot process (`python -m bot run`) against the loopback Discord double.

Read-only command tests share one bot (`live`); tests that restart, disconnect, rate
limit or break the bot get their own double and process (`double`, `bot_process`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import sys
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.features.knowledge.render import NOT_MEDICAL_ADVICE
from bot.features.knowledge.store import Knowledge
from discord_double import (
    EPHEMERAL,
    MANAGE_GUILD,
    PRIVILEGED_INTENTS,
    DiscordDouble,
    Json,
    check_commands,
)
from tests.e2e.conftest import LaunchBot, Live
from tests.e2e.helpers import NO_PINGS, assert_no_pings, assert_public_embed, embed_of, run

pytestmark = pytest.mark.asyncio(loop_scope="module")

COMMANDS_PUT = r"^/applications/\d+/commands$"
GUILD_COMMANDS_PUT = r"^/applications/\d+/guilds/\d+/commands$"
GUILDS = 1  # the only gateway intent Backbone needs


# --- first boot ---


async def test_first_boot_registers_the_whole_tree(live: Live) -> None:
    double = live.double
    (put,) = double.requests_to("PUT", COMMANDS_PUT)
    assert put.status == 200, put.response
    assert not check_commands(put.json), check_commands(put.json).tree()
    sent = {c["name"]: c for c in put.json}
    assert {"cue", "why-back-pain", "ask", "help", "coach"} <= set(sent)
    coach = sent["coach"]
    assert str(coach["default_member_permissions"]) == "32"
    assert [(o["name"], o["type"]) for o in coach["options"]] == [
        ("settings", 1),
        ("reload", 1),
        ("recap", 1),
        ("insights", 1),
    ]
    recap, insights = coach["options"][2:]
    assert [(o["name"], o["type"], o.get("required", False)) for o in recap["options"]] == [
        ("channel", 7, False),
        ("off", 5, False),
    ]
    assert recap["options"][0]["channel_types"] == [0, 5]  # text and announcement
    (days,) = insights["options"]
    assert (days["type"], days["min_value"], days["max_value"]) == (4, 1, 90)
    registered = double.registered()
    assert registered["coach"]["default_member_permissions"] == "32"
    exercise = registered["cue"]["options"][0]
    assert (exercise["name"], exercise["required"], exercise["autocomplete"]) == (
        "exercise",
        True,
        True,
    )
    assert registered["why-back-pain"]["options"][0]["required"] is False
    # Login, application info, asking where the gateway is, then registration, all
    # before the gateway connects.
    order = [(r.method, re.sub(r"\d{15,}", "{id}", r.path)) for r in double.requests[:4]]
    assert order == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("GET", "/gateway/bot"),
        ("PUT", "/applications/{id}/commands"),
    ]
    assert not double.requests_to("PUT", r"/guilds/")


async def test_identify_asks_for_no_privileged_intent(live: Live) -> None:
    first = live.double.connections[0]
    assert first.query == {"encoding": "json", "v": "10", "compress": "zlib-stream"}
    identify = next(f["d"] for f in first.received if f["op"] == 2)
    assert identify["intents"] & GUILDS == GUILDS
    for bit, name in PRIVILEGED_INTENTS.items():
        assert not identify["intents"] & bit, name
    assert first.heartbeats >= 1  # discord.py beats right after HELLO; the double ACKs


# --- the knowledge commands ---


async def test_cue_replies_with_a_public_exercise_embed(live: Live) -> None:
    reply = await run(live.double, "cue", {"exercise": "rows"})
    embed = assert_public_embed(reply, "Barbell row")
    names = [f["name"] for f in embed["fields"]]
    assert names[:2] == ["Setup", "Cues"]
    assert reply.latency < live.double.ack_deadline
    assert len(reply.requests) == 1  # one callback, no followups


@pytest.mark.parametrize(
    ("typed", "title"), [("pullup", "Pull-up"), ("lat pull down", "Lat pulldown")]
)
async def test_cue_tolerates_typos(live: Live, typed: str, title: str) -> None:
    assert_public_embed(await run(live.double, "cue", {"exercise": typed}), title)


async def test_cue_unknown_exercise_is_ephemeral_with_closest_matches(live: Live) -> None:
    reply = await run(live.double, "cue", {"exercise": "barbel rowz please"})
    assert reply.type == 4
    assert reply.data["flags"] == EPHEMERAL
    assert "Closest matches" in reply.content
    assert "barbell-row" in reply.content
    assert reply.data["allowed_mentions"] == NO_PINGS


async def test_why_back_pain_overview(live: Live) -> None:
    reply = await run(live.double, "why-back-pain")
    embed = assert_public_embed(reply, "Why your lower back hurts after squats")
    assert "situation:after-squats" in str(embed["fields"])
    assert NOT_MEDICAL_ADVICE in embed["footer"]["text"]


async def test_why_back_pain_situation(live: Live) -> None:
    reply = await run(live.double, "why-back-pain", {"situation": "after-squats"})
    embed = assert_public_embed(reply, "Lower back pain after squats")
    assert NOT_MEDICAL_ADVICE in embed["footer"]["text"]


async def test_ask_ranks_knowledge_entries(live: Live) -> None:
    reply = await run(live.double, "ask", {"question": "lower back hurts after leg day"})
    assert reply.type == 4
    fields = embed_of(reply)["fields"]
    assert fields[0]["name"].startswith("1. Lower back pain after squats")


async def test_ask_nothing_found_is_ephemeral(live: Live) -> None:
    reply = await run(live.double, "ask", {"question": "quantum chromodynamics"})
    assert reply.ephemeral
    assert "Nothing in the knowledge base matches" in reply.content


async def test_ask_blank_question_gets_a_friendly_error(live: Live) -> None:
    """A UserFacingError travels through the tree's error handler to an ephemeral reply."""
    reply = await run(live.double, "ask", {"question": "   "})
    assert reply.type == 4
    assert reply.ephemeral
    assert "Ask a question" in reply.content
    assert reply.data["allowed_mentions"] == NO_PINGS


async def test_help_is_ephemeral_and_lists_every_command(live: Live) -> None:
    reply = await run(live.double, "help")
    assert reply.type == 4
    assert reply.ephemeral
    fields = embed_of(reply)["fields"]
    listing = "\n".join(f["value"] for f in fields)
    assert all(len(f["value"]) <= 1024 for f in fields)
    for name in [
        "/cue",
        "/why-back-pain",
        "/ask",
        "/help",
        "/coach reload",
        "/coach recap",
        "/streak",
    ]:
        assert name in listing


async def test_help_works_in_a_dm(live: Live) -> None:
    reply = await run(live.double, "help", dm=True)
    assert reply.type == 4
    assert reply.ephemeral


async def test_coach_is_not_offered_in_dms(live: Live) -> None:
    with pytest.raises(PermissionError, match="not available in DMs"):
        await live.double.slash("coach", subcommand="reload", dm=True)


# --- autocomplete ---


@pytest.mark.parametrize("typed", ["", "pullup", "lat pull down", "zzz", "r"])
@pytest.mark.parametrize(
    ("command", "option", "kind"),
    [("cue", "exercise", "exercises"), ("why-back-pain", "situation", "situations")],
)
async def test_autocomplete_returns_valid_choices(
    live: Live, knowledge: Knowledge, command: str, option: str, kind: str, typed: str
) -> None:
    choices = await live.double.autocomplete(command, option, typed)
    known = set(getattr(knowledge.base, kind))
    assert len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice["name"]) <= 100
        assert choice["value"] in known
    if typed == "":
        assert choices, "an empty box should list something to pick"


def autocompleted_options(commands: dict[str, Json]) -> list[tuple[str, str | None, str]]:
    """(command, subcommand, option) for every option of the tree that autocompletes."""
    found: list[tuple[str, str | None, str]] = []
    for name, command in commands.items():
        for option in command.get("options", []):
            if option["type"] == 1:  # a subcommand: its own options
                found += [
                    (name, option["name"], sub["name"])
                    for sub in option.get("options", [])
                    if sub.get("autocomplete")
                ]
            elif option.get("autocomplete"):
                found.append((name, None, option["name"]))
    return found


async def test_every_autocompleted_option_answers_with_at_most_25_valid_choices(
    live: Live,
) -> None:
    options = autocompleted_options(live.double.registered())
    assert ("posture", "on", "timezone") in options
    assert ("coach", "settings", "timezone") in options
    for command, subcommand, option in options:
        for typed in ("", "a", "new yo", "zzzzzz", "x" * 100):
            choices = await live.double.autocomplete(
                command, option, typed, subcommand=subcommand, permissions=str(MANAGE_GUILD)
            )
            assert len(choices) <= 25, (command, option, typed)
            for choice in choices:
                assert 1 <= len(choice["name"]) <= 100
                assert isinstance(choice["value"], str) and len(choice["value"]) <= 100
            if typed == "":
                assert choices, f"/{command} {option}: an empty box should list something"
            if option == "timezone":
                for choice in choices:
                    ZoneInfo(choice["value"])  # every suggestion is a real IANA zone


async def test_autocomplete_ranks_the_intended_entry_first(live: Live) -> None:
    assert (await live.double.autocomplete("cue", "exercise", "pullup"))[0]["value"] == "pull-up"
    desk = await live.double.autocomplete("why-back-pain", "situation", "desk")
    assert desk[0]["value"] == "desk-sitting"


# --- /coach reload ---


async def test_coach_reload_is_hidden_from_members_without_manage_server(live: Live) -> None:
    with pytest.raises(PermissionError, match="would not show /coach"):
        await live.double.slash("coach", subcommand="reload", permissions="0")


async def test_coach_reload_refuses_members_without_manage_server(live: Live) -> None:
    """A server can override who sees /coach; the bot still checks at run time."""
    reply = await run(
        live.double, "coach", subcommand="reload", permissions="0", permission_override=True
    )
    assert reply.type == 4
    assert reply.ephemeral
    assert "Manage Server" in reply.content
    assert len(reply.requests) == 1


async def test_coach_reload_defers_then_follows_up(live: Live) -> None:
    reply = await run(live.double, "coach", subcommand="reload", permissions="32")
    assert reply.type == 5
    assert reply.data.get("flags") == EPHEMERAL
    (followup,) = reply.followups
    assert followup.status == 200
    assert "Knowledge base reloaded" in followup.json["content"]
    assert followup.json["flags"] & EPHEMERAL
    assert followup.json["allowed_mentions"] == NO_PINGS


# --- across the whole run ---


SWEEP: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("cue", {"exercise": "deadlift"}, {}),
    ("cue", {"exercise": "no such lift"}, {}),
    ("why-back-pain", {}, {}),
    ("why-back-pain", {"situation": "desk-sitting"}, {}),
    ("ask", {"question": "how do I fix rounded shoulders at my desk"}, {}),
    ("ask", {"question": "x" * 200}, {}),
    ("help", {}, {}),
    ("coach", {}, {"subcommand": "reload", "permissions": "32"}),
]


async def test_every_reply_fits_discords_limits_and_pings_nobody(live: Live) -> None:
    """Checked over this sweep and everything the module's other tests sent before it."""
    double = live.double
    await asyncio.gather(*(run(double, name, opts, **kw) for name, opts, kw in SWEEP))
    messages = double.message_payloads()
    assert len(messages) >= len(SWEEP)
    for request, message in messages:
        assert request.status is not None and request.status < 300, request.response
        assert_no_pings(message)
    assert not double.violations, "\n".join(map(str, double.violations))
    for state in double.interactions.values():
        assert state.acknowledged_at is not None, f"interaction {state.id} never answered"
        assert state.dispatched_at is not None
        assert state.acknowledged_at - state.dispatched_at < double.ack_deadline
    callbacks = Counter(r.interaction_id for r in double.requests if r.path.endswith("/callback"))
    assert set(callbacks.values()) == {1}, "an interaction got more than one callback"


# --- restarts, resumes, rate limits ---


async def test_restart_keeps_the_command_hash(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()
    assert len(double.requests_to("PUT", COMMANDS_PUT)) == 1
    first_session = double.current_session
    assert first_session is not None

    old_status = await bot.restart()

    assert old_status == 0, f"SIGTERM should exit cleanly:\n{bot.log_tail()}"
    # The bot closed the gateway itself. (discord.py sends 4000, not 1000, when it closes
    # while a read is pending, so Discord keeps the old session resumable for a while.)
    assert not double.connections[0].closed_by_server
    assert double.connections[0].closed_at is not None
    assert len(double.requests_to("PUT", COMMANDS_PUT)) == 1, "re-synced unchanged commands"
    assert double.identify_count == 2
    assert "Slash commands unchanged since the last sync" in bot.stderr()
    assert_public_embed(await run(double, "cue", {"exercise": "rows"}), "Barbell row")
    assert not double.violations


async def test_dev_guild_id_syncs_to_that_server(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    await bot_process(env={"DEV_GUILD_ID": str(double.guild.id)})
    (put,) = double.requests_to("PUT", r"^/applications/\d+/guilds/\d+/commands$")
    assert put.path.endswith(f"/guilds/{double.guild.id}/commands")
    assert put.status == 200
    assert not double.requests_to("PUT", COMMANDS_PUT)
    handle = await double.slash("cue", {"exercise": "rows"})
    assert handle.state.payload["data"]["guild_id"] == str(double.guild.id)
    assert_public_embed(await handle.response(), "Barbell row")
    assert not double.violations


async def test_turning_dev_guild_id_off_removes_that_servers_copies(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    """DEV_GUILD_ID set, then unset: the test server would show every command twice (its
    guild copies and the global ones) unless the bot empties its list at the next start."""
    guild_id = double.guild.id
    bot = await bot_process(env={"DEV_GUILD_ID": str(guild_id)})
    tree = set(double.registered(guild_id))
    assert {"cue", "why-back-pain", "ask", "help", "coach"} <= tree
    assert double.registered() == {}

    del bot.extra_env["DEV_GUILD_ID"]
    assert await bot.restart() == 0, bot.log_tail()

    assert double.registered(guild_id) == {}, "the guild copies are still registered"
    assert set(double.registered()) == tree, "the global commands are not all there"
    assert [len(put.json) for put in double.requests_to("PUT", GUILD_COMMANDS_PUT)] == [
        len(tree),
        0,
    ]
    assert f"Removed the guild copies of the slash commands from server {guild_id}" in (
        bot.stderr()
    )
    handle = await double.slash("cue", {"exercise": "rows"})
    assert_public_embed(await handle.response(), "Barbell row")

    await bot.restart()  # forgotten: nothing more to remove, nothing to sync
    assert len(double.requests_to("PUT", GUILD_COMMANDS_PUT)) == 2
    assert len(double.requests_to("PUT", COMMANDS_PUT)) == 1
    assert not double.violations


async def test_sync_clear_guild_removes_that_servers_copies_on_request(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    guild_id = str(double.guild.id)
    cli = await bot_process(argv=("-m", "bot", "sync", "--guild", guild_id), wait_ready=False)
    assert await cli.wait_exit(timeout=30) == 0, cli.log_tail()
    assert double.registered(double.guild.id)

    cli.argv = ("-m", "bot", "sync", "--clear-guild", guild_id)
    await cli.start(wait_ready=False)
    assert await cli.wait_exit(timeout=30) == 0, cli.log_tail()
    assert double.registered(double.guild.id) == {}
    assert cli.stdout() == (
        f"Removed the slash commands registered on server {guild_id} only; the global ones stay.\n"
    )
    assert not double.connections, "sync must not open the gateway"

    cli.argv = ("-m", "bot", "sync", "--clear-guild", "999999999999999999")
    await cli.start(wait_ready=False)
    assert await cli.wait_exit(timeout=30) == 2
    assert "Discord refused access to server 999999999999999999" in cli.stderr()
    assert "Traceback" not in cli.stderr()


async def test_sync_command_registers_on_request(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    """`backbone sync --guild ID` logs in, registers, prints what it did and exits."""
    bot = await bot_process(
        argv=("-m", "bot", "sync", "--guild", str(double.guild.id)), wait_ready=False
    )
    assert await bot.wait_exit(timeout=30) == 0, bot.log_tail()
    (put,) = double.requests_to("PUT", r"^/applications/\d+/guilds/\d+/commands$")
    assert put.status == 200
    assert f"Synced {len(put.json)} slash commands to server {double.guild.id}." in bot.stdout()
    assert not double.connections, "sync must not open the gateway"
    assert bot.token not in bot.all_output()


async def test_backup_while_the_bot_runs_holds_what_it_just_committed(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()
    member = double.make_user("backup-member")
    logged = await run(double, "backday", subcommand="log", user=member)
    assert logged.type == 4, logged.data
    target = bot.workdir / "backup.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "backup",
        str(target),
        cwd=bot.cwd,
        env=bot.environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith(f"Backed up {bot.db_path} to {target}: ")
    with contextlib.closing(sqlite3.connect(target)) as copy:
        assert copy.execute(
            "SELECT count(*) FROM backday_logs WHERE user_id = ?", (int(member["id"]),)
        ).fetchone() == (1,)
        assert copy.execute("SELECT count(*) FROM bot_state").fetchone()[0] >= 1
    # The bot never noticed.
    assert_public_embed(await run(double, "cue", {"exercise": "rows"}), "Barbell row")
    assert not double.violations


async def test_forced_disconnect_resumes_and_replays_missed_events(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    await bot_process()
    session = double.current_session
    assert session is not None
    seq_before = session.seq

    since = await double.force_disconnect()
    missed = await double.slash("cue", {"exercise": "deadlift"})  # queued while disconnected
    resume = await double.wait_resumed(since, timeout=15)

    assert resume["session_id"] == session.id
    assert resume["seq"] == seq_before
    assert resume["path"] == "/gateway/resume"  # READY's resume_gateway_url
    assert double.identify_count == 1, "the bot identified again instead of resuming"
    assert_public_embed(await missed.response(), "Deadlift")
    assert_public_embed(await run(double, "cue", {"exercise": "rows"}), "Barbell row")
    assert not double.violations


@pytest.mark.double(
    global_rate_limit=5,
    # Discord exempts interaction endpoints from the global limit; counting them here
    # makes every callback retry through 429s, the worst case for discord.py's retries.
    global_limit_exempts_interactions=False,
    ack_deadline=15.0,
)
async def test_global_rate_limit_loses_and_duplicates_nothing(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process(log_level="INFO")
    exercises = ["rows", "deadlift", "pull-up", "face-pull"] * 5
    handles = await asyncio.gather(*(double.slash("cue", {"exercise": e}) for e in exercises))
    replies = await asyncio.gather(*(h.response(timeout=20) for h in handles))

    for reply in replies:
        ok = [r for r in reply.callback_attempts if r.status == 200]
        assert len(ok) == 1, reply.callback_attempts
        assert {r.status for r in reply.callback_attempts} <= {200, 429}
        assert reply.type == 4
        assert len(reply.embeds) == 1
    assert double.rate_limited(is_global=True), "the limit was never hit"
    retried = [r for r in replies if len(r.callback_attempts) > 1]
    assert retried, "no callback had to retry"
    assert not double.violations, "\n".join(map(str, double.violations))
    log = bot.stderr()
    assert "rate limited" in log
    assert "Unexpected error" not in log, "a callback gave up on its 429 retries"


# --- failures a bot owner must be able to read ---


async def test_bad_token_exits_2_without_printing_it(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.wrong.token-value-xyz"
    bot = await bot_process(token=token, wait_ready=False)
    assert await bot.wait_exit(timeout=30) == 2
    assert "Discord rejected DISCORD_TOKEN" in bot.stderr()
    assert token not in bot.all_output()
    (me,) = double.requests_to("GET", r"^/users/@me$")
    assert me.status == 401
    assert me.response == {"message": "401: Unauthorized", "code": 0}
    assert not double.connections


async def test_bot_finds_the_gateway_through_the_api(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    await bot_process(wait_ready=False)
    await double.wait_until(
        lambda: double.tripwire_hits or double.connections, 30, "a gateway connection"
    )
    assert not double.tripwire_hits, "connected to the built-in gateway URL"
    assert double.requests_to("GET", r"^/gateway/bot$")
