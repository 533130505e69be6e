"""/coach insights: anonymous counters recorded by the knowledge commands, the report on
seeded data with a pinned clock, what counts as a question /ask could not answer well,
and that no insights table can hold anything that identifies a member."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Backbone
from bot.core.errors import UserFacingError
from bot.core.replies import EMBED_TOTAL_LIMIT
from bot.features.coach.insights import InsightsService, bucket_of, normalize_question
from bot.features.coach.replies import insights_reply
from bot.features.knowledge.answers import GOOD_MATCH_SCORE, ask_answer
from bot.features.knowledge.store import Knowledge
from bot.features.streaks.service import StreakService
from bot.storage import Transaction
from bot.storage.backday_reminders import BackdayReminder, ReminderDelivery
from bot.storage.insights import AskMiss, EntryOpen, Totals
from bot.storage.posture import Delivery, Reminder
from bot.storage.privacy import ANONYMOUS_TABLES, NO_MEMBER_DATA
from bot.storage.sqlite import SqliteStorage
from tests.clock import FakeClock
from tests.discord_mocks import make_interaction
from tests.features.knowledge.phrasings import EVERYDAY_PAIN_QUESTIONS, TECHNIQUE_QUESTIONS
from tests.features.test_cogs import invoke

GUILD = 400_000_000_000_000_001
OTHER = 400_000_000_000_000_002
ME = 300_000_000_000_000_001
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)  # a Friday


def utc(*wall: int) -> datetime:
    return datetime(*wall, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "backbone.db")
    try:
        yield opened
    finally:
        await opened.close()


# --- what counts as unanswered -------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        *TECHNIQUE_QUESTIONS[:3],
        *EVERYDAY_PAIN_QUESTIONS,
        "lat pulldown grip width",
        "slouching at my desk",
        "plank",
    ],
)
def test_questions_the_knowledge_base_answers_are_not_misses(
    knowledge: Knowledge, question: str
) -> None:
    _reply, outcome = ask_answer(knowledge, question)
    assert outcome.answered and outcome.top is not None, question


@pytest.mark.parametrize(
    "question",
    [
        "quantum chromodynamics",
        "creatine dosage",
        "how much protein should I eat",
        "can you recommend a gym in london",
        "how do i get bigger arms",
        "best shoes for lifting",
        "what time is it",
    ],
)
def test_off_topic_and_nonsense_questions_are_misses(knowledge: Knowledge, question: str) -> None:
    _reply, outcome = ask_answer(knowledge, question)
    assert not outcome.answered and outcome.top is None, question
    hits = knowledge.index.text.search(question, 5)
    assert not hits or hits[0].score < GOOD_MATCH_SCORE


def test_a_red_flag_question_is_answered_by_its_advice(knowledge: Knowledge) -> None:
    _reply, outcome = ask_answer(knowledge, "numbness down my leg after deadlifts")
    assert outcome.answered


def test_questions_are_counted_trimmed_collapsed_and_lower_cased() -> None:
    assert normalize_question("  Creatine\t\tDOSAGE \n please ") == "creatine dosage please"
    assert len(normalize_question("x" * 500)) == 200


@pytest.mark.parametrize(
    ("current", "bucket"),
    [(0, "0"), (1, "1"), (2, "2-3"), (3, "2-3"), (4, "4-7"), (7, "4-7"), (8, "8+"), (52, "8+")],
)
def test_streak_buckets(current: int, bucket: str) -> None:
    assert bucket_of(current) == bucket


# --- the report ----------------------------------------------------------------------


async def test_the_report_on_seeded_data(storage: SqliteStorage) -> None:
    clock = FakeClock(NOW)
    insights = InsightsService(storage, clock)
    streaks = StreakService(storage, clock)

    # Counters: some asked in the period, one 10 days ago, one in another server.
    for question in ("Creatine dosage", "creatine   dosage ", "best shoes"):
        await insights.record_unanswered(GUILD, question)
    await insights.record_open(GUILD, "exercise", "barbell-row")
    await insights.record_open(GUILD, "exercise", "barbell-row")
    await insights.record_open(GUILD, "situation", "after-squats")
    await insights.record_unanswered(OTHER, "elsewhere")
    clock.now = NOW - timedelta(days=10)
    await insights.record_unanswered(GUILD, "creatine dosage")
    await insights.record_open(GUILD, "posture", "chin-tucks")

    # Back days: members 1 and 2 this week, member 3 three weeks ago only.
    for user_id, when in (
        (1, NOW - timedelta(days=7)),
        (1, NOW),
        (2, NOW),
        (3, NOW - timedelta(days=21)),
    ):
        clock.now = when
        assert (await streaks.log(GUILD, user_id)).logged
    clock.now = NOW

    # Deliveries: members 1 and 2 get nudges through this server; 9 through another.
    seconds = int(NOW.timestamp())

    def seed(tx: Transaction) -> None:
        for user_id, guild_id in ((1, GUILD), (2, GUILD), (9, OTHER)):
            tx.posture.save_reminder(
                Reminder(user_id, guild_id, "09:00", "every day", 1, None, None, 1, None, None, 1)
            )
        for user_id, day, status, ago in (
            (1, "2026-03-20", "dm", 0),
            (1, "2026-03-19", "dm", 1),
            (2, "2026-03-19", "channel", 1),
            (2, "2026-03-18", "refused", 2),
            (2, "2026-03-17", "uncertain", 3),
            (1, "2026-03-12", "failed", 8),  # before a 7-day period
            (9, "2026-03-20", "dm", 0),  # another server's member
        ):
            tx.posture.save_delivery(
                Delivery(user_id, day, "t", "n", status, seconds - ago * 86_400)
            )
        tx.backday_reminders.save(BackdayReminder(1, 6, "18:00", 1, None, None, 1))
        tx.backday_reminders.save_delivery(
            ReminderDelivery(1, "2026-03-09", "n", "dm", seconds - 5 * 86_400)
        )
        tx.backday_reminders.save_delivery(
            ReminderDelivery(3, "2026-03-09", "", "refused", seconds - 5 * 86_400)
        )

    await storage.write(seed)

    report = await insights.report(GUILD, 7)
    assert report.since == date(2026, 3, 14)
    assert report.misses == [AskMiss("creatine dosage", 2), AskMiss("best shoes", 1)]
    assert report.miss_totals == Totals(2, 3)
    assert report.opens == [
        EntryOpen("exercise", "barbell-row", 2),
        EntryOpen("situation", "after-squats", 1),
    ]
    assert report.open_totals == Totals(2, 3)
    assert report.nudges == {"dm": 2, "channel": 1, "refused": 1, "uncertain": 1}
    assert report.reminders == {"dm": 1, "refused": 1}
    assert (report.posture_members, report.reminder_members, report.members_logged) == (2, 1, 2)
    # Member 1: two weeks in a row; member 2: this week; member 3 lapsed (expired to 0).
    assert report.spread == {"0": 1, "1": 1, "2-3": 1, "4-7": 0, "8+": 0}

    month = await insights.report(GUILD, 30)
    assert month.misses[0] == AskMiss("creatine dosage", 3)
    assert month.open_totals == Totals(3, 4)
    assert month.nudges["failed"] == 1 and month.members_logged == 3

    reply = insights_reply(report, NOW)
    assert reply.ephemeral and reply.embed is not None
    assert reply.embed.limit_problems() == []
    values = {f.name: f.value for f in reply.embed.fields}
    assert "`creatine dosage` · 2 times" in values["❓ /ask could not answer well (3 times)"]
    assert "sent by DM: **2**" in values["🧍 Posture nudges"]
    assert "in the channel" not in values["⏰ Streak reminders"]


@pytest.mark.parametrize("days", [0, -1, 91, 1000])
async def test_days_outside_1_to_90_are_refused_clearly(storage: SqliteStorage, days: int) -> None:
    with pytest.raises(UserFacingError, match="from 1 to 90"):
        await InsightsService(storage, FakeClock(NOW)).report(GUILD, days)


async def test_a_report_of_long_questions_fits_discords_limits(storage: SqliteStorage) -> None:
    insights = InsightsService(storage, FakeClock(NOW))
    for n in range(40):
        await insights.record_unanswered(GUILD, f"{n:02d} " + "why does **my** `back` <@1> " * 8)
        await insights.record_open(GUILD, "exercise", f"exercise-{n:02d}-" + "x" * 60)
    reply = insights_reply(await insights.report(GUILD, 90), NOW)
    assert reply.embed is not None
    assert reply.embed.limit_problems() == []
    assert reply.embed.total_chars() <= EMBED_TOTAL_LIMIT
    misses = reply.embed.fields[0].value
    assert misses.endswith("more") and "<@1>" in misses  # inside code: not a mention
    shown = misses.count("`") // 2
    assert misses.splitlines()[-1] == f"and {40 - shown} more"
    assert all(line.startswith("`") for line in misses.splitlines()[:-1])


# --- nothing identifies a member ----------------------------------------------------


NEW_TABLES = ("server_recaps", "ask_misses", "entry_opens", "retention")


def table_rows(path: Path, table: str) -> tuple[list[str], list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        cursor = conn.execute(f"SELECT * FROM {table}")
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        conn.close()


async def test_no_coach_table_holds_a_user_id(bot: Backbone) -> None:
    """The knowledge commands, run by a member in a server and in a DM, leave counts with
    no trace of who ran them; the recap and retention tables have no member column."""
    assert set(NEW_TABLES) <= set(NO_MEMBER_DATA)
    assert set(ANONYMOUS_TABLES) <= set(NEW_TABLES)
    for guild_id in (GUILD, None):
        for path, options in (
            ("ask", {"question": "creatine dosage for a 90kg lifter"}),
            ("ask", {"question": "lower back hurts after leg day"}),
            ("cue", {"exercise": "rows"}),
            ("why-back-pain", {"situation": "after-squats"}),
        ):
            interaction, _sent = make_interaction(user_id=ME, guild_id=guild_id)
            await invoke(bot, path, interaction, **options)
    await bot.recaps.set_channel(GUILD, 5555)

    path = bot.settings.database_path
    members = {str(ME), ME}
    for table in NEW_TABLES:
        columns, rows = table_rows(path, table)
        assert not [c for c in columns if "user" in c or "member" in c or "author" in c], table
        for row in rows:
            assert not members & set(row), (table, row)
            assert not any(str(ME) in str(value) for value in row), (table, row)
    _columns, misses = table_rows(path, "ask_misses")
    assert sorted((guild, question) for guild, _day, question, _n in misses) == [
        (0, "creatine dosage for a 90kg lifter"),
        (GUILD, "creatine dosage for a 90kg lifter"),
    ]
    _columns, opens = table_rows(path, "entry_opens")
    assert {(guild, kind, entry) for guild, _day, kind, entry, _n in opens} == {
        (guild, kind, entry)
        for guild in (0, GUILD)
        for kind, entry in (
            ("situation", "after-squats"),
            ("exercise", "barbell-row"),
        )
    }
