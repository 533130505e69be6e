"""Search: names, aliases and typos resolve; autocomplete fits Discord; /ask ranks sensibly."""

from __future__ import annotations

import pytest

from bot.core.fuzzy import AUTOCOMPLETE_LIMIT, CHOICE_TEXT_LIMIT, NamedEntry, NameIndex
from bot.features.knowledge.store import Knowledge


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("rows", "barbell-row"),
        ("Row", "barbell-row"),
        ("pullup", "pull-up"),
        ("pull up", "pull-up"),
        ("Pull-Ups", "pull-up"),
        ("lat pull down", "lat-pulldown"),
        ("lat pulldowns", "lat-pulldown"),
        ("dedlift", "deadlift"),
        ("deadlifts", "deadlift"),
        ("db row", "dumbbell-row"),
        ("face pulls", "face-pull"),
        ("reverse flies", "reverse-fly"),
        ("squats", "squat"),
        ("barbell-row", "barbell-row"),
    ],
)
def test_exercise_names_aliases_and_typos_resolve(
    knowledge: Knowledge, typed: str, expected: str
) -> None:
    assert knowledge.index.exercises.resolve(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "bench press", "zzzz", "!!!"])
def test_unknown_names_do_not_resolve(knowledge: Knowledge, typed: str) -> None:
    assert knowledge.index.exercises.resolve(typed) is None


def test_ambiguous_typo_is_not_guessed() -> None:
    index = NameIndex([NamedEntry("a", "Cable row"), NamedEntry("b", "Cable raw")])
    assert index.resolve("cable rxw") is None


@pytest.mark.parametrize(
    ("typed", "expected_first"),
    [("pul", "pull-up"), ("lat", "lat-pulldown"), ("rows", "barbell-row"), ("dead", "deadlift")],
)
def test_autocomplete_puts_prefix_matches_first(
    knowledge: Knowledge, typed: str, expected_first: str
) -> None:
    assert knowledge.index.exercises.complete(typed)[0].value == expected_first


def test_autocomplete_finds_inner_words_and_typos(knowledge: Knowledge) -> None:
    assert "lat-pulldown" in [c.value for c in knowledge.index.exercises.complete("pulldown")]
    assert "deadlift" in [c.value for c in knowledge.index.exercises.complete("daedlift")]


def test_autocomplete_shows_the_alias_that_matched(knowledge: Knowledge) -> None:
    first = knowledge.index.exercises.complete("bent over")[0]
    assert first.value == "barbell-row"
    assert "bent over" in first.label.lower()


def test_empty_autocomplete_lists_entries_alphabetically(knowledge: Knowledge) -> None:
    choices = knowledge.index.exercises.complete("")
    labels = [c.label for c in choices]
    assert labels == sorted(labels, key=str.casefold)
    assert len(choices) == min(AUTOCOMPLETE_LIMIT, len(knowledge.base.exercises))


def test_autocomplete_respects_discord_limits() -> None:
    entries = [
        NamedEntry(f"exercise-{n}", f"Exercise {n} " + "x" * 120, [f"alias {n}"]) for n in range(60)
    ]
    index = NameIndex(entries)
    for typed in ["", "e", "exercise", "alias", "exercise 1"]:
        choices = index.complete(typed)
        assert len(choices) <= AUTOCOMPLETE_LIMIT
        assert len({c.value for c in choices}) == len(choices)
        for choice in choices:
            assert 1 <= len(choice.label) <= CHOICE_TEXT_LIMIT
            assert len(choice.value) <= CHOICE_TEXT_LIMIT


def test_suggestions_offer_close_names(knowledge: Knowledge) -> None:
    assert "barbell-row" in knowledge.index.exercises.suggest("barbel rowz")
    assert len(knowledge.index.exercises.suggest("anything at all")) <= 5


def test_situations_have_their_own_index(knowledge: Knowledge) -> None:
    assert knowledge.index.situations.resolve("leg day") == "after-squats"
    assert knowledge.index.situations.resolve("deadlift") is None


@pytest.mark.parametrize(
    ("question", "kind", "entry_id"),
    [
        ("lower back hurts after leg day", "situation", "after-squats"),
        ("how do I stop slouching at my desk", "situation", "desk-sitting"),
        ("how do i do a pullup", "exercise", "pull-up"),
        ("my neck and shoulders are tense", "situation", "neck-shoulder-tension"),
        ("barbel row cues", "exercise", "barbell-row"),
    ],
)
def test_ask_ranks_the_obvious_entry_first(
    knowledge: Knowledge, question: str, kind: str, entry_id: str
) -> None:
    top = knowledge.index.text.search(question, 5)[0]
    assert (top.document.kind, top.document.id) == (kind, entry_id)


def test_ask_finds_nothing_for_unrelated_words(knowledge: Knowledge) -> None:
    assert knowledge.index.text.search("quantum chromodynamics", 5) == []


def test_ask_snippet_is_the_best_matching_passage(knowledge: Knowledge) -> None:
    hit = knowledge.index.text.search("should I warm up before squatting", 5)
    squat_hits = [h for h in hit if h.document.id == "after-squats"]
    assert squat_hits
    assert squat_hits[0].snippet is not None
    assert "warm" in squat_hits[0].snippet.text.lower() + squat_hits[0].snippet.label.lower()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("ull-up", "pull-up"), ("eadlift", "deadlift"), ("arbell row", "barbell-row")],
)
def test_a_dropped_first_letter_still_resolves(
    knowledge: Knowledge, typed: str, expected: str
) -> None:
    assert knowledge.index.exercises.resolve(typed) == expected
