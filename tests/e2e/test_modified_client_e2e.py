"""What a modified client can send, through the real bot: values outside the choices and
ranges Discord's own client enforces get a clear ephemeral answer and change nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from discord_double import DiscordDouble, Json
from tests.e2e.conftest import Live
from tests.e2e.helpers import run
from tests.e2e.test_streaks_e2e import option_schema

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN = str(1 << 5)


@contextlib.contextmanager
def unchecked(double: DiscordDouble, command: str, sub: str | None, name: str) -> Iterator[Json]:
    """The option as a client that ignores its choices and limits would send it."""
    option = option_schema(double, command, sub, name)
    saved = {k: option.pop(k) for k in ("choices", "min_value", "max_value") if k in option}
    try:
        yield option
    finally:
        option.update(saved)


@pytest.mark.parametrize("target", [0, 8, 10**12])
async def test_a_weekly_target_outside_1_to_7(live: Live, target: int) -> None:
    double = live.double
    with unchecked(double, "coach", "settings", "weekly_target"):
        reply = await run(
            double, "coach", {"weekly_target": target}, subcommand="settings", permissions=ADMIN
        )
    assert reply.ephemeral
    assert f"1 to 7, not {target}" in reply.content
    shown = await run(double, "coach", subcommand="settings", permissions=ADMIN)
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert fields["Weekly target"] == "1 back day(s)"


async def test_logging_tomorrow_is_refused(live: Live) -> None:
    double = live.double
    user = double.make_user("time-traveller")
    with unchecked(double, "backday", "log", "when"):
        reply = await run(double, "backday", {"when": "tomorrow"}, subcommand="log", user=user)
    assert reply.ephemeral
    assert "`today` or `yesterday`" in reply.content
    streak = await run(double, "streak", user=user)
    assert streak.content == "You haven't logged a back day here yet. Start with `/backday log`."


async def test_unknown_nudge_days_and_reminder_day(live: Live) -> None:
    double = live.double
    user = double.make_user("odd-days")
    with unchecked(double, "posture", "on", "days"):
        reply = await run(double, "posture", {"days": "fortnightly"}, subcommand="on", user=user)
    assert reply.ephemeral and "`every day` or `weekdays`" in reply.content
    with unchecked(double, "backday", "reminder", "day"):
        reply = await run(double, "backday", {"day": "monday"}, subcommand="reminder", user=user)
    assert reply.ephemeral and "`friday`, `saturday` or `sunday`" in reply.content
    assert "Traceback" not in live.bot.all_output()
