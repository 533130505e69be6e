"""/coach recap and /coach insights through the real bot, and the channel checks.

One bot in one server whose third channel ("no-bot-posts") denies the bot Send Messages
by a permission overwrite (the double's `locked_channel`). The recap is due on Mondays,
so, as in the posture tests, it is made due by editing its row while the bot is stopped,
and the started bot posts it at once; the week it covers is the one before the due
instant's week (UTC, the server's default zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from discord_double import MANAGE_GUILD, InteractionReply, Json
from tests.e2e.conftest import Live, live_bot
from tests.e2e.helpers import NO_PINGS, assert_no_pings, embed_of, run
from tests.e2e.test_posture_e2e import (
    assert_ephemeral,
    channel_posts,
    database,
    now_s,
    row,
    stopped,
    wait_for_row,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN = str(MANAGE_GUILD)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gym(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    async with live_bot(
        tmp_path_factory.mktemp("coach"), guild_count=1, locked_channel=True
    ) as shared:
        yield shared


def general(live: Live) -> int:
    return live.double.guild.channel_ids[0]


def locked(live: Live) -> int:
    (channel,) = live.double.guild.locked_channel_ids
    return channel


async def coach(
    live: Live, sub: str, options: dict[str, object] | None = None, **kw: Any
) -> InteractionReply:
    kw.setdefault("permissions", ADMIN)
    return await run(live.double, "coach", options, subcommand=sub, **kw)


def recap_row(live: Live) -> dict[str, Any] | None:
    return row(live.bot, "SELECT * FROM server_recaps WHERE guild_id = ?", live.double.guild.id)


def seed_log(live: Live, user: Json, day: dt.date, *, streak: int) -> None:
    """A back day as the bot would have stored it, with its streak row (bot stopped)."""
    guild = live.double.guild.id
    with database(live.bot) as conn:
        conn.execute(
            "INSERT INTO backday_logs (guild_id, user_id, day, note, logged_at)"
            " VALUES (?, ?, ?, NULL, ?)",
            (guild, int(user["id"]), day.isoformat(), f"{day.isoformat()}T12:00:00+00:00"),
        )
        conn.execute(
            "INSERT INTO member_stats (guild_id, user_id, current_streak, best_streak,"
            " total_days, expires_at) VALUES (?, ?, ?, ?, ?, NULL)",
            (guild, int(user["id"]), streak, streak, 1),
        )


async def test_a_channel_the_bot_cannot_post_in_is_refused_naming_the_permission(
    gym: Live,
) -> None:
    for sub, option, what in (
        ("settings", "nudge_channel", "the daily nudge"),
        ("recap", "channel", "the weekly recap"),
    ):
        reply = await coach(gym, sub, {option: str(locked(gym))})
        assert_ephemeral(reply)
        assert reply.content.startswith(
            f"I can't post {what} in <#{locked(gym)}>: I'm missing the **Send Messages** "
            "permission there."
        ), reply.content
    settings = row(gym.bot, "SELECT * FROM guild_settings WHERE guild_id = ?", gym.double.guild.id)
    assert settings is None or settings["nudge_channel_id"] is None
    assert recap_row(gym) is None
    assert channel_posts(gym.double, locked(gym)) == []


async def test_recap_set_then_a_due_recap_is_posted_on_start_once(gym: Live) -> None:
    double, bot = gym.double, gym.bot
    guild = double.guild.id
    on = await coach(gym, "recap", {"channel": str(general(gym))})
    assert_ephemeral(on)
    assert on.content.startswith("📊 Weekly recap on: every Monday at **09:00** (UTC) in <#")
    stored = recap_row(gym)
    assert stored is not None and stored["channel_id"] == general(gym)
    first = dt.datetime.fromtimestamp(stored["due_at"], dt.UTC)
    assert (first.weekday(), first.hour, first.minute) == (0, 9, 0) and stored["due_at"] > now_s()

    # Due a minute ago: the recap covers the week before that instant's week.
    slot = now_s() - 60
    slot_day = dt.datetime.fromtimestamp(slot, dt.UTC).date()
    week = slot_day - dt.timedelta(days=slot_day.weekday() + 7)
    ann, bob = double.make_user("ann"), double.make_user("bob")
    async with stopped(bot):
        seed_log(gym, ann, week + dt.timedelta(days=1), streak=1)
        seed_log(gym, bob, week - dt.timedelta(days=6), streak=0)  # the week before
        with database(bot) as conn:
            conn.execute("UPDATE server_recaps SET due_at = ? WHERE guild_id = ?", (slot, guild))
    posted = await wait_for_row(
        gym,
        "the recap to be recorded as posted",
        lambda: recap_row(gym),
        lambda r: r["last_status"] == "channel",
    )
    assert posted["last_week"] == week.isoformat()
    assert posted["due_at"] > now_s()
    (post,) = channel_posts(double, general(gym))
    assert post.status == 200, post.response
    assert post.json["allowed_mentions"] == NO_PINGS
    assert post.json["nonce"] == f"r{guild:x}{week:%Y%m%d}"
    assert post.json["enforce_nonce"] is True
    (embed,) = post.json["embeds"]
    assert embed["title"] == (
        f"📊 Weekly recap: {week:%a} {week.day} {week:%b} to "
        f"{week + dt.timedelta(days=6):%a} {(week + dt.timedelta(days=6)).day} "
        f"{week + dt.timedelta(days=6):%b}"
    )
    assert embed["description"].startswith("**1 back day** logged last week by **1 member**.")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["🎯 Hit the target (1)"] == f"<@{ann['id']}>"
    assert fields["🏆 New best streaks (1)"] == f"<@{ann['id']}> (1 week)"
    assert fields["🔥 Top 3 by current streak"] == f"1. <@{ann['id']}> · 🔥 1 week"

    # The same slot due again (as after a crash before the schedule moved): not reposted.
    async with stopped(bot):
        with database(bot) as conn:
            conn.execute("UPDATE server_recaps SET due_at = ? WHERE guild_id = ?", (slot, guild))
    await wait_for_row(
        gym,
        "the repeated week to be passed over",
        lambda: recap_row(gym),
        lambda r: r["due_at"] > now_s(),
    )
    assert len(channel_posts(double, general(gym))) == 1, "a second recap for the same week"


async def test_a_recap_channel_locked_later_is_recorded_as_failed(gym: Live) -> None:
    bot, guild = gym.bot, gym.double.guild.id
    async with stopped(bot):
        with database(bot) as conn:
            conn.execute(
                "UPDATE server_recaps SET channel_id = ?, due_at = ?, last_week = NULL"
                " WHERE guild_id = ?",
                (locked(gym), now_s() - 60, guild),
            )
    failed = await wait_for_row(
        gym,
        "the recap to be recorded as failed",
        lambda: recap_row(gym),
        lambda r: r["last_status"] == "failed",
    )
    assert failed["due_at"] > now_s()
    (refused,) = channel_posts(gym.double, locked(gym))
    assert refused.status == 403 and refused.response["code"] == 50013
    assert "Cannot post the weekly recap" in bot.all_output()
    await coach(gym, "recap", {"channel": str(general(gym))})  # back where it can post


async def test_recap_preview_and_off(gym: Live) -> None:
    cat = gym.double.make_user("cat")
    logged = await run(gym.double, "backday", subcommand="log", user=cat)
    assert logged.content.startswith("✅ Back day logged today")
    shown = await coach(gym, "recap")
    assert_ephemeral(shown)
    assert shown.content.startswith(f"The weekly recap goes to <#{general(gym)}> every Monday")
    embed = embed_of(shown)
    assert embed["title"].startswith("📊 This week so far: ")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<@{cat['id']}>" in fields["🎯 Hit the target (1)"]
    assert "Preview" in embed["footer"]["text"]

    off = await coach(gym, "recap", {"off": True})
    assert_ephemeral(off)
    assert off.content == "📊 Weekly recap off."
    assert recap_row(gym) is None
    again = await coach(gym, "recap", {"off": True})
    assert again.content == "The weekly recap was already off."
    none = await coach(gym, "recap")
    assert none.content.startswith("The weekly recap is **off**.")


async def test_insights_show_an_unanswered_question_and_an_opened_entry(gym: Live) -> None:
    dee = gym.double.make_user("dee")
    asked = await run(gym.double, "ask", {"question": "Creatine   dosage for beginners"}, user=dee)
    # Only weak matches (through "beginners"): answered, but not well.
    assert asked.callback.status == 200 and asked.embeds
    cue = await run(gym.double, "cue", {"exercise": "rows"}, user=dee)
    assert embed_of(cue)["title"] == "Barbell row"

    reply = await coach(gym, "insights", {"days": 30})
    assert_ephemeral(reply)
    embed = embed_of(reply)
    assert embed["title"] == "📈 Insights: the last 30 days"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["❓ /ask could not answer well (1 time)"] == (
        "`creatine dosage for beginners` · 1 time"
    )
    assert fields["📖 Most opened entries (1 opening)"] == "`barbell-row` (exercise) · 1 time"
    assert "Logged a back day: **3**" in fields["👥 Members"]  # ann, bob and cat
    assert fields["🔥 Current streaks (weeks: members)"].startswith("0: **1** · 1: **2** · ")
    # Nothing in the stored counters names the member.
    with database(gym.bot) as conn:
        for table in ("ask_misses", "entry_opens"):
            for found in conn.execute(f"SELECT * FROM {table}"):
                assert dee["id"] not in [str(v) for v in found], (table, dict(found))
    # Backbone's own log lines give the question's length and hash, never its words (the
    # harness also runs discord.py's gateway at DEBUG, which echoes every event).
    ours = [line for line in gym.bot.all_output().splitlines() if "bot.features." in line]
    counted = [line for line in ours if "Unanswered /ask" in line]
    assert counted and "29 characters" in counted[-1]
    assert not [line for line in ours if "creatine" in line.lower()]


async def test_every_message_pings_nobody_and_nothing_was_refused(gym: Live) -> None:
    double = gym.double
    for request, message in double.message_payloads():
        assert_no_pings(message)
        if request.status != 403:  # the locked channel
            assert request.status is not None and request.status < 300, request.response
    assert not double.violations, "\n".join(map(str, double.violations))
