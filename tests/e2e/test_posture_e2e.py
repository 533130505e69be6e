"""Posture nudges through the real bot process: /posture, its DMs, the dispatcher across
restarts, the nudge buttons, and the server-wide channel nudge.

The dispatcher wakes by itself only at due times, so deliveries are tested the way a
restart meets them: with the bot stopped, a member's reminder (or a server's channel
nudge) is made due a little while ago directly in the database, and the started bot
delivers (or skips) it at once. That also shows the schedule survives a restart.

One bot in three servers serves the whole module, and every test uses fresh members, so
tests only see their own rows and messages. Guild 0 keeps the default settings (UTC,
09:00, no nudge channel); guild 1 gets a nudge channel for members with closed DMs;
guild 2 has its settings and its daily channel nudge changed.

Members whose nudge is made due pick a time a minute or two before now (UTC), so the
seeded slot is exactly one of their slots and the next one is the same time tomorrow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.features.knowledge.store import Knowledge
from discord_double import (
    EPHEMERAL,
    MANAGE_GUILD,
    DiscordDouble,
    InteractionReply,
    Json,
    RecordedRequest,
    check_components,
    custom_ids,
)
from discord_double.process import BotProcess
from tests.e2e.conftest import Live, live_bot
from tests.e2e.helpers import NO_PINGS, assert_no_pings, database, embed_of, run

# Every test here runs on SQLite and on PostgreSQL.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("backend")]

ADMIN = str(MANAGE_GUILD)
DAY = 86_400
TIMESTAMP = re.compile(r"<t:(\d+):F>")
NUDGE_TITLE = "🧍 Posture nudge: "
NOT_OPTED_IN = "You're not getting posture nudges. `/posture on` starts them."
OPEN_DMS = "**Privacy Settings** > turn on **Direct Messages**"
DELIVERY_WAIT = 10.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gym(tmp_path_factory: pytest.TempPathFactory, backend: str) -> AsyncIterator[Live]:
    """One bot in three servers (see the module docstring), restarted by several tests."""
    async with live_bot(
        tmp_path_factory.mktemp("posture"), guild_count=3, backend=backend
    ) as shared:
        yield shared


# --- driving -------------------------------------------------------------------------


def guild_id(live: Live, n: int) -> int:
    return live.double.guilds[n].id


def nudge_channel_of(live: Live, n: int) -> int:
    """The guild's second channel ("posture-nudges")."""
    return live.double.guilds[n].channel_ids[1]


async def posture(
    live: Live,
    sub: str,
    user: Json,
    options: dict[str, object] | None = None,
    *,
    guild: int = 0,
) -> InteractionReply:
    return await run(
        live.double, "posture", options, subcommand=sub, user=user, guild=guild_id(live, guild)
    )


async def coach_settings(
    live: Live, options: dict[str, object] | None = None, *, guild: int, **kw: Any
) -> InteractionReply:
    kw.setdefault("permissions", ADMIN)
    return await run(
        live.double, "coach", options, subcommand="settings", guild=guild_id(live, guild), **kw
    )


def assert_ephemeral(reply: InteractionReply) -> None:
    assert reply.callback.status == 200, reply.callback.response
    assert reply.ephemeral, reply.message
    for message in reply.messages:
        assert_no_pings(message)
    for request in reply.followups:
        assert request.status == 200, request.response


def stamp(text: str) -> int:
    """The instant of the (single kind of) `<t:...:F>` timestamp in `text`."""
    found = set(TIMESTAMP.findall(text))
    assert len(found) == 1, text
    return int(found.pop())


def field_values(reply: InteractionReply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed_of(reply).get("fields", [])}


# --- expectations --------------------------------------------------------------------


def next_slot(at: dt.time, zone: str, weekdays: bool, after: dt.datetime) -> int:
    """The first `at` in `zone` strictly after `after`, on a weekday if `weekdays`.

    (The times used here are never in a daylight-saving gap.)
    """
    tz = ZoneInfo(zone)
    start = after.astimezone(tz).date() - dt.timedelta(days=1)
    for offset in range(10):
        day = start + dt.timedelta(days=offset)
        if weekdays and day.weekday() >= 5:
            continue
        instant = dt.datetime.combine(day, at, tzinfo=tz)
        if instant > after:
            return int(instant.timestamp())
    raise AssertionError("no slot within 10 days")


def recent_slot(ago: dt.timedelta) -> tuple[str, int, str]:
    """A UTC time of day a little more than `ago` before now: (HH:MM, today's slot, its day).

    A member opting in at that time gets tomorrow's slot; today's is the one to seed.
    """
    at = (dt.datetime.now(dt.UTC) - ago).replace(second=0, microsecond=0)
    return f"{at:%H:%M}", int(at.timestamp()), at.date().isoformat()


def now_s() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


# --- the database, read and seeded while the bot is stopped ----------------------------


def row(bot: BotProcess, sql: str, *args: object) -> dict[str, Any] | None:
    with database(bot) as conn:
        found = conn.execute(sql, args).fetchone()
    return None if found is None else dict(found)


def reminder_row(bot: BotProcess, user: Json) -> dict[str, Any] | None:
    return row(bot, "SELECT * FROM reminders WHERE user_id = ?", int(user["id"]))


def delivery_row(bot: BotProcess, user: Json, day: str) -> dict[str, Any] | None:
    return row(
        bot,
        "SELECT * FROM nudge_deliveries WHERE user_id = ? AND local_day = ?",
        int(user["id"]),
        day,
    )


def make_due(bot: BotProcess, user: Json, slot_at: int) -> None:
    assert not bot.running
    with database(bot) as conn:
        changed = conn.execute(
            "UPDATE reminders SET slot_at = ?, due_at = ?, snooze_at = NULL,"
            " snooze_topic = NULL WHERE user_id = ?",
            (slot_at, slot_at, int(user["id"])),
        ).rowcount
    assert changed == 1


@contextlib.asynccontextmanager
async def stopped(bot: BotProcess) -> AsyncIterator[None]:
    """Stop the bot (cleanly), let the test edit its database, start it again."""
    assert await bot.stop() == 0, bot.log_tail()
    yield
    await bot.start()


async def wait_for_row(
    live: Live, what: str, read: Any, check: Any, limit: float = DELIVERY_WAIT
) -> dict[str, Any]:
    """Poll the database until `check(read())` holds."""

    def ready() -> dict[str, Any] | None:
        found = read()
        return found if found is not None and check(found) else None

    try:
        found: dict[str, Any] = await live.double.wait_until(ready, limit, what)
    except TimeoutError:
        raise AssertionError(f"{what}: last {read()}\n{live.bot.log_tail()}") from None
    return found


# --- what the double saw -------------------------------------------------------------


def create_dm_requests(double: DiscordDouble, user: Json) -> list[RecordedRequest]:
    return [
        r
        for r in double.requests_to("POST", r"^/users/@me/channels$")
        if isinstance(r.json, dict) and str(r.json.get("recipient_id")) == user["id"]
    ]


def dm_posts(double: DiscordDouble, user: Json) -> list[RecordedRequest]:
    channel = double.dm_channel_of(user)
    if channel is None:
        return []
    return double.requests_to("POST", rf"^/channels/{channel}/messages$")


def channel_posts(double: DiscordDouble, channel: int) -> list[RecordedRequest]:
    return double.requests_to("POST", rf"^/channels/{channel}/messages$")


def nudges_in(messages: list[Json]) -> list[Json]:
    return [
        m for m in messages if m.get("embeds") and m["embeds"][0]["title"].startswith(NUDGE_TITLE)
    ]


def assert_nudge_message(message: Json, user: Json, topic: str, knowledge: Knowledge) -> None:
    (embed,) = message["embeds"]
    assert embed["title"] == NUDGE_TITLE + knowledge.base.posture_topics[topic].title
    assert embed["description"]
    uid = user["id"]
    assert custom_ids(message["components"]) == [f"nudge:snooze:{uid}:{topic}", f"nudge:off:{uid}"]
    assert not check_components(message["components"])


async def opt_in_at(live: Live, user: Json, time: str, *, guild: int = 0) -> InteractionReply:
    reply = await posture(live, "on", user, {"time": time, "timezone": "UTC"}, guild=guild)
    assert_ephemeral(reply)
    assert reply.content.startswith(f"✅ Posture nudges on: every day at **{time}** (UTC).")
    return reply


async def deliver_by_dm(live: Live, user: Json, knowledge: Knowledge) -> tuple[Json, str, str, int]:
    """Opt `user` in, make their nudge due 1-2 minutes ago, restart: the nudge DM arrives.

    Returns the nudge message (as the double stores it), its topic, local day and slot.
    """
    double, bot = live.double, live.bot
    time, slot, day = recent_slot(dt.timedelta(seconds=60))
    await opt_in_at(live, user, time)
    stored = reminder_row(bot, user)
    assert stored is not None
    assert stored["due_at"] == stored["slot_at"] == slot + DAY
    assert stored["dm_channel_id"] == double.dm_channel_of(user)
    creates, posts = len(create_dm_requests(double, user)), len(dm_posts(double, user))
    assert (creates, posts) == (1, 1)  # the welcome DM

    async with stopped(bot):
        make_due(bot, user, slot)
    delivered = await wait_for_row(
        live,
        "the nudge to be recorded as sent by DM",
        lambda: delivery_row(bot, user, day),
        lambda r: r["status"] == "dm",
    )
    topic = delivered["topic_id"]
    assert len(create_dm_requests(double, user)) == creates, "the stored DM channel was not used"
    (post,) = dm_posts(double, user)[posts:]
    assert post.status == 200, post.response
    assert post.json["nonce"] == delivered["nonce"]
    assert post.json["enforce_nonce"] is True
    assert_no_pings(post.json)
    (nudge,) = nudges_in(double.dm_messages_to(user))
    assert_nudge_message(nudge, user, topic, knowledge)
    return nudge, topic, day, slot


# --- /posture on ---------------------------------------------------------------------


async def test_posture_on_confirms_the_next_nudge_and_sends_a_welcome_dm(gym: Live) -> None:
    double = gym.double
    ana = double.make_user("ana")
    before = dt.datetime.now(dt.UTC)
    options = {"time": "07:30", "timezone": "America/New_York", "days": "weekdays"}
    reply = await posture(gym, "on", ana, options)
    after = dt.datetime.now(dt.UTC)

    assert reply.type == 5, "deferred while the welcome DM goes out"
    assert reply.data.get("flags") == EPHEMERAL
    assert_ephemeral(reply)
    assert reply.latency < double.ack_deadline
    at = stamp(reply.content)
    expected = {next_slot(dt.time(7, 30), "America/New_York", True, t) for t in (before, after)}
    assert at in expected
    assert reply.content == (
        "✅ Posture nudges on: weekdays at **07:30** (America/New_York).\n"
        f"Next nudge: <t:{at}:F> (<t:{at}:R>).\n"
        "I've sent you a DM to check that nudges reach you."
    )

    (create,) = create_dm_requests(double, ana)
    assert create.status == 200
    (post,) = dm_posts(double, ana)
    assert post.status == 200, post.response
    assert_no_pings(post.json)
    (welcome,) = double.dm_messages_to(ana)
    assert welcome["content"].startswith(
        "👋 You're set up for a daily posture nudge: weekdays at **07:30** (America/New_York)."
    )
    assert stamp(welcome["content"]) == at
    assert custom_ids(welcome["components"]) == [f"nudge:off:{ana['id']}"]

    status = await posture(gym, "status", ana)
    assert_ephemeral(status)
    assert embed_of(status)["description"] == "On: weekdays at **07:30** (America/New_York)."
    fields = field_values(status)
    assert stamp(fields["Next nudge"]) == at
    assert fields["Delivery"] == "By DM."
    assert "Last nudge" not in fields


async def test_posture_on_without_options_takes_the_server_defaults(gym: Live) -> None:
    bea = gym.double.make_user("bea")
    before = dt.datetime.now(dt.UTC)
    reply = await posture(gym, "on", bea)
    after = dt.datetime.now(dt.UTC)
    assert_ephemeral(reply)
    assert reply.content.startswith("✅ Posture nudges on: every day at **09:00** (UTC).\n")
    expected = {next_slot(dt.time(9), "UTC", False, t) for t in (before, after)}
    assert stamp(reply.content) in expected


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            {"time": "25:00"},
            ['I can\'t read "25:00" as a time.', "The hour must be 0 to 23.", "HH:MM"],
        ),
        ({"time": "lunch"}, ['I can\'t read "lunch" as a time.', "HH:MM like 07:30"]),
        (
            {"timezone": "Mars/Olympus"},
            ["is not a timezone I know", "IANA name like `Europe/London`"],
        ),
    ],
)
async def test_posture_on_with_bad_options_says_what_is_valid_and_stores_nothing(
    gym: Live, options: dict[str, object], says: list[str]
) -> None:
    cal = gym.double.make_user("cal")
    reply = await posture(gym, "on", cal, options)
    assert_ephemeral(reply)
    for part in says:
        assert part in reply.content, reply.content
    assert "Something went wrong" not in reply.content
    assert not reply.embeds and "Posture nudges on" not in reply.content
    assert reminder_row(gym.bot, cal) is None
    assert not create_dm_requests(gym.double, cal)
    status = await posture(gym, "status", cal)
    assert embed_of(status)["description"] == NOT_OPTED_IN


async def test_posture_on_understands_a_mistyped_timezone(gym: Live) -> None:
    dee = gym.double.make_user("dee")
    reply = await posture(gym, "on", dee, {"time": "18:00", "timezone": "Europe/Londn"})
    assert_ephemeral(reply)
    assert reply.content.startswith("✅ Posture nudges on: every day at **18:00** (Europe/London).")
    expected = next_slot(dt.time(18), "Europe/London", False, dt.datetime.now(dt.UTC))
    assert abs(stamp(reply.content) - expected) in (0, DAY)  # the same or (at 18:00) next day


@pytest.mark.parametrize(("typed", "expected"), [("new yo", "America/New_York"), ("", None)])
async def test_posture_timezone_autocomplete(gym: Live, typed: str, expected: str | None) -> None:
    choices = await gym.double.autocomplete(
        "posture", "timezone", typed, subcommand="on", guild=guild_id(gym, 0)
    )
    assert 1 <= len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice["name"]) <= 100
        assert 1 <= len(choice["value"]) <= 100
        ZoneInfo(choice["value"])
    if expected is not None:
        assert expected in [c["value"] for c in choices]


# --- closed DMs ----------------------------------------------------------------------


async def test_closed_dms_fall_back_to_the_nudge_channel_and_are_not_retried(
    gym: Live, knowledge: Knowledge
) -> None:
    double, bot = gym.double, gym.bot
    channel = nudge_channel_of(gym, 1)
    shown = await coach_settings(gym, {"nudge_channel": str(channel)}, guild=1)
    assert field_values(shown)["Nudge channel"] == f"<#{channel}>"

    eli = double.make_user("eli", dms_closed=True)
    time, slot, day = recent_slot(dt.timedelta(seconds=60))
    reply = await posture(gym, "on", eli, {"time": time, "timezone": "UTC"}, guild=1)
    assert_ephemeral(reply)
    assert "⚠️ I couldn't DM you." in reply.content
    assert OPEN_DMS in reply.content
    assert f"Until then your nudges go to <#{channel}>, mentioning only you." in reply.content
    assert "I've sent you a DM" not in reply.content
    assert not double.dm_messages_to(eli)
    refused = [p for p in dm_posts(double, eli) if p.status == 403]
    assert len(refused) == 1 and refused[0].response["code"] == 50007
    dm_requests = len(create_dm_requests(double, eli)) + len(dm_posts(double, eli))
    posts_before = len(channel_posts(double, channel))

    async with stopped(bot):
        make_due(bot, eli, slot)
    await wait_for_row(
        gym,
        "the nudge to be recorded as posted in the channel",
        lambda: delivery_row(bot, eli, day),
        lambda r: r["status"] == "channel",
    )
    (post,) = channel_posts(double, channel)[posts_before:]
    assert post.status == 200, post.response
    uid = eli["id"]
    assert re.findall(r"<@[!&]?(\d+)>", post.json["content"]) == [uid]
    assert "@everyone" not in post.json["content"] and "@here" not in post.json["content"]
    mentions = post.json["allowed_mentions"]
    assert mentions["parse"] == []
    assert [str(u) for u in mentions["users"]] == [uid]
    assert not mentions.get("roles")
    message = double.channel_messages[channel][-1]
    topic = delivery_row(bot, eli, day)["topic_id"]  # type: ignore[index]
    assert_nudge_message(message, eli, topic, knowledge)
    assert len(create_dm_requests(double, eli)) + len(dm_posts(double, eli)) == dm_requests, (
        "the member was DMed again after Discord refused"
    )

    status = await posture(gym, "status", eli, guild=1)
    assert_ephemeral(status)
    fields = field_values(status)
    assert f"nudges go to <#{channel}>" in fields["Delivery"]
    assert OPEN_DMS in fields["Delivery"]
    assert fields["Last nudge"] == (
        f"{day}: posted in the server's nudge channel (your DMs were closed)"
    )

    # The buttons on a channel post answer only that member.
    fay = double.make_user("fay")
    other = await (await double.click(message, f"nudge:off:{uid}", user=fay)).response()
    assert_ephemeral(other)
    assert other.content == "These buttons belong to the member this nudge was for."
    assert reminder_row(bot, eli) is not None


async def test_closed_dms_without_a_nudge_channel_are_refused(gym: Live) -> None:
    double, bot = gym.double, gym.bot
    gus = double.make_user("gus", dms_closed=True)
    time, slot, day = recent_slot(dt.timedelta(seconds=60))
    reply = await posture(gym, "on", gus, {"time": time, "timezone": "UTC"})
    assert_ephemeral(reply)
    assert "⚠️ I couldn't DM you." in reply.content
    assert OPEN_DMS in reply.content
    assert "Until then no nudge can reach you: this server has no nudge channel." in (reply.content)
    dm_requests = len(create_dm_requests(double, gus)) + len(dm_posts(double, gus))
    posted = len(double.message_payloads())

    async with stopped(bot):
        make_due(bot, gus, slot)
    await wait_for_row(
        gym,
        "the nudge to be recorded as refused",
        lambda: delivery_row(bot, gus, day),
        lambda r: r["status"] == "refused",
    )
    assert len(double.message_payloads()) == posted, "something was posted"
    assert len(create_dm_requests(double, gus)) + len(dm_posts(double, gus)) == dm_requests
    stored = reminder_row(bot, gus)
    assert stored is not None and stored["due_at"] == slot + DAY

    status = await posture(gym, "status", gus)
    fields = field_values(status)
    assert "this server has no nudge channel" in fields["Delivery"]
    assert fields["Last nudge"] == (
        f"{day}: not delivered: your DMs are closed and this server has no nudge channel"
    )


# --- deliveries across restarts ------------------------------------------------------


async def test_a_nudge_due_while_the_bot_was_down_goes_out_on_start(
    gym: Live, knowledge: Knowledge
) -> None:
    hal = gym.double.make_user("hal")
    nudge, _topic, day, slot = await deliver_by_dm(gym, hal, knowledge)
    stored = reminder_row(gym.bot, hal)
    assert stored is not None
    assert stored["slot_at"] == stored["due_at"] == slot + DAY, "not the next day's slot"
    assert stored["dm_refused_at"] is None
    delivered = delivery_row(gym.bot, hal, day)
    assert delivered is not None and delivered["status"] == "dm"
    assert nudge["nonce"] == delivered["nonce"]

    status = await posture(gym, "status", hal)
    assert field_values(status)["Last nudge"] == f"{day}: sent by DM"


async def test_a_nudge_more_than_two_hours_late_is_skipped(gym: Live) -> None:
    double, bot = gym.double, gym.bot
    ivy = double.make_user("ivy")
    time, slot, day = recent_slot(dt.timedelta(hours=3))
    await opt_in_at(gym, ivy, time)
    posts = len(dm_posts(double, ivy))

    async with stopped(bot):
        make_due(bot, ivy, slot)
    skipped = await wait_for_row(
        gym,
        "the late nudge to be recorded as skipped",
        lambda: delivery_row(bot, ivy, day),
        lambda r: r["status"] == "skipped",
    )
    assert skipped["attempted_at"] >= slot
    assert len(dm_posts(double, ivy)) == posts, "a nudge 3 hours late was sent"
    assert not nudges_in(double.dm_messages_to(ivy))
    stored = reminder_row(bot, ivy)
    assert stored is not None
    assert stored["due_at"] == stored["slot_at"] == slot + DAY > now_s()

    status = await posture(gym, "status", ivy)
    last = field_values(status)["Last nudge"]
    assert last == f"{day}: skipped: it fell due while I was offline for more than 2 hours"


async def test_a_crash_between_sending_and_recording_resends_under_the_same_nonce(
    gym: Live, knowledge: Knowledge
) -> None:
    double, bot = gym.double, gym.bot
    jon = double.make_user("jon")
    time, slot, day = recent_slot(dt.timedelta(seconds=60))
    await opt_in_at(gym, jon, time)
    channel = double.dm_channel_of(jon)
    assert channel is not None
    topic = sorted(knowledge.base.posture_topics)[0]
    nonce = f"{int(jon['id']):x}.{day.replace('-', '')}"
    posts = len(dm_posts(double, jon))

    async with stopped(bot):
        make_due(bot, jon, slot)
        with database(bot) as conn:
            conn.execute(
                "INSERT INTO nudge_deliveries"
                " (user_id, local_day, topic_id, nonce, status, attempted_at)"
                " VALUES (?, ?, ?, ?, 'sending', ?)",
                (int(jon["id"]), day, topic, nonce, now_s() - 30),
            )
        # What the crashed bot had already sent, 30 s ago.
        title = NUDGE_TITLE + knowledge.base.posture_topics[topic].title
        planted = double.plant_message(
            channel, {"embeds": [{"title": title, "description": "…"}]}, nonce=nonce, age=30
        )

    await wait_for_row(
        gym,
        "the resent nudge to be recorded as sent by DM",
        lambda: delivery_row(bot, jon, day),
        lambda r: r["status"] == "dm",
    )
    (resend,) = dm_posts(double, jon)[posts:]
    assert resend.json["nonce"] == nonce
    assert resend.json["enforce_nonce"] is True
    assert resend.status == 200
    assert resend.response["id"] == planted["id"], "Discord returned the first message"
    assert len(nudges_in(double.dm_messages_to(jon))) == 1
    stored = reminder_row(bot, jon)
    assert stored is not None and stored["due_at"] == slot + DAY


async def test_a_claim_older_than_the_nonce_window_is_not_resent(gym: Live) -> None:
    """Past Discord's nonce memory a resend could duplicate: the outcome stays unknown."""
    double, bot = gym.double, gym.bot
    pat = double.make_user("pat")
    time, slot, day = recent_slot(dt.timedelta(minutes=10))
    await opt_in_at(gym, pat, time)
    posts = len(dm_posts(double, pat))

    async with stopped(bot):
        make_due(bot, pat, slot)
        with database(bot) as conn:
            conn.execute(
                "INSERT INTO nudge_deliveries"
                " (user_id, local_day, topic_id, nonce, status, attempted_at)"
                " VALUES (?, ?, 'notice-your-posture', 'stale', 'sending', ?)",
                (int(pat["id"]), day, now_s() - 9 * 60),
            )
    await wait_for_row(
        gym,
        "the stale claim to be given up on",
        lambda: delivery_row(bot, pat, day),
        lambda r: r["status"] == "uncertain",
    )
    stored = await wait_for_row(
        gym, "the schedule to move on", lambda: reminder_row(bot, pat), lambda r: r["due_at"] > slot
    )
    assert stored["due_at"] == stored["slot_at"] == slot + DAY
    assert len(dm_posts(double, pat)) == posts, "resent after the nonce window"
    status = await posture(gym, "status", pat)
    last = field_values(status)["Last nudge"]
    assert last == f"{day}: possibly not delivered: I stopped while sending it"


async def test_dms_closed_after_opting_in_fall_back_to_the_channel(
    gym: Live, knowledge: Knowledge
) -> None:
    """Discord refuses the nudge DM (50007): the nudge goes to the nudge channel instead,
    and the member is marked as not accepting DMs."""
    double, bot = gym.double, gym.bot
    channel = nudge_channel_of(gym, 1)
    await coach_settings(gym, {"nudge_channel": str(channel)}, guild=1)
    quin = double.make_user("quin")
    time, slot, day = recent_slot(dt.timedelta(seconds=60))
    await opt_in_at(gym, quin, time, guild=1)
    assert double.dm_messages_to(quin), "the welcome DM reached them"
    double.dms_closed.add(int(quin["id"]))  # they close their DMs afterwards
    dm_before, posts_before = len(dm_posts(double, quin)), len(channel_posts(double, channel))

    async with stopped(bot):
        make_due(bot, quin, slot)
    delivered = await wait_for_row(
        gym,
        "the nudge to be recorded as posted in the channel",
        lambda: delivery_row(bot, quin, day),
        lambda r: r["status"] == "channel",
    )
    (refused,) = dm_posts(double, quin)[dm_before:]
    assert refused.status == 403 and refused.response["code"] == 50007
    (post,) = channel_posts(double, channel)[posts_before:]
    assert post.status == 200, post.response
    assert [str(u) for u in post.json["allowed_mentions"]["users"]] == [quin["id"]]
    assert_nudge_message(
        double.message(post.response["id"]), quin, delivered["topic_id"], knowledge
    )
    stored = reminder_row(bot, quin)
    assert stored is not None and stored["dm_refused_at"] is not None
    status = await posture(gym, "status", quin, guild=1)
    assert f"nudges go to <#{channel}>" in field_values(status)["Delivery"]


# --- the nudge's buttons -------------------------------------------------------------


async def test_nudge_buttons_work_after_a_restart(gym: Live, knowledge: Knowledge) -> None:
    double, bot = gym.double, gym.bot
    kim = double.make_user("kim")
    nudge, topic, _day, _slot = await deliver_by_dm(gym, kim, knowledge)
    await bot.restart()
    uid = kim["id"]

    before = now_s()
    snoozed = await (await double.click(nudge, f"nudge:snooze:{uid}:{topic}", user=kim)).response()
    assert_ephemeral(snoozed)
    assert snoozed.type == 4
    at = stamp(snoozed.content)
    assert snoozed.content == f"⏰ Snoozed: I'll nudge you again <t:{at}:F> (<t:{at}:R>)."
    assert before + 3600 <= at <= now_s() + 3600
    stored = reminder_row(bot, kim)
    assert stored is not None
    assert (stored["snooze_at"], stored["snooze_topic"], stored["due_at"]) == (at, topic, at)

    lou = double.make_user("lou")
    for custom_id in (f"nudge:snooze:{uid}:{topic}", f"nudge:off:{uid}"):
        other = await (await double.click(nudge, custom_id, user=lou)).response()
        assert_ephemeral(other)
        assert other.content == "These buttons belong to the member this nudge was for."
    assert reminder_row(bot, kim) == stored

    # The snoozed nudge, once due, goes out (here: due while the bot was down), once.
    posts = len(dm_posts(double, kim))
    async with stopped(bot):
        with database(bot) as conn:
            conn.execute(
                "UPDATE reminders SET snooze_at = ?, due_at = ? WHERE user_id = ?",
                (now_s() - 60, now_s() - 60, int(uid)),
            )
    cleared = await wait_for_row(
        gym,
        "the snoozed nudge to be sent and cleared",
        lambda: reminder_row(bot, kim),
        lambda r: r["snooze_at"] is None,
    )
    assert cleared["due_at"] == cleared["slot_at"] == stored["slot_at"]
    await double.wait_until(lambda: len(dm_posts(double, kim)) > posts, DELIVERY_WAIT, "the DM")
    (post,) = dm_posts(double, kim)[posts:]
    assert post.status == 200, post.response
    assert post.json["enforce_nonce"] is True
    again = double.message(post.response["id"])
    title = knowledge.base.posture_topics[topic].title
    assert again["embeds"][0]["title"] == f"⏰ Snoozed posture nudge: {title}"
    assert custom_ids(again["components"]) == [f"nudge:snooze:{uid}:{topic}", f"nudge:off:{uid}"]

    off = await (await double.click(nudge, f"nudge:off:{uid}", user=kim)).response()
    assert_ephemeral(off)
    assert off.content == "🔕 Posture nudges are off. `/posture on` starts them again."
    assert reminder_row(bot, kim) is None
    status = await posture(gym, "status", kim)
    assert embed_of(status)["description"] == NOT_OPTED_IN

    late = await (await double.click(nudge, f"nudge:snooze:{uid}:{topic}", user=kim)).response()
    assert late.content == "Your posture nudges are off, so there is nothing to snooze."
    assert reminder_row(bot, kim) is None


# --- /posture off and /posture tip ---------------------------------------------------


async def test_posture_off_when_on_and_when_already_off(gym: Live) -> None:
    max_ = gym.double.make_user("max")
    assert_ephemeral(await posture(gym, "on", max_))
    off = await posture(gym, "off", max_)
    assert_ephemeral(off)
    assert off.content == "🔕 Posture nudges are off. `/posture on` starts them again."
    assert reminder_row(gym.bot, max_) is None
    again = await posture(gym, "off", max_)
    assert_ephemeral(again)
    assert again.content == "Posture nudges were already off. `/posture on` starts them."
    assert embed_of(await posture(gym, "status", max_))["description"] == NOT_OPTED_IN


async def test_posture_tip_is_public_pings_nobody_and_rotates(
    gym: Live, knowledge: Knowledge
) -> None:
    ned = gym.double.make_user("ned")
    titles = {NUDGE_TITLE + t.title for t in knowledge.base.posture_topics.values()}
    seen = []
    for _ in range(min(3, len(titles))):
        reply = await posture(gym, "tip", ned)
        assert reply.callback.status == 200
        assert reply.type == 4
        assert not reply.ephemeral
        assert reply.data["allowed_mentions"] == NO_PINGS
        embed = embed_of(reply)
        assert embed["title"] in titles
        assert embed["description"]
        seen.append(embed["title"])
    assert len(set(seen)) == len(seen), f"a topic repeated: {seen}"


# --- /coach settings and the server's daily channel nudge ----------------------------


async def test_coach_settings_for_nudges(gym: Live) -> None:
    double = gym.double
    channel = nudge_channel_of(gym, 2)
    before = dt.datetime.now(dt.UTC)
    reply = await coach_settings(
        gym,
        {"nudge_channel": str(channel), "nudge_time": "6:30", "default_reminder_time": "7:15am"},
        guild=2,
    )
    assert_ephemeral(reply)
    fields = field_values(reply)
    assert fields["Nudge channel"] == f"<#{channel}>"
    assert fields["Daily channel nudge"] == "06:30 (UTC)"
    assert fields["Default reminder time"] == "07:15"
    expected = {
        next_slot(dt.time(6, 30), "UTC", False, t) for t in (before, dt.datetime.now(dt.UTC))
    }
    assert stamp(fields["Next channel nudge"]) in expected
    description = embed_of(reply)["description"]
    assert f"Nudge channel: none → **<#{channel}>**" in description
    assert "Default reminder time: 09:00 → **07:15**" in description

    # Members of that server now get 07:15 by default.
    oli = double.make_user("oli")
    await posture(gym, "on", oli, guild=2)
    stored = reminder_row(gym.bot, oli)
    assert stored is not None
    assert (stored["local_time"], stored["days"]) == ("07:15", "every day")
    assert stored["slot_at"] == next_slot(dt.time(7, 15), "UTC", False, dt.datetime.now(dt.UTC))

    bad = await coach_settings(gym, {"nudge_time": "half past six"}, guild=2)
    assert_ephemeral(bad)
    assert bad.type == 4
    assert 'I can\'t read "half past six" as a time.' in bad.content
    assert "HH:MM" in bad.content
    assert field_values(await coach_settings(gym, guild=2))["Daily channel nudge"] == "06:30 (UTC)"

    refused = await coach_settings(
        gym, {"nudge_time": "off"}, guild=2, permissions="0", permission_override=True
    )
    assert_ephemeral(refused)
    assert "Manage Server" in refused.content
    with pytest.raises(PermissionError):
        await double.slash("coach", subcommand="settings", permissions="0")
    assert field_values(await coach_settings(gym, guild=2))["Daily channel nudge"] == "06:30 (UTC)"


async def test_server_nudge_goes_out_once_a_day_across_restarts(gym: Live) -> None:
    double, bot = gym.double, gym.bot
    guild, channel = guild_id(gym, 2), nudge_channel_of(gym, 2)
    # A time far from now, so the real clock cannot make it due during the test.
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)
    await coach_settings(gym, {"nudge_channel": str(channel), "nudge_time": f"{at:%H:%M}"}, guild=2)
    scheduled = row(bot, "SELECT * FROM server_nudges WHERE guild_id = ?", guild)
    assert scheduled is not None
    assert scheduled["due_at"] == next_slot(at, "UTC", False, dt.datetime.now(dt.UTC))
    posts = len(channel_posts(double, channel))
    slot = now_s() - 60
    day = dt.datetime.fromtimestamp(slot, dt.UTC).date().isoformat()

    def server_row() -> dict[str, Any] | None:
        return row(bot, "SELECT * FROM server_nudges WHERE guild_id = ?", guild)

    async with stopped(bot):
        with database(bot) as conn:
            conn.execute("UPDATE server_nudges SET due_at = ? WHERE guild_id = ?", (slot, guild))
    sent = await wait_for_row(
        gym,
        "the channel nudge to be recorded",
        server_row,
        lambda r: r["last_status"] == "channel",
    )
    assert sent["last_day"] == day
    assert sent["due_at"] == scheduled["due_at"], "the next slot is the one scheduled before"
    (post,) = channel_posts(double, channel)[posts:]
    assert post.status == 200, post.response
    assert post.json["allowed_mentions"] == NO_PINGS
    assert "<@" not in (post.json.get("content") or "")
    assert post.json["embeds"][0]["title"].startswith(NUDGE_TITLE)
    assert post.json.get("nonce")

    # The same slot due again (as after a crash before the schedule moved): not resent.
    async with stopped(bot):
        with database(bot) as conn:
            conn.execute("UPDATE server_nudges SET due_at = ? WHERE guild_id = ?", (slot, guild))
    await wait_for_row(
        gym, "the repeated slot to be passed over", server_row, lambda r: r["due_at"] > now_s()
    )
    assert len(channel_posts(double, channel)) == posts + 1, "a second channel nudge the same day"
    assert server_row() == sent

    # Turning it off removes the schedule.
    off = await coach_settings(gym, {"nudge_time": "off"}, guild=2)
    assert field_values(off)["Daily channel nudge"] == "off"
    assert server_row() is None


# --- over everything ------------------------------------------------------------------


async def test_every_reply_fits_discords_limits_and_pings_only_whom_it_means(gym: Live) -> None:
    double = gym.double
    messages = double.message_payloads()
    assert len(messages) >= 20
    for request, message in messages:
        mentions = message.get("allowed_mentions")
        if mentions is not None and mentions.get("users"):  # the closed-DMs channel post
            assert mentions["parse"] == []
            assert [f"<@{u}>" for u in mentions["users"]] == re.findall(
                r"<@\d+>", message["content"]
            )
        else:
            assert_no_pings(message)
        assert not check_components(message.get("components") or [])
        if request.status != 403:  # the refused DMs
            assert request.status is not None and request.status < 300, request.response
    assert not double.violations, "\n".join(map(str, double.violations))
    for state in double.interactions.values():
        assert state.acknowledged_at is not None, f"interaction {state.id} never answered"
        assert state.dispatched_at is not None
        assert state.acknowledged_at - state.dispatched_at < double.ack_deadline
    errors = [
        line
        for line in gym.bot.all_output().splitlines()
        if "Traceback" in line or re.search(r"\bERROR\b", line)
    ]
    assert not errors, "\n".join(errors)
