"""The /streak card: real PNGs decoded with Pillow and sampled where the layout says cells
and markers are; the data behind it (weeks in the member's own calendar); the cache.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.core.clock import local_date
from bot.core.replies import ATTACHMENT_DESCRIPTION_LIMIT, Attachment, to_text
from bot.features.streaks import card as card_module
from bot.features.streaks.card import (
    BACKGROUND,
    CARD_FILENAME,
    CARD_SIZE,
    CARD_WEEKS,
    EMPTY,
    FILLED,
    ICE,
    PAD,
    QUALIFY,
    UNNAMED,
    CardCache,
    CardData,
    card_data,
    card_description,
    cell_centre,
    column_of,
    day_cell,
    drawn_name,
    fingerprint,
    marker_centre,
    name_right,
    outline_box,
    render_card,
    shown_name,
    week_columns,
)
from bot.features.streaks.replies import streak_reply
from bot.features.streaks.rules import WEEK, streak_stats, week_of
from bot.features.streaks.service import StreakService
from bot.storage.sqlite import SqliteStorage
from bot.storage.sqlite.connection import Database
from tests.clock import FakeClock

WEDNESDAY = date(2026, 11, 18)
GUILD = 7


def data_for(
    days: set[date], today: date = WEDNESDAY, target: int = 1, name: str = "Fay"
) -> CardData:
    return card_data(name, streak_stats(days, today, target), days)


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CARD_SIZE
    return image.convert("RGBA")


def rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    r, g, b, a = image.getpixel(xy)  # type: ignore[misc]
    assert a == 255, f"{xy} is not opaque"
    return r, g, b


def centre_of(data: CardData, day: date) -> tuple[int, int]:
    column = column_of(data, day)
    assert column is not None, day
    return cell_centre(column, day.weekday())


# --- the picture ----------------------------------------------------------------------


def test_a_logged_day_is_filled_and_an_empty_one_is_not() -> None:
    logged = {WEDNESDAY, WEDNESDAY - timedelta(days=1), WEDNESDAY - timedelta(days=15)}
    data = data_for(logged)
    image = decode(render_card(data))
    for day in logged:
        assert rgb(image, centre_of(data, day)) == FILLED, day
    for day in (WEDNESDAY - timedelta(days=2), WEDNESDAY - timedelta(days=100)):
        assert rgb(image, centre_of(data, day)) == EMPTY, day
    # Corners are see-through (Discord's own background shows), the card itself opaque.
    assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert image.getpixel((CARD_SIZE[0] - 1, CARD_SIZE[1] - 1))[3] == 0  # type: ignore[index]
    assert rgb(image, (CARD_SIZE[0] // 2, PAD // 2)) == BACKGROUND


def test_qualifying_and_frozen_weeks_carry_their_markers() -> None:
    # Four qualifying weeks earn a freeze; a missed week spends it; then one more week.
    this_week = week_of(WEDNESDAY)
    mondays = [this_week - n * WEEK for n in (6, 5, 4, 3, 1)]
    days = {m for m in mondays} | {WEDNESDAY}
    stats = streak_stats(days, WEDNESDAY, 1)
    assert stats.frozen_weeks == {this_week - 2 * WEEK}
    data = card_data("Fay", stats, days)
    image = decode(render_card(data))
    columns = {monday: n for n, monday in enumerate(week_columns(data))}

    frozen = columns[this_week - 2 * WEEK]
    assert rgb(image, marker_centre(frozen)) == ICE  # the snowflake
    x0, y0, x1, y1 = outline_box(frozen)
    middle = (y0 + y1) // 2
    assert rgb(image, (x0, middle)) == ICE  # the outline, both sides
    assert rgb(image, (x1 - 1, middle)) == ICE
    for monday in [*mondays, this_week]:
        assert rgb(image, marker_centre(columns[monday])) == QUALIFY, monday
    quiet = columns[this_week - 10 * WEEK]
    assert rgb(image, marker_centre(quiet)) == BACKGROUND
    x0, _, _, _ = outline_box(quiet)
    assert rgb(image, (x0, middle)) == BACKGROUND


def test_twenty_six_weeks_all_logged() -> None:
    sunday = date(2026, 11, 22)
    days = {sunday - timedelta(days=n) for n in range(CARD_WEEKS * 7)}
    data = data_for(days, today=sunday, target=7)
    assert len(data.days) == CARD_WEEKS * 7
    assert data.current == data.best == CARD_WEEKS
    assert data.qualifying_weeks == set(week_columns(data))
    image = decode(render_card(data))
    for column in range(CARD_WEEKS):
        for row in range(7):
            assert rgb(image, cell_centre(column, row)) == FILLED, (column, row)
        assert rgb(image, marker_centre(column)) == QUALIFY


def test_an_empty_history_draws_an_empty_grid() -> None:
    data = data_for(set())
    assert (data.current, data.best, data.freezes, data.days) == (0, 0, 0, frozenset())
    image = decode(render_card(data))
    for column in range(CARD_WEEKS):
        for row in range(7):
            assert rgb(image, cell_centre(column, row)) == EMPTY
        assert rgb(image, marker_centre(column)) == BACKGROUND


def test_a_very_long_name_is_clipped_clear_of_the_header_text() -> None:
    data = data_for({WEDNESDAY}, name="Maximilian " * 30)
    shown = drawn_name(data)
    assert shown.endswith("…")
    assert len(shown) < 40
    image = decode(render_card(data))
    # Between the clipped name and the header's right-hand text: only the card.
    right = name_right()
    for x in range(right, right + 16):
        for y in range(12, 50):
            assert rgb(image, (x, y)) == BACKGROUND, (x, y)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Zoë 🏋️ 李", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # decomposed: drawn as one letter
        ("Дмитрий Ωmega", "Дмитрий Ωmega"),
        ("李小龙", ""),  # nothing the font can draw: the header says what the card is
        ("🔥🔥🔥", ""),
        ("Sam\u200b\u202e\u0000 علي", "Sam"),  # invisible, control and right-to-left dropped
    ],
)
def test_names_in_any_script_render(name: str, shown: str) -> None:
    assert shown_name(name) == shown
    data = data_for({WEDNESDAY}, name=name)
    assert drawn_name(data) == (shown or UNNAMED)
    decode(render_card(data))
    # The alt text keeps the name as the member wrote it.
    assert name in card_description(data)


def test_the_alt_text_states_every_number_and_fits_discord() -> None:
    this_week = week_of(WEDNESDAY)
    days = {this_week - n * WEEK for n in (6, 5, 4, 3, 1)} | {WEDNESDAY}
    data = data_for(days, name="Fay")
    text = card_description(data)
    # The missed week was carried by the freeze the first four earned.
    assert text.startswith("Back-day streak card for Fay. Current streak 6 weeks, best streak 6 ")
    assert "0 of 2 freezes held, this week 1 of 1 back days" in text
    assert "6 back days logged, 6 weeks met the target of 1 back day, 1 week carried" in text
    assert "(25 May 2026 to 22 Nov 2026)" in text
    long = card_description(data_for(days, name="x" * 5000))
    assert len(long) <= ATTACHMENT_DESCRIPTION_LIMIT


def test_the_reply_shows_the_card_and_keeps_every_number_in_text() -> None:
    days = {WEDNESDAY, WEDNESDAY - timedelta(days=8)}
    stats = streak_stats(days, WEDNESDAY, 1)
    data = card_data("Fay", stats, days)
    card = Attachment(CARD_FILENAME, render_card(data), card_description(data))
    reply = streak_reply("Fay", stats, card)
    assert reply.embed is not None
    assert reply.embed.image == "attachment://streak.png"
    assert reply.files == (card,)
    values = {f.name: f.value for f in reply.embed.fields}
    assert values["Current streak"] == "2 weeks"
    assert values["Total back days"] == "2"
    assert reply.embed.limit_problems() == []
    assert f"[image: streak.png — {card.description}]" in to_text(reply)
    plain = streak_reply("Fay", stats)
    assert plain.files == () and plain.embed is not None and plain.embed.image is None
    assert "[image" not in to_text(plain)


# --- the data: weeks in the member's own calendar --------------------------------------


def test_columns_are_the_members_mondays_across_a_dst_change() -> None:
    london = ZoneInfo("Europe/London")
    # Clocks went forward on Sunday 29 March 2026; it is Tuesday 31 March, 00:30 in London
    # (still Monday 30 March in UTC).
    now = datetime(2026, 3, 31, 0, 30, tzinfo=london)
    today = local_date(now.astimezone(UTC), london)
    assert today == date(2026, 3, 31) and now.astimezone(UTC).date() == date(2026, 3, 30)
    days = {date(2026, 3, 29), date(2026, 3, 30), today}
    data = data_for(days, today=today)
    columns = week_columns(data)
    assert len(columns) == CARD_WEEKS
    assert all(m.weekday() == 0 for m in columns)
    assert all(b - a == WEEK for a, b in itertools.pairwise(columns))
    assert columns[-1] == date(2026, 3, 30) == data.week
    assert column_of(data, date(2026, 3, 29)) == CARD_WEEKS - 2  # the DST Sunday: last week
    assert day_cell(data, date(2026, 3, 29)) is not None
    assert data.qualifying_weeks == {date(2026, 3, 23), date(2026, 3, 30)}
    image = decode(render_card(data))
    for day in days:
        assert rgb(image, centre_of(data, day)) == FILLED


def test_columns_run_across_a_year_end() -> None:
    today = date(2027, 1, 1)  # a Friday
    days = {date(2026, 12, 31), today, date(2026, 12, 27), date(2026, 7, 6), date(2026, 7, 5)}
    data = data_for(days, today=today)
    columns = week_columns(data)
    assert columns[-1] == date(2026, 12, 28)
    assert columns[0] == date(2026, 7, 6)
    # A day before the window is left out; the rest keep their weekday rows.
    assert data.days == days - {date(2026, 7, 5)}
    assert column_of(data, date(2026, 7, 5)) is None
    assert column_of(data, date(2026, 12, 27)) == CARD_WEEKS - 2
    image = decode(render_card(data))
    assert rgb(image, centre_of(data, today)) == FILLED
    assert rgb(image, centre_of(data, date(2026, 12, 31))) == FILLED
    assert rgb(image, centre_of(data, date(2027, 1, 3))) == EMPTY  # Sunday, not yet


def test_card_data_needs_the_stats_week() -> None:
    stats = replace(streak_stats({WEDNESDAY}, WEDNESDAY, 1), week=None)
    with pytest.raises(ValueError, match="week"):
        card_data("Fay", stats, {WEDNESDAY})


def test_the_fingerprint_covers_what_is_drawn() -> None:
    base = data_for({WEDNESDAY})
    assert fingerprint(base) == fingerprint(data_for({WEDNESDAY}))
    for other in (
        data_for({WEDNESDAY}, name="Fay!"),
        data_for({WEDNESDAY, WEDNESDAY - timedelta(days=1)}),
        data_for({WEDNESDAY}, target=2),
        data_for({WEDNESDAY}, today=WEDNESDAY + WEEK),
    ):
        assert fingerprint(other) != fingerprint(base)
    # Later in the same week, nothing drawn changed.
    assert data_for({WEDNESDAY}, today=WEDNESDAY + timedelta(days=4)) == base


# --- the cache, over the real service -----------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "backbone.db")
    try:
        yield database
    finally:
        await database.close()


async def test_the_cache_reuses_a_card_until_the_member_logs_again(db: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 17, 9, 0, tzinfo=UTC))  # a Tuesday
    service = StreakService(SqliteStorage(db), clock)
    cache = CardCache()
    key = (GUILD, 1)

    async def card() -> bytes:
        found = await service.stats_with_days(GUILD, 1, CARD_WEEKS)
        assert found is not None
        stats, days = found
        return await cache.png(key, card_data("Fay", stats, days))

    await service.log(GUILD, 1, "yesterday")
    first = await card()
    assert (cache.renders, cache.hits) == (1, 0)
    assert await card() == first
    assert (cache.renders, cache.hits) == (1, 1)
    clock.advance(days=2)  # Thursday: the same week, nothing new logged
    assert await card() == first
    assert (cache.renders, cache.hits) == (1, 2)

    await service.log(GUILD, 1)
    second = await card()
    assert cache.renders == 2
    assert second != first
    assert await card() == second
    assert (cache.renders, len(cache)) == (2, 1)

    clock.advance(days=5)  # the next week: a new column
    assert await card() != second
    assert cache.renders == 3


async def test_stats_with_days_reads_the_window_only(db: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    service = StreakService(SqliteStorage(db), clock)
    assert await service.stats_with_days(GUILD, 1, CARD_WEEKS) is None
    await service.log(GUILD, 1)
    clock.advance(days=-200)
    await service.log(GUILD, 1)
    clock.advance(days=200)
    found = await service.stats_with_days(GUILD, 1, CARD_WEEKS)
    assert found is not None
    stats, days = found
    assert days == [WEDNESDAY]
    assert stats == await service.stats(GUILD, 1)
    assert stats.total == 2


async def test_the_cache_is_bounded() -> None:
    rendered: list[CardData] = []

    def fake_render(data: CardData) -> bytes:
        rendered.append(data)
        return b"x" * 100

    cache = CardCache(max_entries=3, max_bytes=250, render=fake_render)
    for user in range(5):
        await cache.png((GUILD, user), data_for({WEDNESDAY}))
    assert len(cache) == 2  # 250 bytes hold two
    assert cache.size_bytes == 200
    cache = CardCache(max_entries=3, render=fake_render)
    for user in range(5):
        await cache.png((GUILD, user), data_for({WEDNESDAY}))
    assert len(cache) == 3
    assert cache.get((GUILD, 0), data_for({WEDNESDAY})) is None  # the oldest went first
    assert cache.get((GUILD, 4), data_for({WEDNESDAY})) is not None


async def test_a_card_that_fails_or_is_late_leaves_the_text_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = streak_stats({WEDNESDAY}, WEDNESDAY, 1)

    def broken(data: CardData) -> bytes:
        raise OSError("no font")

    cache = CardCache(render=broken)
    with caplog.at_level(logging.ERROR, logger=card_module.__name__):
        assert await cache.attachment((GUILD, 1), "Fay", stats, {WEDNESDAY}) is None
    assert "could not draw the streak card" in caplog.text
    assert "no font" in caplog.text

    def slow(data: CardData) -> bytes:
        time.sleep(0.3)
        return b"late"

    late = CardCache(render=slow, timeout=0.05)
    assert await late.attachment((GUILD, 1), "Fay", stats, {WEDNESDAY}) is None
    await asyncio.sleep(0.3)  # let the worker thread finish

    good = await CardCache().attachment((GUILD, 1), "Fay", stats, {WEDNESDAY})
    assert good is not None
    assert good.filename == CARD_FILENAME
    decode(good.data)
    assert good.description == card_description(card_data("Fay", stats, {WEDNESDAY}))


async def test_renders_in_parallel_threads_are_identical() -> None:
    data = data_for({WEDNESDAY - timedelta(days=n) for n in range(0, 120, 3)})
    expected = render_card(data)
    results = await asyncio.gather(*(asyncio.to_thread(render_card, data) for _ in range(8)))
    assert set(results) == {expected}
