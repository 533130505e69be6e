"""The real bot, sharded: one process running several shards, Discord's recommended count,
identify buckets (first connect and re-identify), and two processes sharing PostgreSQL.

The double refuses (and records as a violation) two IDENTIFYs of one bucket less than
5 s apart, whichever connections they come from, so `assert not double.violations` is
what proves the identify slots; the spacing asserted here is that protocol rule.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from discord_double import IDENTIFY_WINDOW, DiscordDouble, IdentifyRecord
from discord_double.process import BotProcess, assert_clean_shutdown
from tests.e2e.conftest import LaunchBot
from tests.e2e.helpers import assert_public_embed, run
from tests.postgres import fresh_database

pytestmark = pytest.mark.asyncio(loop_scope="module")

BOTH_SHARDS = {"SHARD_COUNT": "2", "SHARD_IDS": "0-1"}


def gaps(identifies: list[IdentifyRecord]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(identifies)]


async def logged(bot: BotProcess, text: str) -> None:
    """Wait for `text` in the bot's log (discord.py says a shard is ready a moment after
    its last GUILD_CREATE)."""
    await bot.double.wait_until(lambda: text in bot.stderr(), 15, f"{text!r} in the log")


async def answers_in_every_guild(double: DiscordDouble) -> None:
    """/cue answered in a guild of each shard, and in a DM and a user install (shard 0)."""
    for guild in double.guilds:
        reply = await run(double, "cue", {"exercise": "rows"}, guild=guild.id)
        assert_public_embed(reply, "Barbell row")
    for where in ({"dm": True}, {"user_install": True, "guild": double.guilds[-1].id}):
        assert_public_embed(await run(double, "cue", {"exercise": "deadlift"}, **where), "Deadlift")


@pytest.mark.double(guild_count=2, guild_shards=2, max_concurrency=1)
async def test_one_process_runs_two_shards_and_answers_in_both(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process(env=BOTH_SHARDS)

    assert {g.id for g in double.guilds} == {
        double.guild_on_shard(0, 2).id,
        double.guild_on_shard(1, 2).id,
    }
    await answers_in_every_guild(double)
    assert [(i.shard_id, i.shard_count, i.bucket) for i in double.identifies] == [
        (0, 2, 0),
        (1, 2, 0),
    ]
    assert all(gap >= IDENTIFY_WINDOW for gap in gaps(double.identifies))
    assert not double.violations, "\n".join(map(str, double.violations))
    for line in ("Running shards 0-1 of 2", "Shard 0 of 2 ready in 1 servers"):
        await logged(bot, line)
    await logged(bot, "Shard 1 of 2 ready in 1 servers")
    await logged(bot, "in 2 servers (shards 0-1 of 2)")  # on_ready, after every shard


@pytest.mark.double(guild_count=2, guild_shards=2, max_concurrency=2)
async def test_shards_in_different_buckets_identify_at_once(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    await bot_process(env=BOTH_SHARDS)

    assert [i.bucket for i in double.identifies] == [0, 1]
    # discord.py's own default would have slept 5 s between its shards.
    assert gaps(double.identifies)[0] < IDENTIFY_WINDOW
    await answers_in_every_guild(double)
    assert not double.violations, "\n".join(map(str, double.violations))


@pytest.mark.double(recommended_shards=2, guild_count=2, guild_shards=2, max_concurrency=1)
async def test_without_shard_count_the_bot_runs_discords_recommended_shards(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    bot = await bot_process()

    assert sorted(i.shard_id for i in double.identifies) == [0, 1]
    assert {i.shard_count for i in double.identifies} == {2}
    await answers_in_every_guild(double)
    assert not double.violations, "\n".join(map(str, double.violations))
    await logged(bot, "Running the number of shards Discord recommends")
    await logged(bot, "(shards 0-1 of 2)")


@pytest.mark.double(guild_count=2, guild_shards=2, max_concurrency=1)
async def test_a_reidentify_after_an_invalidated_session_waits_for_its_slot(
    double: DiscordDouble, bot_process: LaunchBot
) -> None:
    await bot_process(env=BOTH_SHARDS)
    shard_zero = double.shard_sessions[0]

    await double.force_disconnect(shard=0, resumable=False)
    await double.wait_until(
        lambda: double.shard_sessions[0] is not shard_zero and double.ready_shards[-1] == 0,
        30,
        "shard 0 to identify again",
    )

    assert [i.shard_id for i in double.identifies] == [0, 1, 0]
    assert all(gap >= IDENTIFY_WINDOW for gap in gaps(double.identifies))
    await answers_in_every_guild(double)
    assert not double.violations, "\n".join(map(str, double.violations))


@pytest.mark.double(guild_count=2, guild_shards=2, max_concurrency=1)
async def test_two_processes_sharing_postgres_take_separate_identify_slots(
    double: DiscordDouble, tmp_path: Path
) -> None:
    database = fresh_database()
    bots = [
        BotProcess(
            double,
            tmp_path / f"shard{shard}",
            name=f"shard{shard}",
            env={"SHARD_COUNT": "2", "SHARD_IDS": str(shard), "DATABASE_URL": database},
        )
        for shard in (0, 1)
    ]
    try:
        # Both start together: only the slots in the shared database keep them apart.
        for bot in bots:
            await bot.start(wait_ready=False)
        for bot in bots:
            await bot.wait_ready(0)

        assert sorted(i.shard_id for i in double.identifies) == [0, 1]
        assert [i.bucket for i in double.identifies] == [0, 0]
        assert gaps(double.identifies)[0] >= IDENTIFY_WINDOW
        await answers_in_every_guild(double)
        assert not double.violations, "\n".join(map(str, double.violations))
    finally:
        codes = [await bot.stop() for bot in bots]
    assert codes == [0, 0], "\n".join(bot.log_tail() for bot in bots)
    for bot in bots:
        assert_clean_shutdown(bot)
