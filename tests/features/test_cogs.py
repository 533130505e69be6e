"""Each cog's commands, called with interactions specced from real discord.py classes."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import discord
import pytest
from discord import app_commands

from bot.app import Backbone
from bot.core.errors import UserFacingError
from bot.features.knowledge.render import NOT_MEDICAL_ADVICE
from tests.conftest import MINIMAL_EXERCISE, MINIMAL_SOURCES, SHIPPED_KNOWLEDGE, WriteFiles
from tests.discord_mocks import embed_dicts, make_interaction


def command(bot: Backbone, path: str) -> app_commands.Command:  # type: ignore[type-arg]
    found = bot.tree.get_command(path.split()[0])
    for part in path.split()[1:]:
        assert isinstance(found, app_commands.Group)
        found = found.get_command(part)
    assert isinstance(found, app_commands.Command)
    return found


async def invoke(bot: Backbone, path: str, interaction: object, **options: object) -> None:
    cmd = command(bot, path)
    await cmd.callback(cmd.binding, interaction, **options)  # type: ignore[arg-type]


def assert_no_pings(call: dict[str, object]) -> None:
    mentions = call["allowed_mentions"]
    assert isinstance(mentions, discord.AllowedMentions)
    assert mentions.to_dict() == {"parse": []}


async def test_cue_replies_with_a_public_exercise_embed(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "cue", interaction, exercise="rows")
    call = sent.only
    assert call["ephemeral"] is False
    assert_no_pings(call)
    (embed,) = embed_dicts(call)
    assert embed["title"] == "Barbell row"
    assert [f["name"] for f in embed["fields"]][:2] == ["Setup", "Cues"]


async def test_cue_unknown_is_ephemeral_with_closest_matches(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "cue", interaction, exercise="barbel rowz please")
    call = sent.only
    assert call["ephemeral"] is True
    assert "Closest matches" in call["content"]
    assert "barbell-row" in call["content"]


async def test_cue_autocomplete_returns_valid_choices(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    cmd = command(bot, "cue")
    callback = cmd._params["exercise"].autocomplete
    assert callback is not None
    for typed in ["", "pullup", "lat pull down", "zzzz", "r"]:
        choices = await callback(cmd.binding, interaction, typed)  # type: ignore[misc]
        assert len(choices) <= 25
        for choice in choices:
            assert isinstance(choice, app_commands.Choice)
            assert 1 <= len(choice.name) <= 100
            assert choice.value in bot.knowledge.current.base.exercises


async def test_why_back_pain_overview_and_situation(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "why-back-pain", interaction, situation=None)
    (overview,) = embed_dicts(sent.only)
    assert "situation:after-squats" in str(overview["fields"])
    assert NOT_MEDICAL_ADVICE in overview["footer"]["text"]

    interaction, sent = make_interaction()
    await invoke(bot, "why-back-pain", interaction, situation="after-squats")
    (situation,) = embed_dicts(sent.only)
    assert situation["title"] == "Lower back pain after squats"
    assert NOT_MEDICAL_ADVICE in situation["footer"]["text"]


async def test_why_back_pain_autocomplete(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    cmd = command(bot, "why-back-pain")
    callback = cmd._params["situation"].autocomplete
    assert callback is not None
    choices = await callback(cmd.binding, interaction, "desk")  # type: ignore[misc]
    assert choices[0].value == "desk-sitting"


async def test_ask_ranks_entries(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "ask", interaction, question="lower back hurts after leg day")
    (embed,) = embed_dicts(sent.only)
    assert embed["fields"][0]["name"].startswith("1. Lower back pain after squats")


async def test_ask_nothing_found_suggests(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "ask", interaction, question="quantum chromodynamics")
    call = sent.only
    assert call["ephemeral"] is True
    assert "Nothing in the knowledge base matches" in call["content"]


async def test_ask_blank_question_is_a_user_mistake(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    with pytest.raises(UserFacingError, match="Ask a question"):
        await invoke(bot, "ask", interaction, question="   ")


async def test_help_lists_every_command(bot: Backbone) -> None:
    interaction, sent = make_interaction()
    await invoke(bot, "help", interaction)
    call = sent.only
    assert call["ephemeral"] is True
    (embed,) = embed_dicts(call)
    listing = "\n".join(f["value"] for f in embed["fields"])
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    for name in [
        "/cue",
        "/why-back-pain",
        "/ask",
        "/help",
        "/coach reload",
        "/coach insights",
        "/streak",
    ]:
        assert name in listing


async def test_coach_reload_checks_manage_server_at_run_time(bot: Backbone) -> None:
    interaction, _ = make_interaction(permissions=discord.Permissions.none())
    cmd = command(bot, "coach reload")
    (check,) = cmd.checks
    with pytest.raises(app_commands.MissingPermissions):
        await discord.utils.maybe_coroutine(check, interaction)
    allowed, _ = make_interaction(permissions=discord.Permissions(manage_guild=True))
    assert await discord.utils.maybe_coroutine(check, allowed)


async def test_coach_reload_swaps_in_new_knowledge(bot: Backbone, write_files: WriteFiles) -> None:
    bot.knowledge.directory = write_files(
        {"sources.yaml": MINIMAL_SOURCES, "exercises.yaml": MINIMAL_EXERCISE}
    )
    interaction, sent = make_interaction(permissions=discord.Permissions(manage_guild=True))
    await invoke(bot, "coach reload", interaction)
    interaction.response.defer.assert_awaited_once()
    assert "reloaded: 1 exercises" in sent.only["content"]
    assert list(bot.knowledge.current.base.exercises) == ["barbell-row"]


async def test_coach_reload_keeps_old_knowledge_on_error(
    bot: Backbone, write_files: WriteFiles
) -> None:
    before = bot.knowledge.current
    broken = MINIMAL_EXERCISE.replace("cues:", "cuse:")
    bot.knowledge.directory = write_files(
        {"sources.yaml": MINIMAL_SOURCES, "exercises.yaml": broken}
    )
    interaction, sent = make_interaction(permissions=discord.Permissions(manage_guild=True))
    await invoke(bot, "coach reload", interaction)
    assert bot.knowledge.current is before
    call = sent.only
    assert call["ephemeral"] is True
    (embed,) = embed_dicts(call)
    assert "previous knowledge base is still live" in embed["title"]
    assert "exercises.yaml:9: unknown key 'cuse' (did you mean 'cues'?)" in embed["description"]
    assert call["files"] == []


async def test_coach_reload_attaches_long_error_lists(
    bot: Backbone, write_files: WriteFiles, tmp_path: Path
) -> None:
    many = "".join(
        MINIMAL_EXERCISE.replace("barbell-row", f"row-{n}").replace("exercises:\n", "")
        for n in range(150)
    ).replace("[rows]", "[]")
    bot.knowledge.directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES,
            "exercises.yaml": "exercises:\n" + many.replace("cues:", "cuse:"),
        }
    )
    interaction, sent = make_interaction(permissions=discord.Permissions(manage_guild=True))
    await invoke(bot, "coach reload", interaction)
    call = sent.only
    (embed,) = embed_dicts(call)
    assert len(embed["description"]) <= 4096
    assert "more (see the attached file)" in embed["description"]
    (attachment,) = call["files"]
    assert attachment.filename == "knowledge-errors.txt"
    assert SHIPPED_KNOWLEDGE.exists()


# --- what a modified client can send: checked at run time ---------------------------


async def test_a_weekly_target_outside_1_to_7_is_refused(bot: Backbone) -> None:
    interaction, _ = make_interaction(permissions=discord.Permissions(manage_guild=True))
    for bad in (0, 8, 2**40):
        with pytest.raises(UserFacingError, match="1 to 7"):
            await invoke(bot, "coach settings", interaction, weekly_target=bad)


async def test_an_unknown_day_for_nudges_is_refused(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    with pytest.raises(UserFacingError, match="every day"):
        await invoke(bot, "posture on", interaction, days="fortnightly")


async def test_logging_tomorrow_is_refused_not_logged_as_yesterday(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    with pytest.raises(UserFacingError, match="today"):
        await invoke(bot, "backday log", interaction, when="tomorrow")
    assert await bot.streaks.stats(111111111111111111, 222222222222222222) is None


async def test_a_streak_reminder_on_an_unknown_day_is_refused(bot: Backbone) -> None:
    interaction, _ = make_interaction()
    with pytest.raises(UserFacingError, match="friday"):
        await invoke(bot, "backday reminder", interaction, day="monday")


# --- /coach recap, /coach insights and the channel checks -----------------------------

ADMIN = discord.Permissions(manage_guild=True)
CAN_POST = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
CHANNEL_ID = 555_555_555_555_555_555


def text_channel(bot_permissions: discord.Permissions | None) -> MagicMock:
    """A text channel where the bot (the guild's `me`) has `bot_permissions`; None: the
    bot's member is not cached."""
    channel = MagicMock(spec_set=discord.TextChannel)
    channel.id = CHANNEL_ID
    channel.mention = f"<#{CHANNEL_ID}>"
    channel.guild = MagicMock(spec_set=discord.Guild)
    if bot_permissions is None:
        channel.guild.me = None
    else:
        channel.guild.me = MagicMock(spec_set=discord.Member)
        channel.permissions_for = MagicMock(return_value=bot_permissions)
    return channel


@pytest.mark.parametrize("name", ["coach recap", "coach insights", "coach settings"])
async def test_coach_commands_check_manage_server_at_run_time(bot: Backbone, name: str) -> None:
    interaction, _ = make_interaction(permissions=discord.Permissions.none())
    (check,) = command(bot, name).checks
    with pytest.raises(app_commands.MissingPermissions):
        await discord.utils.maybe_coroutine(check, interaction)
    allowed, _ = make_interaction(permissions=ADMIN)
    assert await discord.utils.maybe_coroutine(check, allowed)


@pytest.mark.parametrize(
    ("permissions", "named"),
    [
        (
            discord.Permissions(view_channel=True, embed_links=True),
            "the **Send Messages** permission",
        ),
        (
            discord.Permissions(view_channel=True, send_messages=True),
            "the **Embed Links** permission",
        ),
        (discord.Permissions(send_messages=True, embed_links=True), "the **View Channel** perm"),
        # Without View Channel the rest are implied: only the one to grant is named.
        (discord.Permissions.none(), "the **View Channel** permission there."),
    ],
)
async def test_recap_refuses_a_channel_the_bot_cannot_post_in(
    bot: Backbone, permissions: discord.Permissions, named: str
) -> None:
    interaction, _ = make_interaction(permissions=ADMIN)
    with pytest.raises(UserFacingError) as refused:
        await invoke(bot, "coach recap", interaction, channel=text_channel(permissions), off=None)
    assert f"I can't post the weekly recap in <#{CHANNEL_ID}>: I'm missing {named}" in (
        refused.value.message
    )
    assert "Nothing was changed" in refused.value.message
    status = await bot.recaps.status(interaction.guild_id)
    assert status.recap is None


async def test_the_channel_check_falls_back_to_the_interactions_app_permissions(
    bot: Backbone,
) -> None:
    interaction, _ = make_interaction(permissions=ADMIN)
    interaction.app_permissions = discord.Permissions(view_channel=True)
    with pytest.raises(UserFacingError, match=r"missing the \*\*Send Messages\*\* permission"):
        await invoke(bot, "coach recap", interaction, channel=text_channel(None), off=None)
    interaction, sent = make_interaction(permissions=ADMIN)
    interaction.app_permissions = CAN_POST
    await invoke(bot, "coach recap", interaction, channel=text_channel(None), off=None)
    assert sent.only["content"].startswith("📊 Weekly recap on: every Monday at **09:00** (UTC)")


async def test_nudge_channel_is_refused_with_the_missing_permission_named(bot: Backbone) -> None:
    interaction, _ = make_interaction(permissions=ADMIN)
    locked = text_channel(discord.Permissions(view_channel=True, embed_links=True))
    with pytest.raises(UserFacingError, match=r"the daily nudge .* \*\*Send Messages\*\* perm"):
        await invoke(bot, "coach settings", interaction, nudge_channel=locked)
    settings = await bot.streaks.server_settings(interaction.guild_id)
    assert settings.nudge_channel_id is None

    interaction, _sent = make_interaction(permissions=ADMIN)
    await invoke(bot, "coach settings", interaction, nudge_channel=text_channel(CAN_POST))
    assert (await bot.streaks.server_settings(interaction.guild_id)).nudge_channel_id == CHANNEL_ID


async def test_recap_on_show_and_off(bot: Backbone) -> None:
    guild_id = 111111111111111111
    interaction, sent = make_interaction(permissions=ADMIN)
    await invoke(bot, "coach recap", interaction, channel=text_channel(CAN_POST), off=None)
    on = sent.only
    assert on["ephemeral"] is True
    assert_no_pings(on)
    assert f"in <#{CHANNEL_ID}>, about the week before, with no pings" in on["content"]
    assert (await bot.recaps.status(guild_id)).recap is not None

    interaction, sent = make_interaction(permissions=ADMIN)
    await invoke(bot, "coach recap", interaction, channel=None, off=None)
    shown = sent.only
    assert shown["ephemeral"] is True
    assert_no_pings(shown)
    assert f"The weekly recap goes to <#{CHANNEL_ID}> every Monday" in shown["content"]
    (embed,) = embed_dicts(shown)
    assert embed["title"].startswith("📊 This week so far: ")
    assert [f["name"] for f in embed["fields"]] == [
        "🎯 Hit the target (0)",
        "🏆 New best streaks (0)",
        "🔥 Top 3 by current streak",
    ]

    interaction, _ = make_interaction(permissions=ADMIN)
    with pytest.raises(UserFacingError, match="not both"):
        await invoke(bot, "coach recap", interaction, channel=text_channel(CAN_POST), off=True)

    for expected in ("📊 Weekly recap off.", "The weekly recap was already off."):
        interaction, sent = make_interaction(permissions=ADMIN)
        await invoke(bot, "coach recap", interaction, channel=None, off=True)
        assert sent.only["content"] == expected
    assert (await bot.recaps.status(guild_id)).recap is None


@pytest.mark.parametrize("days", [0, 91, -5])
async def test_insights_validates_days_at_run_time(bot: Backbone, days: int) -> None:
    interaction, _ = make_interaction(permissions=ADMIN)
    with pytest.raises(UserFacingError, match="from 1 to 90"):
        await invoke(bot, "coach insights", interaction, days=days)


async def test_insights_shows_what_ask_could_not_answer_and_what_was_opened(
    bot: Backbone,
) -> None:
    for path, options in (
        ("ask", {"question": "  Creatine   dosage?  "}),
        ("ask", {"question": "creatine dosage?"}),
        ("cue", {"exercise": "rows"}),
        ("cue", {"exercise": "zzzz not an exercise"}),
    ):
        interaction, _ = make_interaction()
        await invoke(bot, path, interaction, **options)
    interaction, sent = make_interaction(permissions=ADMIN)
    await invoke(bot, "coach insights", interaction, days=30)
    call = sent.only
    assert call["ephemeral"] is True
    assert_no_pings(call)
    (embed,) = embed_dicts(call)
    values = {f["name"]: f["value"] for f in embed["fields"]}
    assert values["❓ /ask could not answer well (2 times)"] == "`creatine dosage?` · 2 times"
    assert values["📖 Most opened entries (1 opening)"] == "`barbell-row` (exercise) · 1 time"


async def test_a_forged_id_too_big_for_sqlite_on_a_button_is_answered_not_stored(
    bot: Backbone,
) -> None:
    """Button custom ids come back from the client: a 30-digit id must not reach SQLite."""
    from bot.features.posture.views import NudgeButton
    from bot.features.privacy.views import PrivacyDeleteButton
    from bot.features.streaks.reminder_delivery import ReminderOffButton

    for button in (
        NudgeButton("off", 10**30),
        NudgeButton("snooze", 10**30, "notice-your-posture"),
        PrivacyDeleteButton(10**30, "confirm"),
        ReminderOffButton(10**20 - 1),
    ):
        interaction, sent = make_interaction()
        interaction.client = bot
        await button.callback(interaction)
        assert sent.only["ephemeral"] is True
        content = sent.only["content"]
        assert "belong" in content or "Only the member" in content, content
