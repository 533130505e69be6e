"""/privacy export and /privacy delete through the real bot process.

A member with back days, a streak and posture nudges exports everything as a file,
then deletes it behind a confirm button that only they can press; the database is
checked afterwards, table by table, with our own SQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from discord_double import InteractionReply, Json
from discord_double.process import BotProcess
from tests.e2e.conftest import Live, live_bot
from tests.e2e.helpers import assert_no_pings, database, integer_columns, run

# Every test here runs on SQLite and on PostgreSQL.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("backend")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gym(tmp_path_factory: pytest.TempPathFactory, backend: str) -> AsyncIterator[Live]:
    async with live_bot(tmp_path_factory.mktemp("privacy"), backend=backend) as shared:
        yield shared


async def member_with_data(live: Live, name: str) -> Json:
    user = live.double.make_user(name)
    assert (
        await run(live.double, "backday", {"note": "rows"}, subcommand="log", user=user)
    ).content
    on = await run(
        live.double,
        "posture",
        {"time": "07:30", "timezone": "Europe/London"},
        subcommand="on",
        user=user,
    )
    assert on.ephemeral
    tip = await run(live.double, "posture", subcommand="tip", user=user)
    assert tip.embeds
    return user


def rows_mentioning(bot: BotProcess, user_id: int) -> dict[str, int]:
    """Rows of every table that hold `user_id` in any integer column (our own SQL)."""
    found: dict[str, int] = {}
    tables = integer_columns(bot)
    with database(bot) as conn:
        for table, columns in tables.items():
            if not columns:
                continue
            where = " OR ".join(f"{column} = ?" for column in columns)
            count = conn.execute(
                f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", [user_id] * len(columns)
            ).fetchone()["n"]
            if count:
                found[table] = count
    return found


def press(live: Live, reply: InteractionReply, action: str, user: Json) -> str:
    custom_id = f"privacy:delete:{user['id']}:{action}"
    assert custom_id in [c["custom_id"] for row in reply.components for c in row["components"]]
    return custom_id


async def test_export_sends_an_ephemeral_json_file_of_everything(gym: Live) -> None:
    user = await member_with_data(gym, "exporter")
    other = await member_with_data(gym, "bystander")
    reply = await run(gym.double, "privacy", subcommand="export", user=user)
    assert reply.callback.status == 200
    assert reply.ephemeral
    assert_no_pings(reply.data)
    (attachment,) = reply.callback.files
    assert attachment["filename"] == f"backbone-data-{user['id']}.json"
    exported = json.loads(attachment["data"])
    assert exported["user_id"] == user["id"]
    tables = exported["tables"]
    assert [row["note"] for row in tables["backday_logs"]] == ["rows"]
    assert tables["reminders"][0]["local_time"] == "07:30"
    assert tables["member_settings"][0]["timezone"] == "Europe/London"
    assert len(tables["topics_seen"]) == 1
    assert len(tables["member_stats"]) == 1
    text = attachment["data"].decode()
    assert other["id"] not in text  # nobody else's data


async def test_delete_asks_first_and_only_the_member_can_confirm(gym: Live) -> None:
    double = gym.double
    user = await member_with_data(gym, "leaver")
    stranger = double.make_user("stranger")
    bot = gym.bot
    assert set(rows_mentioning(bot, int(user["id"]))) >= {
        "backday_logs",
        "member_stats",
        "member_settings",
        "reminders",
        "topics_seen",
    }

    prompt = await run(double, "privacy", subcommand="delete", user=user)
    assert prompt.ephemeral
    assert_no_pings(prompt.data)
    confirm = press(gym, prompt, "confirm", user)
    assert rows_mentioning(bot, int(user["id"]))  # nothing deleted yet

    # Cancel deletes nothing and removes the buttons.
    cancelled = await (
        await double.click(prompt.created_message, press(gym, prompt, "cancel", user), user=user)
    ).response(timeout=5)
    assert cancelled.type == 7
    assert "Nothing was deleted" in cancelled.data["content"]
    assert rows_mentioning(bot, int(user["id"]))

    again = await run(double, "privacy", subcommand="delete", user=user)
    message = again.created_message
    # Only the member sees an ephemeral prompt, so nobody else can press it (the double
    # refuses like Discord's client; the bot's own check is in the integration tests).
    with pytest.raises(PermissionError):
        await double.click(message, confirm, user=stranger)
    deleted = await (await double.click(message, confirm, user=user)).response(timeout=5)
    assert deleted.type == 7
    assert "deleted" in deleted.data["content"].lower()
    assert not deleted.data.get("components")
    assert rows_mentioning(bot, int(user["id"])) == {}

    # And afterwards the member starts from nothing.
    status = await run(double, "posture", subcommand="status", user=user)
    assert "not getting posture nudges" in status.embeds[0]["description"]
    streak = await run(double, "streak", user=user)
    assert streak.ephemeral


async def test_delete_with_nothing_stored_offers_no_button(gym: Live) -> None:
    newcomer = gym.double.make_user("newcomer")
    reply = await run(gym.double, "privacy", subcommand="delete", user=newcomer)
    assert reply.ephemeral
    assert not reply.components


# --- /privacy leaderboard (v2) ---


async def test_leaderboard_visibility_is_exported_and_deleted(gym: Live) -> None:
    double = gym.double
    user = await member_with_data(gym, "shy")
    hidden = await run(double, "privacy", {"show": False}, subcommand="leaderboard", user=user)
    assert hidden.callback.status == 200
    assert hidden.ephemeral
    assert_no_pings(hidden.data)
    assert "hidden" in hidden.content

    exported = await run(double, "privacy", subcommand="export", user=user)
    (attachment,) = exported.callback.files
    tables = json.loads(attachment["data"])["tables"]
    assert tables["member_settings"][0]["leaderboard_hidden"] == 1
    assert [(row["days"], row["hidden"]) for row in tables["monthly_days"]] == [(1, 1)]
    assert [row["hidden"] for row in tables["member_stats"]] == [1]

    bot = gym.bot
    assert {"monthly_days", "member_settings"} <= set(rows_mentioning(bot, int(user["id"])))
    prompt = await run(double, "privacy", subcommand="delete", user=user)
    confirm = press(gym, prompt, "confirm", user)
    deleted = await (await double.click(prompt.created_message, confirm, user=user)).response(
        timeout=5
    )
    assert deleted.type == 7
    assert rows_mentioning(bot, int(user["id"])) == {}
    # Starting again, they are shown: the choice went with everything else.
    await run(double, "backday", subcommand="log", user=user)
    board = await run(double, "leaderboard", {"board": "month"}, user=user)
    assert "You: `#" in board.embeds[0]["description"]
