"""Two bot processes, shards 0 and 1 of 2, sharing one PostgreSQL database.

Commands work in the guilds of both shards; a burst of nudges due in the same minute
is delivered exactly once each with no 429 (the processes split it through schedule
leases and each paces itself at its half of the global limit); and when one process is
killed with SIGKILL in the middle of the burst, the other finishes the rest, including
the rows the dead process had leased (once their lease ends) and any it had claimed
(resent under the claim's nonce, which the double, like Discord, drops if it was sent).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from discord_double import DiscordDouble
from discord_double.process import BotProcess, assert_clean_shutdown
from tests.e2e.helpers import embed_of, run
from tests.postgres import fresh_database

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMBERS = 240
LIMIT = 50
"""The double's global limit, and the bots' DISCORD_GLOBAL_RATE_LIMIT: 25/s each."""
KILL_AFTER = 60
"""Nudges delivered before process 0 is killed: it has leased rows it has not sent."""


def seed_members(double: DiscordDouble) -> dict[int, int]:
    """`MEMBERS` users, each with a DM channel the bot already knows: channel -> user."""
    channels: dict[int, int] = {}
    for n in range(MEMBERS):
        user = int(double.make_user(f"member-{n}")["id"])
        channel = double.snowflake()
        double.dm_channels[channel] = user
        channels[channel] = user
    return channels


def seed_nudges(url: str, guild_id: int, channels: dict[int, int]) -> None:
    """Every member opted in, their nudge due half a minute ago (as after a busy minute)."""
    due = int(time.time()) - 30
    local = time.strftime("%H:%M", time.gmtime(due))
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            b"INSERT INTO member_settings (user_id, timezone) VALUES (%s, 'UTC')",
            [(user,) for user in channels.values()],
        )
        cursor.executemany(
            b"INSERT INTO reminders (user_id, guild_id, local_time, days, slot_at, due_at,"
            b" dm_channel_id, opted_in_at) VALUES (%s, %s, %s, 'every day', %s, %s, %s, %s)",
            [
                (user, guild_id, local, due, due, channel, due - 86_400)
                for channel, user in channels.items()
            ],
        )


def nudges(double: DiscordDouble, channels: dict[int, int]) -> Counter[int]:
    return Counter({c: len(double.channel_messages.get(c, ())) for c in channels})


@pytest.mark.double(guild_count=2, guild_shards=2, max_concurrency=2, global_rate_limit=LIMIT)
async def test_two_processes_share_a_burst_and_survive_a_kill(
    double: DiscordDouble, tmp_path: Path
) -> None:
    database = fresh_database()
    channels = seed_members(double)
    seed_nudges(database, double.guilds[0].id, channels)
    bots = [
        BotProcess(
            double,
            tmp_path / f"shard{shard}",
            name=f"shard{shard}",
            database_url=database,
            env={
                "SHARD_COUNT": "2",
                "SHARD_IDS": str(shard),
                "DISCORD_GLOBAL_RATE_LIMIT": str(LIMIT),
            },
            log_level="INFO",
        )
        for shard in (0, 1)
    ]
    killed, survivor = bots
    try:
        for bot in bots:
            await bot.start(wait_ready=False)
        for bot in bots:
            await bot.wait_ready(0)

        # Commands in a guild of each shard, answered by the process that runs it.
        for guild in double.guilds:
            logged = await run(double, "backday", subcommand="log", guild=guild.id)
            assert logged.callback.status == 200 and not logged.ephemeral, logged.data
            streak = embed_of(await run(double, "streak", guild=guild.id))
            assert "Current streak" in str(streak), streak

        await double.wait_until(
            lambda: sum(nudges(double, channels).values()) >= KILL_AFTER,
            60,
            f"{KILL_AFTER} nudges",
        )
        assert killed.proc is not None
        killed.proc.kill()  # SIGKILL: no clean-up, its leases and claims left behind
        await killed.wait_exit()
        killed_at = double.clock()
        sent_before_kill = sum(nudges(double, channels).values())
        assert sent_before_kill < MEMBERS, "the burst ended before the kill: grow MEMBERS"

        # The survivor takes over the dead process's leased rows once their lease ends.
        await double.wait_until(
            lambda: all(nudges(double, channels).values()), 90, "a nudge for every member"
        )
        await asyncio.sleep(2)  # for any duplicate to show up

        counts = nudges(double, channels)
        assert Counter(counts.values()) == {1: MEMBERS}, "every member exactly once"
        after_kill = [
            r
            for r in double.requests_to("POST", r"^/channels/\d+/messages$")
            if r.at > killed_at and r.status == 200
        ]
        assert len(after_kill) >= MEMBERS - sent_before_kill
        assert double.rate_limited() == [], "a 429: the two processes overran the limit"
        assert not double.violations, "\n".join(map(str, double.violations))

        # The survivor still serves its shard's guild.
        assert embed_of(await run(double, "streak", guild=double.guilds[1].id))
    finally:
        code = await survivor.stop()
        if killed.running:
            await killed.stop()
    assert code == 0, survivor.log_tail()
    assert_clean_shutdown(survivor)
