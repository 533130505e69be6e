"""Nudge schedule arithmetic: exact instants around DST changes, odd zones and edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.time_of_day import TimeFormatError, format_time, parse_time
from bot.core.wall_time import LATE_LIMIT, is_too_late, local_instant
from bot.features.posture.schedule import (
    DAYS_CHOICES,
    Days,
    is_due_day,
    next_due,
    next_topic,
    nudge_day,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11
APIA = ZoneInfo("Pacific/Apia")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def due(at: time, zone: ZoneInfo, after: datetime, days: Days = "every day") -> datetime:
    return next_due(at, zone, days, after)


# --- daylight saving ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        # New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT.
        (date(2026, 3, 7), time(2, 30), utc(2026, 3, 7, 7, 30)),
        (date(2026, 3, 8), time(1, 30), utc(2026, 3, 8, 6, 30)),
        (date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 8), time(2, 59), utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 8), time(3, 30), utc(2026, 3, 8, 7, 30)),
        (date(2026, 3, 9), time(2, 30), utc(2026, 3, 9, 6, 30)),
        # New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:00-01:59 happens twice.
        (date(2026, 10, 31), time(1, 30), utc(2026, 10, 31, 5, 30)),
        (date(2026, 11, 1), time(0, 30), utc(2026, 11, 1, 4, 30)),
        (date(2026, 11, 1), time(1, 0), utc(2026, 11, 1, 5, 0)),
        (date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (date(2026, 11, 1), time(2, 30), utc(2026, 11, 1, 7, 30)),
        (date(2026, 11, 2), time(1, 30), utc(2026, 11, 2, 6, 30)),
    ],
)
def test_new_york_dst_days(day: date, at: time, expected: datetime) -> None:
    assert local_instant(day, at, NEW_YORK) == expected
    assert nudge_day(expected, at, NEW_YORK) == day


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        # London springs forward 2026-03-29 01:00 GMT -> 02:00 BST.
        (date(2026, 3, 28), time(1, 30), utc(2026, 3, 28, 1, 30)),
        (date(2026, 3, 29), time(0, 30), utc(2026, 3, 29, 0, 30)),
        (date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 0)),
        (date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        (date(2026, 3, 30), time(1, 30), utc(2026, 3, 30, 0, 30)),
        # London falls back 2026-10-25 02:00 BST -> 01:00 GMT.
        (date(2026, 10, 24), time(1, 30), utc(2026, 10, 24, 0, 30)),
        (date(2026, 10, 25), time(0, 30), utc(2026, 10, 24, 23, 30)),
        (date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        (date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 2, 30)),
        (date(2026, 10, 26), time(1, 30), utc(2026, 10, 26, 1, 30)),
    ],
)
def test_london_dst_days(day: date, at: time, expected: datetime) -> None:
    assert local_instant(day, at, LONDON) == expected
    assert nudge_day(expected, at, LONDON) == day


def test_spring_forward_gap_fires_at_its_end() -> None:
    first = due(time(2, 30), NEW_YORK, utc(2026, 3, 7, 12))
    assert first == utc(2026, 3, 8, 7)
    assert first.astimezone(NEW_YORK).time() == time(3, 0)
    assert due(time(2, 30), NEW_YORK, first) == utc(2026, 3, 9, 6, 30)


def test_repeated_time_fires_once_at_first_occurrence() -> None:
    first = due(time(1, 30), NEW_YORK, utc(2026, 11, 1, 0))
    assert first == utc(2026, 11, 1, 5, 30)
    assert first.astimezone(NEW_YORK).utcoffset() == timedelta(hours=-4)
    # Not the second 01:30 (06:30 UTC the same day): the next nudge is the next day's.
    assert due(time(1, 30), NEW_YORK, first) == utc(2026, 11, 2, 6, 30)
    assert due(time(1, 30), NEW_YORK, utc(2026, 11, 1, 6, 0)) == utc(2026, 11, 2, 6, 30)


def test_london_repeated_hour_fires_once() -> None:
    first = due(time(1, 30), LONDON, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0, 30)
    assert due(time(1, 30), LONDON, first) == utc(2026, 10, 26, 1, 30)


def test_lord_howe_half_hour_gap() -> None:
    # 2026-10-04 02:00 +10:30 -> 02:30 +11:00: 02:15 does not exist.
    instant = local_instant(date(2026, 10, 4), time(2, 15), LORD_HOWE)
    assert instant == utc(2026, 10, 3, 15, 30)
    assert instant.astimezone(LORD_HOWE).time() == time(2, 30)
    assert local_instant(date(2026, 10, 3), time(2, 15), LORD_HOWE) == utc(2026, 10, 2, 15, 45)
    assert local_instant(date(2026, 10, 5), time(2, 15), LORD_HOWE) == utc(2026, 10, 4, 15, 15)
    assert nudge_day(instant, time(2, 15), LORD_HOWE) == date(2026, 10, 4)


def test_gap_across_midnight_keeps_the_skipped_date() -> None:
    # Samoa skipped 2011-12-30: 23:59:59 on the 29th (-10) was followed by 00:00 on the 31st.
    at = time(9, 0)
    skipped = local_instant(date(2011, 12, 30), at, APIA)
    assert skipped == utc(2011, 12, 30, 10)
    assert skipped.astimezone(APIA).replace(tzinfo=None) == datetime(2011, 12, 31, 0, 0)
    assert nudge_day(skipped, at, APIA) == date(2011, 12, 30)
    following = due(at, APIA, skipped)
    assert following == utc(2011, 12, 30, 19)
    assert nudge_day(following, at, APIA) == date(2011, 12, 31)


# --- far east and far west ------------------------------------------------------------


def test_utc_plus_14_and_minus_11_instants() -> None:
    assert local_instant(date(2026, 6, 15), time(8, 0), KIRITIMATI) == utc(2026, 6, 14, 18)
    assert local_instant(date(2026, 6, 15), time(20, 0), PAGO_PAGO) == utc(2026, 6, 16, 7)


def test_next_due_when_utc_date_differs_from_local_date() -> None:
    # 2026-06-14 23:00 UTC is 06-15 13:00 in Kiritimati: 09:00 has passed locally.
    assert due(time(9, 0), KIRITIMATI, utc(2026, 6, 14, 23)) == utc(2026, 6, 15, 19)
    # 2026-06-14 18:00 UTC is 06-15 08:00 there: 09:00 is still to come, today.
    assert due(time(9, 0), KIRITIMATI, utc(2026, 6, 14, 18)) == utc(2026, 6, 14, 19)
    # 2026-06-15 10:00 UTC is 06-14 23:00 in Pago Pago: the next 07:00 is 06-15's.
    assert due(time(7, 0), PAGO_PAGO, utc(2026, 6, 15, 10)) == utc(2026, 6, 15, 18)
    # 2026-06-16 06:00 UTC is 06-15 19:00 there: 20:00 the same local evening.
    assert due(time(20, 0), PAGO_PAGO, utc(2026, 6, 16, 6)) == utc(2026, 6, 16, 7)


# --- calendar edges -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "zone", "after", "expected"),
    [
        (time(0, 0), LONDON, utc(2026, 1, 31, 0, 0), utc(2026, 2, 1, 0, 0)),
        (time(0, 0), LONDON, utc(2026, 1, 30, 23, 59), utc(2026, 1, 31, 0, 0)),
        (time(23, 59), LONDON, utc(2026, 1, 31, 23, 59), utc(2026, 2, 1, 23, 59)),
        (time(23, 59), ZoneInfo("UTC"), utc(2026, 2, 28, 23, 58), utc(2026, 2, 28, 23, 59)),
        (time(23, 59), ZoneInfo("UTC"), utc(2026, 2, 28, 23, 59), utc(2026, 3, 1, 23, 59)),
        (time(0, 0), ZoneInfo("UTC"), utc(2026, 2, 28, 12), utc(2026, 3, 1, 0, 0)),
        (time(0, 0), NEW_YORK, utc(2026, 12, 31, 5), utc(2027, 1, 1, 5)),
        (time(23, 59), NEW_YORK, utc(2027, 1, 1, 4, 59), utc(2027, 1, 2, 4, 59)),
        (time(23, 59), NEW_YORK, utc(2027, 1, 1, 4, 58), utc(2027, 1, 1, 4, 59)),
    ],
)
def test_midnight_and_month_and_year_ends(
    at: time, zone: ZoneInfo, after: datetime, expected: datetime
) -> None:
    assert due(at, zone, after) == expected


def test_next_due_is_strictly_after() -> None:
    today = local_instant(date(2026, 5, 5), time(7, 30), LONDON)
    assert today == utc(2026, 5, 5, 6, 30)
    assert due(time(7, 30), LONDON, today - timedelta(microseconds=1)) == today
    assert due(time(7, 30), LONDON, today) == utc(2026, 5, 6, 6, 30)


def test_next_due_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due(time(7, 0), LONDON, "every day", datetime(2026, 5, 5, 12))


# --- weekdays -------------------------------------------------------------------------


def test_is_due_day() -> None:
    friday, saturday, sunday, monday = (date(2026, 6, d) for d in (12, 13, 14, 15))
    assert [is_due_day(d, "weekdays") for d in (friday, saturday, sunday, monday)] == [
        True,
        False,
        False,
        True,
    ]
    assert all(is_due_day(d, "every day") for d in (friday, saturday, sunday, monday))
    with pytest.raises(ValueError, match="days must be one of"):
        is_due_day(monday, "weekends")  # type: ignore[arg-type]


def test_weekdays_friday_after_the_time_is_monday() -> None:
    friday_evening = utc(2026, 6, 12, 18)  # London 19:00 BST
    assert due(time(8, 0), LONDON, friday_evening, "weekdays") == utc(2026, 6, 15, 7)
    assert due(time(8, 0), LONDON, friday_evening, "every day") == utc(2026, 6, 13, 7)


def test_weekdays_skips_the_weekend_from_saturday_and_sunday() -> None:
    for after in (utc(2026, 6, 13, 3), utc(2026, 6, 14, 22)):
        assert due(time(8, 0), LONDON, after, "weekdays") == utc(2026, 6, 15, 7)


def test_weekdays_follow_the_local_calendar() -> None:
    # Monday 08:00 in Kiritimati is Sunday 18:00 UTC.
    assert due(time(8, 0), KIRITIMATI, utc(2026, 6, 14, 12), "weekdays") == utc(2026, 6, 14, 18)
    # Friday 20:00 in Pago Pago is Saturday 07:00 UTC; after it, Monday 20:00 local.
    assert due(time(20, 0), PAGO_PAGO, utc(2026, 6, 13, 5), "weekdays") == utc(2026, 6, 13, 7)
    assert due(time(20, 0), PAGO_PAGO, utc(2026, 6, 13, 8), "weekdays") == utc(2026, 6, 16, 7)


def test_weekdays_across_year_end() -> None:
    # 2027-01-01 is a Friday; the next weekday after its 09:00 is Monday 2027-01-04.
    assert due(time(9, 0), LONDON, utc(2026, 12, 31, 10), "weekdays") == utc(2027, 1, 1, 9)
    assert due(time(9, 0), LONDON, utc(2027, 1, 1, 9), "weekdays") == utc(2027, 1, 4, 9)


# --- lateness -------------------------------------------------------------------------


def test_is_too_late_boundaries() -> None:
    slot = utc(2026, 5, 5, 6, 30)
    assert not is_too_late(slot, slot)
    assert not is_too_late(slot, slot + timedelta(hours=1, minutes=59))
    assert not is_too_late(slot, slot + LATE_LIMIT - timedelta(microseconds=1))
    assert is_too_late(slot, slot + timedelta(hours=2))
    assert is_too_late(slot, slot + timedelta(days=3))


# --- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:30", time(7, 30)),
        ("7:30", time(7, 30)),
        ("19:45", time(19, 45)),
        ("00:00", time(0, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("  08:05 \n", time(8, 5)),
        ("7am", time(7, 0)),
        ("7 am", time(7, 0)),
        ("7AM", time(7, 0)),
        ("7:30am", time(7, 30)),
        ("7:30 PM", time(19, 30)),
        ("07:30pm", time(19, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:15am", time(0, 15)),
        ("12:59 pm", time(12, 59)),
        ("11:59pm", time(23, 59)),
        ("1pm", time(13, 0)),
        ("7 a.m.", time(7, 0)),
        ("7:30 p.m.", time(19, 30)),
        ("7:30 P.M", time(19, 30)),
        ("7:30a.m.", time(7, 30)),
    ],
)
def test_parse_time_valid(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:00", "hour must be 0 to 23"),
        ("24:00", "hour must be 0 to 23"),
        ("12:60", "Minutes must be 00 to 59"),
        ("7:99pm", "Minutes must be 00 to 59"),
        ("13pm", "hour must be 1 to 12"),
        ("0am", "hour must be 1 to 12"),
        ("00:30am", "hour must be 1 to 12"),
        ("07:30:00", "without seconds"),
        ("7:30:15pm", "without seconds"),
        ("7", ""),
        ("730", ""),
        ("7:3", ""),
        ("7.30", ""),
        ("-1:00", ""),
        ("123:00", ""),
        ("noon", ""),
        ("7 o'clock", ""),
        ("7:30 xm", ""),
        ("\u0667:\u0663\u0660", ""),  # Arabic-Indic digits
    ],
)
def test_parse_time_invalid(text: str, reason: str) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text)
    message = str(caught.value)
    assert message.startswith(f'I can\'t read "{text}" as a time.')
    assert reason in message
    assert message.endswith("Use 24-hour HH:MM like 07:30 or 19:45, or 12-hour like 7:30am.")


@pytest.mark.parametrize("text", ["", "   "])
def test_parse_time_empty(text: str) -> None:
    with pytest.raises(TimeFormatError, match=r"^No time given\. Use 24-hour HH:MM"):
        parse_time(text)


def test_parse_time_error_truncates_long_input() -> None:
    text = "remind me at half past seven in the morning please"
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text)
    assert '"remind me at half past seven…"' in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_format_time() -> None:
    assert format_time(time(7, 5)) == "07:05"
    assert format_time(time(0, 0)) == "00:00"
    assert format_time(time(23, 59)) == "23:59"


@given(st.builds(time, st.integers(0, 23), st.integers(0, 59)))
def test_format_and_parse_round_trip(at: time) -> None:
    assert parse_time(format_time(at)) == at
    assert format_time(parse_time(format_time(at))) == format_time(at)


# --- topic rotation -------------------------------------------------------------------

TOPICS = [f"posture-{n:02d}" for n in range(35)]


def test_next_topic_visits_every_topic_once_per_cycle() -> None:
    seen: set[str] = set()
    served = []
    for _ in TOPICS:
        topic, new_cycle = next_topic(TOPICS, seen, seed=42)
        assert not new_cycle
        served.append(topic)
        seen.add(topic)
    assert sorted(served) == TOPICS
    topic, new_cycle = next_topic(TOPICS, seen, seed=42)
    assert (topic, new_cycle) == (served[0], True)
    # The new cycle (seen reset to just that topic) walks the same order again.
    assert next_topic(TOPICS, {served[0]}, seed=42) == (served[1], False)


def test_next_topic_order_depends_on_the_seed() -> None:
    def order(seed: int) -> list[str]:
        seen: list[str] = []
        for _ in TOPICS:
            seen.append(next_topic(TOPICS, seen, seed)[0])
        return seen

    orders = {tuple(order(seed)) for seed in (1, 2, 3, 10**18 + 7)}
    assert len(orders) == 4
    assert tuple(TOPICS) not in orders
    assert order(7) == order(7)
    # The order does not depend on the order the knowledge base lists topics in.
    assert next_topic(list(reversed(TOPICS)), [], 7) == next_topic(TOPICS, [], 7)


def test_next_topic_is_stable_across_processes() -> None:
    # Pinned orders: Python's hash() of a str changes from one process to the next.
    topics = ["neck", "shoulders", "hips", "desk", "screen"]

    def order(seed: int) -> list[str]:
        seen: list[str] = []
        for _ in topics:
            seen.append(next_topic(topics, seen, seed)[0])
        return seen

    assert order(1) == ["hips", "screen", "shoulders", "desk", "neck"]
    assert order(123456789) == ["neck", "hips", "shoulders", "screen", "desk"]


def test_next_topic_ignores_stale_seen_ids() -> None:
    topics = ["neck", "shoulders", "hips"]
    seen_all_but_one = {"neck", "shoulders", "retired-topic", "another-gone"}
    assert next_topic(topics, seen_all_but_one, seed=5) == ("hips", False)
    topic, new_cycle = next_topic(topics, {*topics, "retired-topic"}, seed=5)
    assert new_cycle
    assert topic == next_topic(topics, set(), seed=5)[0]


def test_next_topic_with_one_topic_and_none() -> None:
    assert next_topic(["only"], [], seed=9) == ("only", False)
    assert next_topic(["only"], ["only"], seed=9) == ("only", True)
    with pytest.raises(ValueError, match="no topics"):
        next_topic([], [], seed=9)


# --- properties -----------------------------------------------------------------------

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kolkata",
    "America/St_Johns",
    "UTC",
]
# Offsets here change by at most an hour and gaps last at most an hour, so two
# consecutive slots are at most 24 h + 1 h (offset change) + 1 h (gap shift) apart.
SLACK = timedelta(hours=2)

zones = st.sampled_from(ZONES).map(ZoneInfo)
times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
days_choices = st.sampled_from(DAYS_CHOICES)
instants = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    # Near the 2026 changes in New York, London and Lord Howe, where the bugs live.
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(
            [
                utc(2026, 3, 8, 7),
                utc(2026, 11, 1, 6),
                utc(2026, 3, 29, 1),
                utc(2026, 10, 25, 1),
                utc(2026, 10, 3, 15, 30),
                utc(2026, 4, 4, 15),
            ]
        ),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    ),
)


def _check_wall_time(result: datetime, at: time, zone: ZoneInfo) -> None:
    """`result` shows `at` (first occurrence), or is the end of the gap that skipped `at`."""
    wanted = datetime.combine(nudge_day(result, at, zone), at)
    local = result.astimezone(zone)
    exists = wanted.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if exists == wanted:
        assert local.replace(tzinfo=None) == wanted
        assert local.fold == 0
    else:
        just_before = (result - timedelta(seconds=1)).astimezone(zone)
        assert just_before.replace(tzinfo=None) < wanted < local.replace(tzinfo=None)
        assert just_before.utcoffset() != local.utcoffset()


@given(zones, times, days_choices, instants)
@example(NEW_YORK, time(2, 30), "every day", utc(2026, 3, 7, 12))
@example(LORD_HOWE, time(2, 15), "weekdays", utc(2026, 10, 2, 12))
@example(NEW_YORK, time(1, 30), "every day", utc(2026, 11, 1, 5, 30))
def test_next_due_properties(zone: ZoneInfo, at: time, days: Days, after: datetime) -> None:
    result = next_due(at, zone, days, after)
    assert result.tzinfo is UTC
    assert result > after
    limit = timedelta(days=1) if days == "every day" else timedelta(days=3)
    assert result - after <= limit + SLACK
    assert is_due_day(nudge_day(result, at, zone), days)
    _check_wall_time(result, at, zone)


@given(zones, times, days_choices, instants)
@example(NEW_YORK, time(1, 30), "every day", utc(2026, 10, 30, 12))
@example(LONDON, time(1, 30), "weekdays", utc(2026, 3, 26, 12))
def test_repeated_next_due_gives_each_due_day_once(
    zone: ZoneInfo, at: time, days: Days, after: datetime
) -> None:
    instants = [next_due(at, zone, days, after)]
    for _ in range(9):
        instants.append(next_due(at, zone, days, instants[-1]))
    nudge_days = [nudge_day(i, at, zone) for i in instants]
    local_dates = [i.astimezone(zone).date() for i in instants]
    assert local_dates == nudge_days  # no gap crosses midnight in these zones
    assert len(set(nudge_days)) == len(nudge_days)

    # Consecutive results are consecutive due days: none skipped, none repeated.
    for earlier, later in pairwise(nudge_days):
        between = [earlier + timedelta(days=n) for n in range(1, (later - earlier).days)]
        assert later > earlier
        assert is_due_day(later, days)
        assert not any(is_due_day(d, days) for d in between)

    # And the due day before the first result had its slot at or before `after`.
    previous = nudge_days[0] - timedelta(days=1)
    while not is_due_day(previous, days):
        previous -= timedelta(days=1)
    assert local_instant(previous, at, zone) <= after
