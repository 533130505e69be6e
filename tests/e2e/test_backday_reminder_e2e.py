"""/backday reminder through the real bot: set, off, the DM when a streak is at risk (due
while the bot was down, delivered on start), and its button after a restart.

The bot's clock is the real one, so a reminder is made due by editing its row while the
bot is stopped, as the posture tests do; the schedule follows by trigger.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from discord_double import Json, custom_ids
from tests.e2e.conftest import Live, live_bot
from tests.e2e.helpers import assert_no_pings, run
from tests.e2e.test_posture_e2e import (
    assert_ephemeral,
    database,
    now_s,
    row,
    stopped,
    wait_for_row,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMESTAMP = re.compile(r"<t:(\d+):F>")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gym(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    async with live_bot(tmp_path_factory.mktemp("reminders"), guild_count=1) as shared:
        yield shared


async def backday(
    live: Live, sub: str, user: Json, options: dict[str, object] | None = None
) -> Any:
    return await run(live.double, "backday", options, subcommand=sub, user=user)


def reminder_row(live: Live, user: Json) -> dict[str, Any] | None:
    return row(live.bot, "SELECT * FROM backday_reminders WHERE user_id = ?", int(user["id"]))


def delivery_rows(live: Live, user: Json) -> list[dict[str, Any]]:
    with database(live.bot) as conn:
        found = conn.execute(
            "SELECT * FROM backday_reminder_deliveries WHERE user_id = ? ORDER BY week",
            (int(user["id"]),),
        ).fetchall()
    return [dict(r) for r in found]


def seed_streak(live: Live, user: Json, weeks_ago: int) -> None:
    """A back day on the Tuesday of each of the last `weeks_ago` weeks (UTC), as raw rows
    with the streak row the bot would have stored: a streak this week does not keep yet.
    The bot is stopped."""
    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    guild = live.double.guilds[0].id
    with database(live.bot) as conn:
        for n in range(1, weeks_ago + 1):
            day = monday - dt.timedelta(weeks=n) + dt.timedelta(days=1)
            conn.execute(
                "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at)"
                " VALUES (?, ?, ?, NULL, ?)",
                (guild, int(user["id"]), day.isoformat(), f"{day.isoformat()}T12:00:00+00:00"),
            )
        conn.execute(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days, expires_at) VALUES (?, ?, ?, ?, ?, NULL)",
            (guild, int(user["id"]), weeks_ago, weeks_ago, weeks_ago),
        )


async def test_setting_and_stopping_the_reminder(gym: Live) -> None:
    ann = gym.double.make_user("ann")
    reply = await backday(gym, "reminder", ann, {"day": "sunday"})
    assert_ephemeral(reply)
    assert reply.content.startswith("⏰ Streak reminder on: Sundays at **18:00** (UTC).")
    at = int(TIMESTAMP.search(reply.content).group(1))  # type: ignore[union-attr]
    due = dt.datetime.fromtimestamp(at, dt.UTC)
    assert due.weekday() == 6 and (due.hour, due.minute) == (18, 0) and at > now_s()
    stored = reminder_row(gym, ann)
    assert stored is not None and (stored["weekday"], stored["due_at"]) == (6, at)

    changed = await backday(gym, "reminder", ann, {"day": "friday", "time": "7:15am"})
    assert "Fridays at **07:15** (UTC)" in changed.content
    assert (await backday(gym, "reminder", ann, {"day": "off"})).content.startswith(
        "🔕 Streak reminder off."
    )
    assert reminder_row(gym, ann) is None
    again = await backday(gym, "reminder", ann, {"day": "off"})
    assert again.content == "Your streak reminder was already off."
    bad = await backday(gym, "reminder", ann, {"day": "sunday", "time": "teatime"})
    assert_ephemeral(bad)
    assert "HH:MM" in bad.content and reminder_row(gym, ann) is None


async def test_a_reminder_due_while_down_warns_once_and_its_button_works_after_restart(
    gym: Live,
) -> None:
    double, bot = gym.double, gym.bot
    bea = double.make_user("bea")
    await backday(gym, "reminder", bea, {"day": "sunday"})
    async with stopped(bot):
        seed_streak(gym, bea, weeks_ago=3)
        with database(bot) as conn:
            conn.execute(
                "UPDATE backday_reminders SET due_at = ? WHERE user_id = ?",
                (now_s() - 60, int(bea["id"])),
            )
    delivered = await wait_for_row(
        gym,
        "the reminder to be recorded as sent by DM",
        lambda: (delivery_rows(gym, bea) or [None])[-1],
        lambda r: r["status"] == "dm",
    )
    (message,) = double.dm_messages_to(bea)
    assert message["nonce"] == delivered["nonce"]
    (embed,) = message["embeds"]
    assert embed["title"] == "🔥 Your streak is at risk this week"
    assert f"**{double.guilds[0].name}**: your 3 weeks streak" in embed["description"]
    assert custom_ids(message["components"]) == [f"backday-reminder:off:{bea['id']}"]
    channel = double.dm_channel_of(bea)
    (post,) = double.requests_to("POST", rf"^/channels/{channel}/messages$")
    assert post.json["enforce_nonce"] is True
    assert_no_pings(post.json)
    stored = reminder_row(gym, bea)
    assert stored is not None and stored["due_at"] > now_s()  # next week's

    await bot.restart()
    assert len(double.dm_messages_to(bea)) == 1  # not again after the restart
    cat = double.make_user("cat")
    other = await (
        await double.click(message, f"backday-reminder:off:{bea['id']}", user=cat)
    ).response()
    assert_ephemeral(other)
    assert other.content == "This button belongs to the member the reminder was for."
    off = await (
        await double.click(message, f"backday-reminder:off:{bea['id']}", user=bea)
    ).response()
    assert_ephemeral(off)
    assert off.content.startswith("🔕 Streak reminder off.")
    assert reminder_row(gym, bea) is None


async def test_no_dm_when_no_streak_is_at_risk(gym: Live) -> None:
    double, bot = gym.double, gym.bot
    cid = double.make_user("cid")
    await backday(gym, "reminder", cid, {"day": "saturday"})
    async with stopped(bot):
        with database(bot) as conn:
            conn.execute(
                "UPDATE backday_reminders SET due_at = ? WHERE user_id = ?",
                (now_s() - 60, int(cid["id"])),
            )
    delivered = await wait_for_row(
        gym,
        "the reminder to be recorded as not needed",
        lambda: (delivery_rows(gym, cid) or [None])[-1],
        lambda r: r["status"] == "safe",
    )
    assert delivered["nonce"] == ""
    assert double.dm_messages_to(cid) == []
