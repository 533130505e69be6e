"""Back days, streaks, the leaderboard and server settings, through the real bot process.

The bot runs on the real clock and the server's default timezone (UTC), so expectations
are computed from today's UTC date: on a Monday "yesterday" belongs to last week. Tests
avoid the last seconds before UTC midnight, when "today" would change under them.

Every member here is a fresh user of the double, so tests that share the module's bot
(`gym`) do not see each other's logs. Guild 0 of `gym` logs back days; guild 1 has its
settings changed; the leaderboard test gets its own double and bot, which it restarts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from PIL import Image

from bot.features.streaks.card import CARD_SIZE, CARD_WEEKS, EMPTY, FILLED, cell_centre
from discord_double import (
    EPHEMERAL,
    MANAGE_GUILD,
    DiscordDouble,
    InteractionReply,
    Json,
    check_components,
)
from tests.e2e.conftest import LaunchBot, Live, live_bot
from tests.e2e.helpers import NO_PINGS, assert_no_pings, embed_of, run

# Every test here runs on SQLite and on PostgreSQL.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("backend")]

STREAK_FIELDS = [
    "Current streak",
    "Best streak",
    "This week",
    "Total back days",
    "Freezes held",
    "Last 8 weeks",
]
RANK_LINE = re.compile(r"^`#\s*(\d+)` <@(\d+)> · ")
PAGE_BUTTON = re.compile(r"^leaderboard:(\d+):(prev|next)(?::|$)")
MIDNIGHT_MARGIN = 20.0  # seconds; longer than any one test here takes
ADMIN = str(MANAGE_GUILD)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gym(tmp_path_factory: pytest.TempPathFactory, backend: str) -> AsyncIterator[Live]:
    """One bot in two servers: guild 0 logs back days, guild 1 has its settings changed."""
    async with live_bot(
        tmp_path_factory.mktemp("streaks"), guild_count=2, backend=backend
    ) as shared:
        yield shared


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def not_at_midnight() -> None:
    """Wait out the last seconds of a UTC day, so "today" is the same day all test long."""
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    left = (midnight - now).total_seconds()
    if left < MIDNIGHT_MARGIN:
        await asyncio.sleep(left + 1)


# --- expectations ---


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def shown(day: dt.date) -> str:
    return f"{day:%a %d %b}"


def weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def summary(current: int, this_week: int, target: int, best: int) -> str:
    return (
        f"🔥 Streak: **{weeks(current)}** · This week: **{this_week}/{target}** · "
        f"Best: {weeks(best)}"
    )


def both_days() -> tuple[int, int, int]:
    """(current, this week, best) after logging today and yesterday, target 1."""
    if today().weekday() == 0:  # Monday: yesterday closed last week
        return 2, 1, 2
    return 1, 2, 1


async def log(
    double: DiscordDouble, user: Json, options: dict[str, object] | None = None, **kw: Any
) -> InteractionReply:
    return await run(double, "backday", options, subcommand="log", user=user, **kw)


async def undo(double: DiscordDouble, user: Json, **kw: Any) -> InteractionReply:
    return await run(double, "backday", subcommand="undo", user=user, **kw)


async def streak(
    double: DiscordDouble, user: Json, member: Json | None = None, **kw: Any
) -> InteractionReply:
    options: dict[str, object] | None = {"member": member} if member is not None else None
    return await run(double, "streak", options, user=user, **kw)


def fields_of(reply: InteractionReply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed_of(reply).get("fields", [])}


def assert_public(reply: InteractionReply) -> None:
    assert reply.callback.status == 200, reply.callback.response
    assert reply.type == 4
    assert not reply.ephemeral
    assert reply.data["allowed_mentions"] == NO_PINGS


def assert_ephemeral(reply: InteractionReply) -> None:
    assert reply.callback.status == 200, reply.callback.response
    assert reply.ephemeral
    assert_no_pings(reply.message)


def option_schema(double: DiscordDouble, command: str, sub: str | None, name: str) -> Json:
    level = double.registered()[command]["options"]
    if sub is not None:
        level = next(o for o in level if o["name"] == sub)["options"]
    option: Json = next(o for o in level if o["name"] == name)
    return option


# --- /backday log and /backday undo ---


async def test_log_today_replies_publicly_with_the_streak(gym: Live) -> None:
    double = gym.double
    ana = double.make_user("ana")
    reply = await log(double, ana)
    assert_public(reply)
    assert reply.content == (
        f"✅ Back day logged today ({shown(today())}).\n{summary(1, 1, 1, 1)}\n"
        "This week counts toward your streak now. 💪"
    )
    assert reply.latency < double.ack_deadline


async def test_second_log_the_same_day_is_refused_kindly(gym: Live) -> None:
    double = gym.double
    ben = double.make_user("ben")
    assert_public(await log(double, ben, {"when": "today"}))
    again = await log(double, ben, {"note": "again"})
    assert_ephemeral(again)
    assert again.content.startswith(f"You already logged a back day today ({shown(today())})")
    assert "nothing changed" in again.content
    assert summary(1, 1, 1, 1) in again.content
    # Nothing changed indeed.
    assert fields_of(await streak(double, ben))["Total back days"] == "1"


async def test_log_yesterday(gym: Live) -> None:
    double = gym.double
    cat = double.make_user("cat")
    yesterday = today() - dt.timedelta(days=1)
    first = await log(double, cat, {"when": "yesterday", "note": "rows and pull-ups"})
    assert_public(first)
    assert first.content.startswith(f"✅ Back day logged yesterday ({shown(yesterday)}).\n")
    this_week = 0 if today().weekday() == 0 else 1
    assert summary(1, this_week, 1, 1) in first.content

    second = await log(double, cat)
    assert_public(second)
    assert summary(*both_days()[:2], 1, both_days()[2]) in second.content
    refused = await log(double, cat, {"when": "yesterday"})
    assert_ephemeral(refused)
    assert f"already logged a back day yesterday ({shown(yesterday)})" in refused.content


async def test_log_options_are_limited_like_discords_client_limits_them(gym: Live) -> None:
    double = gym.double
    when = option_schema(double, "backday", "log", "when")
    assert [c["value"] for c in when["choices"]] == ["today", "yesterday"]
    note = option_schema(double, "backday", "log", "note")
    assert note["type"] == 3
    assert note["max_length"] == 200
    assert not note.get("required")
    dan = double.make_user("dan")
    with pytest.raises(ValueError, match=r"only sends note of 1\.\.200 chars"):
        await double.slash("backday", {"note": "x" * 201}, subcommand="log", user=dan)
    with pytest.raises(ValueError, match="not one of the choices"):
        await double.slash("backday", {"when": "tomorrow"}, subcommand="log", user=dan)
    assert_public(await log(double, dan, {"note": "y" * 200}))


async def test_undo_shows_the_recomputed_streak_until_nothing_is_left(gym: Live) -> None:
    double = gym.double
    eve = double.make_user("eve")
    nothing = await undo(double, eve)
    assert_ephemeral(nothing)
    assert nothing.content.startswith("Nothing to undo")

    assert_public(await log(double, eve, {"when": "yesterday"}))
    assert_public(await log(double, eve))
    monday = today().weekday() == 0

    first = await undo(double, eve)  # the most recent: today
    assert_ephemeral(first)
    assert first.type == 4
    assert first.content == (
        f"Removed your back day today ({shown(today())}).\n" + summary(1, 0 if monday else 1, 1, 1)
    )
    second = await undo(double, eve)
    assert_ephemeral(second)
    yesterday = today() - dt.timedelta(days=1)
    assert second.content == (
        f"Removed your back day yesterday ({shown(yesterday)}).\n{summary(0, 0, 1, 0)}"
    )
    third = await undo(double, eve)
    assert_ephemeral(third)
    assert third.content == ("Nothing to undo: you have no back day logged for today or yesterday.")
    gone = await streak(double, eve)
    assert_ephemeral(gone)
    assert "haven't logged a back day" in gone.content


# --- /streak ---


async def test_streak_for_yourself(gym: Live) -> None:
    double = gym.double
    fay = double.make_user("fay")
    await log(double, fay, {"when": "yesterday"})
    await log(double, fay)
    reply = await streak(double, fay)
    assert_public(reply)
    embed = embed_of(reply)
    assert embed["title"] == "Fay's back-day streak"
    assert [f["name"] for f in embed["fields"]] == STREAK_FIELDS
    current, this_week, best = both_days()
    fields = fields_of(reply)
    assert fields["Current streak"] == weeks(current)
    assert fields["Best streak"] == weeks(best)
    assert fields["This week"] == f"{this_week}/1 back days"
    assert fields["Total back days"] == "2"
    strip = fields["Last 8 weeks"]
    assert len(strip) == 8
    assert set(strip) <= set("🟩🟨⬛⬜")
    expected_end = "🟩🟩" if today().weekday() == 0 else "⬛🟩"
    assert strip.endswith(expected_end), strip
    assert strip.startswith("⬛" * 6)


async def test_streak_of_a_member_who_never_logged_is_ephemeral(gym: Live) -> None:
    double = gym.double
    gus, hal = double.make_user("gus"), double.make_user("hal")
    await log(double, gus)
    handle = await double.slash("streak", {"member": hal}, user=gus)
    data = handle.state.payload["data"]
    # Discord's shape: the id as the value, the user and the member (no `user`) resolved.
    assert data["options"] == [{"type": 6, "name": "member", "value": hal["id"]}]
    assert data["resolved"]["users"] == {hal["id"]: hal}
    assert "user" not in data["resolved"]["members"][hal["id"]]
    reply = await handle.response()
    assert_ephemeral(reply)
    assert reply.content == "Hal hasn't logged a back day in this server yet."


async def test_streak_of_another_member_who_logged(gym: Live) -> None:
    double = gym.double
    ivy, jon = double.make_user("ivy"), double.make_user("jon")
    await log(double, jon)
    reply = await streak(double, ivy, member=jon)
    assert_public(reply)
    assert embed_of(reply)["title"] == "Jon's back-day streak"
    assert fields_of(reply)["Total back days"] == "1"
    mine = await streak(double, jon, member=jon)  # naming yourself is /streak for yourself
    assert fields_of(mine) == fields_of(reply)


async def test_streak_of_a_user_outside_the_server_is_refused_politely(gym: Live) -> None:
    double = gym.double
    kim = double.make_user("kim")
    stranger = double.make_user("stranger", member=False)
    handle = await double.slash("streak", {"member": stranger}, user=kim)
    assert "members" not in handle.state.payload["data"]["resolved"]
    reply = await handle.response()
    assert_ephemeral(reply)
    assert "Something went wrong" not in reply.content


# --- /coach settings (guild 1) ---


def settings_guild(live: Live) -> int:
    return live.double.guilds[1].id


async def settings(live: Live, options: dict[str, object] | None = None) -> InteractionReply:
    return await run(
        live.double,
        "coach",
        options,
        subcommand="settings",
        permissions=ADMIN,
        guild=settings_guild(live),
    )


def assert_settings_embed(reply: InteractionReply) -> Json:
    assert reply.type == 5
    assert reply.data.get("flags") == EPHEMERAL
    (followup,) = reply.followups
    assert followup.status == 200, followup.response
    assert followup.json["flags"] & EPHEMERAL
    assert followup.json["allowed_mentions"] == NO_PINGS
    embed = embed_of(reply)
    assert embed["title"] == "Server settings"
    return embed


async def test_coach_settings_needs_manage_server(gym: Live) -> None:
    double = gym.double
    with pytest.raises(PermissionError, match="would not show /coach"):
        await double.slash("coach", subcommand="settings", permissions="0")
    reply = await run(
        double,
        "coach",
        {"weekly_target": 5},
        subcommand="settings",
        permissions="0",
        permission_override=True,
        guild=settings_guild(gym),
    )
    assert_ephemeral(reply)
    assert reply.type == 4
    assert "Manage Server" in reply.content
    shown_now = assert_settings_embed(await settings(gym))
    assert shown_now["fields"][1]["value"] != "5 back day(s)", "a refused change was applied"


async def test_coach_settings_options_are_limited_like_discords_client_limits_them(
    gym: Live,
) -> None:
    double = gym.double
    target = option_schema(double, "coach", "settings", "weekly_target")
    assert (target["type"], target["min_value"], target["max_value"]) == (4, 1, 7)
    zone = option_schema(double, "coach", "settings", "timezone")
    assert zone["autocomplete"] is True
    for value in (0, 8):
        with pytest.raises(ValueError, match="only sends weekly_target between 1 and 7"):
            await double.slash(
                "coach",
                {"weekly_target": value},
                subcommand="settings",
                permissions=ADMIN,
                guild=settings_guild(gym),
            )


async def test_coach_settings_shows_and_changes_the_server_settings(gym: Live) -> None:
    embed = assert_settings_embed(await settings(gym))
    assert embed["description"] == "Nothing changed."
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("Timezone", "UTC"),
        ("Weekly target", "1 back day(s)"),
        ("Nudge channel", "none"),
        ("Daily channel nudge", "off"),
        ("Default reminder time", "09:00"),
    ]

    embed = assert_settings_embed(await settings(gym, {"timezone": "america/new york"}))
    assert embed["description"] == "Timezone: UTC → **America/New_York**"
    assert embed["fields"][0]["value"] == "America/New_York"

    bad = await settings(gym, {"timezone": "Mars/Olympus"})
    assert_ephemeral(bad)
    assert bad.type == 4
    assert "is not a timezone I know" in bad.content
    assert "Closest:" in bad.content
    suggested = re.findall(r"`([^`]+)`", bad.content.split("Closest:")[1])
    assert suggested, bad.content
    for name in suggested:
        ZoneInfo(name)

    embed = assert_settings_embed(await settings(gym, {"weekly_target": 2}))
    assert embed["description"] == "Weekly target: 1 → **2**"
    assert [(f["name"], f["value"]) for f in embed["fields"]][:2] == [
        ("Timezone", "America/New_York"),
        ("Weekly target", "2 back day(s)"),
    ]
    assert_settings_embed(await settings(gym))  # still there when just shown

    # The new target applies to back days logged in that server.
    lou = gym.double.make_user("lou")
    logged = await log(gym.double, lou, guild=settings_guild(gym))
    assert_public(logged)
    assert "This week: **1/2**" in logged.content
    assert "Streak: **0 weeks**" in logged.content
    reply = await streak(gym.double, lou, guild=settings_guild(gym))
    assert fields_of(reply)["This week"] == "1/2 back days"


async def test_coach_settings_timezone_by_city_name(gym: Live) -> None:
    embed = assert_settings_embed(await settings(gym, {"timezone": "new york"}))
    assert embed["fields"][0]["value"] == "America/New_York"


async def test_coach_settings_refuses_a_host_specific_zone(gym: Live) -> None:
    try:
        ZoneInfo("localtime")
    except (ValueError, LookupError):
        pytest.skip("this host has no `localtime` zone file")
    reply = await settings(gym, {"timezone": "localtime"})
    assert_ephemeral(reply)
    assert "is not a timezone I know" in reply.content


@pytest.mark.parametrize(
    ("typed", "expected"), [("lond", "Europe/London"), ("new y", "America/New_York"), ("", None)]
)
async def test_timezone_autocomplete(gym: Live, typed: str, expected: str | None) -> None:
    choices = await gym.double.autocomplete(
        "coach", "timezone", typed, subcommand="settings", permissions=ADMIN
    )
    assert 1 <= len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice["name"]) <= 100
        assert 1 <= len(choice["value"]) <= 100
        ZoneInfo(choice["value"])
    if expected is not None:
        assert choices[0]["value"] == expected


async def test_every_reply_fits_discords_limits_and_pings_nobody(gym: Live) -> None:
    """Over everything this module's tests sent so far."""
    double = gym.double
    messages = double.message_payloads()
    assert len(messages) >= 20
    for request, message in messages:
        assert request.status is not None and request.status < 300, request.response
        assert_no_pings(message)
        assert not check_components(message.get("components") or [])
    assert not double.violations, "\n".join(map(str, double.violations))
    for state in double.interactions.values():
        assert state.acknowledged_at is not None, f"interaction {state.id} never answered"
        assert state.dispatched_at is not None
        assert state.acknowledged_at - state.dispatched_at < double.ack_deadline


# --- /leaderboard (its own bot, restarted) ---


def board_rows(embed: Json) -> list[tuple[int, str]]:
    """(rank, user id) for each ranked line of a leaderboard embed."""
    rows = []
    for line in embed["description"].splitlines():
        if m := RANK_LINE.match(line):
            rows.append((int(m.group(1)), m.group(2)))
    return rows


def page_buttons(message: Json) -> dict[str, Json]:
    """The page buttons by side ("prev"/"next"), checked against Discord's rules."""
    (row,) = message["components"]
    assert row["type"] == 1
    buttons: dict[str, Json] = {}
    for button in row["components"]:
        m = PAGE_BUTTON.match(button["custom_id"])
        assert m, button
        assert button["type"] == 2 and button["style"] == 2
        buttons[m.group(2)] = button
    assert set(buttons) == {"prev", "next"}
    return buttons


def footer(message: Json) -> str:
    text: str = message["embeds"][0]["footer"]["text"]
    return text


async def click(double: DiscordDouble, message: Json, side: str, user: Json) -> InteractionReply:
    button = page_buttons(double.message(message))[side]
    handle = await double.click(message, button["custom_id"], user=user)
    return await handle.response(timeout=5)


async def test_leaderboard_ranks_pages_and_survives_a_restart(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()
    keen = [double.make_user(f"keen{n}") for n in range(3)]  # today and yesterday
    steady = [double.make_user(f"steady{n}") for n in range(9)]  # today only
    await asyncio.gather(*(log(double, u, {"when": "yesterday"}) for u in keen))
    replies = await asyncio.gather(*(log(double, u) for u in keen + steady))
    for reply in replies:
        assert_public(reply)
    keen_ids = {u["id"] for u in keen}
    everyone = keen_ids | {u["id"] for u in steady}

    viewer = steady[0]
    first = await run(double, "leaderboard", user=viewer)
    assert_public(first)
    embed = embed_of(first)
    assert embed["title"] == "Back-day leaderboard"
    rows = board_rows(embed)
    assert [rank for rank, _ in rows] == [1, 1, 1] + [4] * 7  # ties share a rank
    assert {uid for _, uid in rows[:3]} == keen_ids
    assert "You: `#4`" in embed["description"]
    assert footer(first.message).startswith("Page 1/2")
    buttons = page_buttons(first.message)
    assert buttons["prev"].get("disabled") is True
    assert not buttons["next"].get("disabled")
    message = first.created_message
    assert message["components"], "the double keeps the buttons it was sent"

    # Next: the same message is updated in place (UPDATE_MESSAGE), page 2.
    second = await click(double, message, "next", user=viewer)
    assert second.callback.status == 200
    assert second.type == 7
    assert second.data["allowed_mentions"] == NO_PINGS
    page2 = second.data["embeds"][0]
    rows2 = board_rows(page2)
    assert [rank for rank, _ in rows2] == [4, 4]
    assert {uid for _, uid in rows + rows2} == everyone
    assert len(rows + rows2) == len(everyone)
    assert footer(second.data).startswith("Page 2/2")
    stored = double.message(message)
    assert stored["id"] == message["id"]
    assert footer(stored).startswith("Page 2/2")
    buttons = page_buttons(stored)
    assert buttons["next"].get("disabled") is True
    assert not buttons["prev"].get("disabled")
    with pytest.raises(PermissionError, match="disabled"):
        await double.click(message, buttons["next"]["custom_id"], user=viewer)

    # Someone else pages back: the same board, and still the caller's own line (v2).
    outsider = double.make_user("lurker")
    back = await click(double, message, "prev", user=outsider)
    assert back.type == 7
    assert board_rows(back.data["embeds"][0]) == rows
    assert "You: `#4`" in back.data["embeds"][0]["description"]

    before = fields_of(await streak(double, keen[0]))

    # A restart with the same database: the old message's buttons still work.
    assert await bot.restart() == 0, bot.log_tail()
    assert double.message(message)["components"]
    after_restart = await click(double, message, "next", user=viewer)
    assert after_restart.callback.status == 200, after_restart.callback.response
    assert after_restart.type == 7
    assert board_rows(after_restart.data["embeds"][0]) == rows2
    again = await click(double, message, "prev", user=keen[1])
    assert again.type == 7
    assert board_rows(again.data["embeds"][0]) == rows
    assert "You: `#4`" in again.data["embeds"][0]["description"]  # the caller's, not keen[1]'s

    assert fields_of(await streak(double, keen[0])) == before
    refused = await log(double, keen[0])
    assert_ephemeral(refused)
    assert "already logged" in refused.content

    for request, body in double.message_payloads():
        assert request.status is not None and request.status < 300, request.response
        assert_no_pings(body)
    assert not double.violations, "\n".join(map(str, double.violations))
    assert "Ignoring exception" not in bot.all_output()


# --- /streak's card ---


def card_of(reply: InteractionReply) -> tuple[Json, Image.Image]:
    """The one file the reply sent, as the bot described it, and decoded."""
    (sent,) = reply.callback.files
    assert sent["filename"] == "streak.png"
    (described,) = reply.data["attachments"]
    assert described["filename"] == "streak.png"
    image = Image.open(io.BytesIO(sent["data"]))
    assert image.format == "PNG"
    assert image.size == CARD_SIZE
    return described, image.convert("RGBA").convert("RGB")


async def test_streak_shows_its_card_as_the_embed_image(gym: Live) -> None:
    double = gym.double
    nia = double.make_user("nia")
    await log(double, nia, {"when": "yesterday"})
    await log(double, nia)
    reply = await streak(double, nia)
    assert_public(reply)
    assert reply.latency < double.ack_deadline
    embed = embed_of(reply)
    assert embed["image"]["url"] == "attachment://streak.png"
    described, image = card_of(reply)

    # The text still holds every number, and the alt text states them too.
    current, this_week, best = both_days()
    fields = fields_of(reply)
    assert fields["Current streak"] == weeks(current)
    assert fields["Best streak"] == weeks(best)
    assert fields["This week"] == f"{this_week}/1 back days"
    assert fields["Total back days"] == "2"
    assert fields["Freezes held"] == "0 of 2 🧊"
    alt = described["description"]
    assert alt.startswith(
        f"Back-day streak card for Nia. Current streak {weeks(current)}, best streak "
        f"{weeks(best)}, 0 of 2 freezes held, this week {this_week} of 1 back days."
    )
    assert "2 back days logged" in alt
    assert 1 <= len(alt) <= 1024

    # Today's cell (this week is the last column) is filled; two days ago is not.
    last = CARD_WEEKS - 1
    assert image.getpixel(cell_centre(last, today().weekday())) == FILLED
    two_ago = today() - dt.timedelta(days=2)
    column = last - (0 if two_ago.weekday() < today().weekday() else 1)
    assert image.getpixel(cell_centre(column, two_ago.weekday())) == EMPTY

    # The message Discord keeps shows the attachment.
    stored = reply.created_message
    assert [a["filename"] for a in stored["attachments"]] == ["streak.png"]
    assert stored["embeds"][0]["image"]["url"] == "attachment://streak.png"


async def test_streak_card_of_another_member_names_them_and_is_the_same_twice(
    gym: Live,
) -> None:
    double = gym.double
    oli, pam = double.make_user("oli"), double.make_user("pam")
    await log(double, pam)
    first = await streak(double, oli, member=pam)
    assert_public(first)
    described, _ = card_of(first)
    assert described["description"].startswith("Back-day streak card for Pam.")
    again = await streak(double, pam)
    assert card_of(again)[0]["description"] == described["description"]
    assert again.callback.files[0]["data"] == first.callback.files[0]["data"]
    # A new log changes the card.
    await log(double, pam, {"when": "yesterday"})
    after = await streak(double, pam)
    assert after.callback.files[0]["data"] != first.callback.files[0]["data"]
    assert fields_of(after)["Total back days"] == "2"
    assert not double.violations, "\n".join(map(str, double.violations))


# --- /leaderboard board:month|all-time, hidden members and checked buttons (v2) ---
# Each test here gets its own double and bot. Three "keen" members log yesterday and
# today, nine "steady" ones today: on every board the keen share rank 1 and the steady
# rank 4 (more back days in all, or this month, or a longer best: never fewer).


BOARD_TITLES = {
    "streak": "Back-day leaderboard",
    "month": f"Back-day leaderboard · {today():%B %Y}",
    "all-time": "Back-day leaderboard · all time",
}


async def seed_keen_and_steady(double: DiscordDouble) -> tuple[list[Json], list[Json]]:
    keen = [double.make_user(f"keen{n}") for n in range(3)]
    steady = [double.make_user(f"steady{n}") for n in range(9)]
    await asyncio.gather(*(log(double, u, {"when": "yesterday"}) for u in keen))
    for reply in await asyncio.gather(*(log(double, u) for u in keen + steady)):
        assert_public(reply)
    return keen, steady


async def board(double: DiscordDouble, user: Json, kind: str) -> InteractionReply:
    reply = await run(double, "leaderboard", {"board": kind}, user=user)
    assert_public(reply)
    assert embed_of(reply)["title"] == BOARD_TITLES[kind]
    return reply


def description(message: Json) -> str:
    text: str = message["embeds"][0]["description"]
    return text


async def test_leaderboard_board_option_is_the_contracts(gym: Live) -> None:
    option = option_schema(gym.double, "leaderboard", None, "board")
    assert option["type"] == 3
    assert not option.get("required")
    assert [c["value"] for c in option["choices"]] == ["streak", "month", "all-time"]


async def test_month_and_all_time_boards_page_keep_the_callers_line_and_survive_a_restart(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()
    keen, steady = await seed_keen_and_steady(double)
    keen_ids = {u["id"] for u in keen}
    everyone = keen_ids | {u["id"] for u in steady}
    viewer = steady[0]
    messages: dict[str, Json] = {}
    first_pages: dict[str, list[tuple[int, str]]] = {}
    for kind in ("month", "all-time"):
        first = await board(double, viewer, kind)
        rows = board_rows(embed_of(first))
        assert [rank for rank, _ in rows] == [1, 1, 1] + [4] * 7, kind
        assert {uid for _, uid in rows[:3]} == keen_ids
        assert "You: `#4`" in description(first.message)
        assert footer(first.message).startswith("Page 1/2")
        buttons = page_buttons(first.message)
        assert buttons["prev"].get("disabled") is True
        for button in buttons.values():
            assert f":{kind}:" in button["custom_id"]
            assert button["custom_id"].split(":")[8] == viewer["id"]  # the caller
            assert len(button["custom_id"]) <= 100
        messages[kind], first_pages[kind] = first.created_message, rows

        second = await click(double, messages[kind], "next", user=viewer)
        assert second.type == 7
        assert second.data["allowed_mentions"] == NO_PINGS
        rows2 = board_rows(second.data["embeds"][0])
        assert [rank for rank, _ in rows2] == [4, 4]
        assert {uid for _, uid in rows + rows2} == everyone
        assert footer(second.data).startswith("Page 2/2")

        # Another member pages back: the board they see is the caller's, "You" line too.
        back = await click(double, messages[kind], "prev", user=keen[1])
        assert back.type == 7
        assert not back.ephemeral
        assert board_rows(back.data["embeds"][0]) == rows
        assert "You: `#4`" in description(back.data)
        assert "You: `#1`" not in description(back.data)

    # A restart with the same database: both messages' buttons still work.
    assert await bot.restart() == 0, bot.log_tail()
    for kind, message in messages.items():
        after = await click(double, message, "next", user=keen[2])
        assert after.callback.status == 200, after.callback.response
        assert after.type == 7
        assert [rank for rank, _ in board_rows(after.data["embeds"][0])] == [4, 4]
        assert "You: `#4`" in description(after.data)
        again = await click(double, message, "prev", user=viewer)
        assert board_rows(again.data["embeds"][0]) == first_pages[kind]

    assert not double.violations, "\n".join(map(str, double.violations))
    assert "Ignoring exception" not in bot.all_output()


async def test_a_hidden_member_is_on_no_board_and_streak_still_works(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()
    keen, steady = await seed_keen_and_steady(double)
    hider = keen[0]
    hidden = await run(double, "privacy", {"show": False}, subcommand="leaderboard", user=hider)
    assert_ephemeral(hidden)
    assert "hidden from the leaderboards of every server" in hidden.content

    everyone_else = {u["id"] for u in keen[1:] + steady}
    for kind in ("streak", "month", "all-time"):
        mine = await board(double, hider, kind)
        rows = board_rows(embed_of(mine))
        assert hider["id"] not in {uid for _, uid in rows}, kind
        assert [rank for rank, _ in rows] == [1, 1] + [3] * 8, kind
        assert "You: hidden from every leaderboard" in description(mine.message)
        assert footer(mine.message).startswith("Page 1/2")
        rest = await click(double, mine.created_message, "next", user=hider)
        assert board_rows(rest.data["embeds"][0]) == [
            (3, rest_id)
            for rest_id in [uid for uid in everyone_else if uid not in {u for _, u in rows}]
        ]  # 11 members shown, not 12
        theirs = await board(double, steady[0], kind)
        assert board_rows(embed_of(theirs)) == rows  # the same board for everyone
        assert "You: `#3`" in description(theirs.message)

    # /streak still works for them, for themselves and for others.
    own = await streak(double, hider)
    assert_public(own)
    assert fields_of(own)["Total back days"] == "2"
    assert fields_of(await streak(double, steady[0], member=hider))["Total back days"] == "2"

    shown = await run(double, "privacy", {"show": True}, subcommand="leaderboard", user=hider)
    assert_ephemeral(shown)
    assert "on the leaderboards of every server again" in shown.content
    back = await board(double, hider, "all-time")
    assert hider["id"] in {uid for _, uid in board_rows(embed_of(back))}
    assert "You: `#1`" in description(back.message)
    assert not double.violations, "\n".join(map(str, double.violations))
    assert "Ignoring exception" not in bot.all_output()


@pytest.mark.parametrize(
    "damage",
    [
        lambda parts: [*parts[:8], "9" * 30],  # a caller id past SQLite's 64-bit integers
        lambda parts: [*parts[:4], "9" * 30, *parts[5:]],  # a score past them
        lambda parts: [*parts[:3], "weekly", *parts[4:]],  # no such board
    ],
    ids=["caller", "score", "board"],
)
async def test_a_forged_page_button_gets_a_clear_ephemeral_answer(
    double: DiscordDouble, bot_process: LaunchBot, damage: Any
) -> None:
    bot = await bot_process()
    await seed_keen_and_steady(double)
    viewer = double.make_user("viewer")
    first = await board(double, viewer, "streak")
    message = first.created_message
    # The stored message now carries a damaged button, as a modified client could send.
    button = double.message(message)["components"][0]["components"][1]
    forged = ":".join(damage(button["custom_id"].split(":")))
    assert forged != button["custom_id"] and len(forged) <= 100
    button["custom_id"] = forged
    before = description(double.message(message))

    pressed = await (await double.click(message, forged, user=viewer)).response(timeout=5)
    assert_ephemeral(pressed)
    assert pressed.type == 4
    assert "out of date or damaged" in pressed.content
    assert "/leaderboard" in pressed.content
    assert description(double.message(message)) == before  # the board is left as it was
    assert "Traceback" not in bot.all_output()
    assert "Ignoring exception" not in bot.all_output()


async def test_an_unknown_board_from_a_modified_client_is_refused_clearly(gym: Live) -> None:
    double = gym.double
    option = option_schema(double, "leaderboard", None, "board")
    choices = option.pop("choices")  # a client that ignores the offered choices
    try:
        reply = await run(double, "leaderboard", {"board": "weekly"}, user=double.make_user("x"))
    finally:
        option["choices"] = choices
    assert_ephemeral(reply)
    assert "“weekly” is not a leaderboard" in reply.content
    assert "streak, month, all-time" in reply.content


async def test_a_first_version_page_button_still_pages(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    """Messages sent before v2 carry `leaderboard:<page>:<side>:<current>:<best>:<total>:
    <user>`: the streak board, with the presser's own line as it was then."""
    await bot_process()
    keen, steady = await seed_keen_and_steady(double)
    first = await board(double, steady[0], "streak")
    message = first.created_message
    button = double.message(message)["components"][0]["components"][1]
    page, side, _board, score, best, total, user, _caller = button["custom_id"].split(":")[1:]
    button["custom_id"] = f"leaderboard:{page}:{side}:{score}:{best}:{total}:{user}"
    pressed = await (await double.click(message, button["custom_id"], user=keen[0])).response(
        timeout=5
    )
    assert pressed.type == 7
    assert [rank for rank, _ in board_rows(pressed.data["embeds"][0])] == [4, 4]
    assert "You: `#1`" in description(pressed.data)  # the presser's, as in the first version
    new_ids = [b["custom_id"] for b in pressed.data["components"][0]["components"]]
    assert all(cid.split(":")[8] == keen[0]["id"] for cid in new_ids)
