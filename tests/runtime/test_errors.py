"""The central error handler: user mistakes, permission failures, unexpected faults."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord import app_commands

from bot.app import Backbone
from bot.core.errors import UserFacingError
from bot.runtime.errors import classify
from tests.discord_mocks import make_interaction


def invoke_error(original: Exception) -> app_commands.CommandInvokeError:
    command = app_commands.Command(
        name="x",
        description="x",
        callback=_noop,  # type: ignore[arg-type]
    )
    return app_commands.CommandInvokeError(command, original)


async def _noop(interaction: discord.Interaction) -> None:  # type: ignore[type-arg]
    return None


def test_user_mistakes_are_shown_as_written() -> None:
    reply = classify(invoke_error(UserFacingError("Keep it under 200 characters.")))
    assert (reply.kind, reply.message, reply.code) == (
        "user",
        "Keep it under 200 characters.",
        None,
    )


def test_missing_permissions_name_the_permission() -> None:
    reply = classify(app_commands.MissingPermissions(["manage_guild"]))
    assert reply.kind == "permission"
    assert "Manage Server" in reply.message


@pytest.mark.parametrize(
    "error",
    [app_commands.NoPrivateMessage(), app_commands.CheckFailure()],
)
def test_other_check_failures_are_permission_problems(error: Exception) -> None:
    assert classify(error).kind == "permission"


def test_unexpected_errors_get_a_code() -> None:
    reply = classify(invoke_error(ZeroDivisionError()))
    assert reply.kind == "unexpected"
    assert reply.code is not None and re.fullmatch(r"[0-9A-F]{6}", reply.code)
    assert classify(invoke_error(ZeroDivisionError())).code != reply.code


async def test_unexpected_error_code_is_logged_and_shown(
    bot: Backbone, caplog: pytest.LogCaptureFixture
) -> None:
    interaction, sent = make_interaction()
    with caplog.at_level(logging.ERROR, logger="bot.runtime.errors"):
        await bot.tree.on_error(interaction, invoke_error(RuntimeError("boom")))
    call = sent.only
    assert call["ephemeral"] is True
    assert call["allowed_mentions"].to_dict() == {"parse": []}
    code = re.search(r"`([0-9A-F]{6})`", call["content"])
    assert code is not None
    (record,) = caplog.records
    assert code.group(1) in record.getMessage()
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


async def test_errors_after_defer_use_a_followup(bot: Backbone) -> None:
    interaction, sent = make_interaction(done=True)
    await bot.tree.on_error(interaction, invoke_error(UserFacingError("nope")))
    interaction.followup.send.assert_awaited_once()
    assert sent.only["content"] == "nope"


async def test_a_failed_error_reply_is_logged_not_raised(
    bot: Backbone, caplog: pytest.LogCaptureFixture
) -> None:
    interaction, _ = make_interaction()
    response = discord.NotFound(
        response=type("R", (), {"status": 404, "reason": "Not Found"})(),  # type: ignore[arg-type]
        message={"code": 10062, "message": "Unknown interaction"},
    )
    interaction.response.send_message.side_effect = response
    with caplog.at_level(logging.WARNING):
        await bot.tree.on_error(interaction, invoke_error(UserFacingError("nope")))
    assert "Could not tell the member" in caplog.text
