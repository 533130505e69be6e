"""The loader reports every knowledge-base problem as `path:line: message`.

Each test writes a small YAML tree with the `write_files` fixture and checks the file,
the line a coach has to fix and a recognisable part of the message. Line numbers are
looked up in the same text that was written (`line_of`), so each test shows which line
it expects without counting by hand.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.features.knowledge.loader import KnowledgeBaseError, KnowledgeError, load_knowledge
from bot.features.knowledge.model import KnowledgeBase
from tests.conftest import MINIMAL_EXERCISE, MINIMAL_SOURCES, SHIPPED_KNOWLEDGE, WriteFiles

OVERVIEW = """
overview:
  title: Why it hurts
  body: Your lower back takes over when the brace is loose.
  see_a_professional: [Pain that spreads down a leg.]
  source: [coach]
"""

SITUATION = """
situations:
  - id: after-squats
    title: Lower back pain after squats
    happening: The lower back compensates.
    mistakes:
      - mistake: Not bracing
        fix: Brace before every rep.
    see_a_professional: [Numbness in a leg.]
    related_exercises: [barbell-row]
    source: [coach]
"""

# An exercise entry without the `exercises:` header, to append to MINIMAL_EXERCISE.
SECOND_ROW = MINIMAL_EXERCISE.replace("exercises:\n", "", 1)


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Error paths are shown relative to the working directory: `knowledge/x.yaml`."""
    monkeypatch.chdir(tmp_path)


def as_written(text: str) -> str:
    """The text exactly as `write_files` stores it."""
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line of `text` (as written) containing `needle`."""
    hits = [n for n, line in enumerate(as_written(text).splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} time(s)"
    return hits[occurrence - 1]


def load_errors(directory: Path) -> list[KnowledgeError]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge(directory)
    errors = info.value.errors
    assert errors, "KnowledgeBaseError without errors"
    assert info.value.lines() == [f"{e.path}:{e.line}: {e.message}" for e in errors]
    return errors


def only_error(directory: Path) -> KnowledgeError:
    errors = load_errors(directory)
    assert len(errors) == 1, "\n".join(str(e) for e in errors)
    return errors[0]


def error_matching(errors: list[KnowledgeError], fragment: str) -> KnowledgeError:
    found = [e for e in errors if fragment in e.message]
    assert len(found) == 1, f"{fragment!r} in:\n" + "\n".join(str(e) for e in errors)
    return found[0]


def exercise_with(**replacements: str) -> str:
    """MINIMAL_EXERCISE with some lines replaced: exercise_with(old="new")."""
    text = MINIMAL_EXERCISE
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


# --- YAML-level problems -------------------------------------------------------------


def test_yaml_syntax_error_points_at_the_broken_line(write_files: WriteFiles) -> None:
    text = """
    sources:
      - id: coach
      title: misaligned key
        kind: article
    """
    error = only_error(write_files({"sources.yaml": text}))
    assert error.path == "knowledge/sources.yaml"
    assert error.line == line_of(text, "title: misaligned") == 3
    assert error.message.startswith("YAML syntax error:")


def test_tab_indentation_is_a_syntax_error_on_its_line(write_files: WriteFiles) -> None:
    error = only_error(write_files({"a.yaml": "sources:\n\t- id: coach\n"}))
    assert (error.path, error.line) == ("knowledge/a.yaml", 2)
    assert "YAML syntax error" in error.message
    assert "tab" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(write_files: WriteFiles, text: str) -> None:
    error = only_error(write_files({"empty.yaml": text}))
    assert (error.path, error.line, error.message) == ("knowledge/empty.yaml", 1, "file is empty")


@pytest.mark.parametrize(
    ("text", "line"),
    [("- exercises\n- sources\n", 1), ("just a sentence\n", 1), ("# intro\n\n42\n", 3)],
)
def test_top_level_must_be_a_mapping(write_files: WriteFiles, text: str, line: int) -> None:
    error = only_error(write_files({"top.yaml": text}))
    assert (error.path, error.line) == ("knowledge/top.yaml", line)
    assert "top level must be a mapping" in error.message


def test_safe_loader_refuses_python_tags(write_files: WriteFiles, tmp_path: Path) -> None:
    marker = tmp_path / "created-by-yaml"
    text = MINIMAL_SOURCES + f"extra: !!python/object/apply:builtins.open ['{marker}', 'w']\n"
    error = only_error(write_files({"sources.yaml": text}))
    assert error.path == "knowledge/sources.yaml"
    assert error.line == line_of(text, "!!python/object")
    assert "could not determine a constructor" in error.message
    assert "python/object" in error.message
    assert not marker.exists(), "the YAML tag ran code"


def test_python_object_tag_on_a_section_is_refused(write_files: WriteFiles) -> None:
    error = only_error(write_files({"a.yaml": "sources: !!python/object:builtins.dict {}\n"}))
    assert (error.path, error.line) == ("knowledge/a.yaml", 1)
    assert "python/object:builtins.dict" in error.message


# --- Schema problems -----------------------------------------------------------------


def test_unknown_key_points_at_the_key_and_suggests_the_right_one(
    write_files: WriteFiles,
) -> None:
    text = exercise_with(**{"    cues:": "    cuse:"})
    errors = load_errors(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    typo = error_matching(errors, "unknown key 'cuse'")
    assert (typo.path, typo.line) == ("knowledge/rows.yaml", line_of(text, "cuse:"))
    assert "did you mean 'cues'?" in typo.message
    # The real key is then missing; that is reported at the entry.
    missing = error_matching(errors, "missing required key 'cues'")
    assert missing.line == line_of(text, "- id: barbell-row")


def test_unknown_key_inside_a_mistake_suggests_fix(write_files: WriteFiles) -> None:
    text = exercise_with(**{"fix: Use less weight.": "fixx: Use less weight."})
    errors = load_errors(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    typo = error_matching(errors, "unknown key 'fixx'")
    assert typo.line == line_of(text, "fixx:")
    assert "did you mean 'fix'?" in typo.message


def test_unknown_top_level_section(write_files: WriteFiles) -> None:
    text = MINIMAL_SOURCES + "exercize: []\n"
    error = only_error(write_files({"sources.yaml": text}))
    assert (error.path, error.line) == ("knowledge/sources.yaml", line_of(text, "exercize:"))
    assert error.message == "unknown key 'exercize' (did you mean 'exercises'?)"


def test_unknown_key_without_a_close_match_has_no_suggestion(write_files: WriteFiles) -> None:
    text = MINIMAL_SOURCES + "zzzzzz: 1\n"
    error = only_error(write_files({"sources.yaml": text}))
    assert error.message == "unknown key 'zzzzzz'"


def test_missing_required_key_points_at_the_entry(write_files: WriteFiles) -> None:
    text = exercise_with(**{"    feel_it: Mid-back.\n": ""})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert error.path == "knowledge/rows.yaml"
    assert error.line == line_of(text, "- id: barbell-row") == 2
    assert error.message == "missing required key 'feel_it'"


def test_missing_key_in_a_later_entry_points_at_that_entry(write_files: WriteFiles) -> None:
    second = SECOND_ROW.replace("barbell-row", "dumbbell-row").replace("Barbell row", "DB row")
    second = second.replace("[rows]", "[one arm row]").replace("    trains: Back thickness.\n", "")
    text = MINIMAL_EXERCISE + second
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert error.line == line_of(text, "- id: dumbbell-row")
    assert error.message == "missing required key 'trains'"


def test_too_long_cue_points_at_that_list_item(write_files: WriteFiles) -> None:
    long_cue = "Pull " + "x" * 296  # 301 characters
    cues = f"    cues:\n      - Short cue.\n      - {long_cue}\n"
    text = exercise_with(**{"    cues: [Pull to the ribs.]\n": cues})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert error.path == "knowledge/rows.yaml"
    assert error.line == line_of(text, long_cue)
    assert "exercises.0.cues.1" in error.message
    assert "at most 300 characters" in error.message


def test_a_300_character_cue_is_allowed(write_files: WriteFiles) -> None:
    cue = "x" * 300
    text = exercise_with(**{"cues: [Pull to the ribs.]": f"cues: [{cue}]"})
    kb = load_knowledge(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert kb.exercises["barbell-row"].cues == [cue]


@pytest.mark.parametrize("bad_id", ["Barbell-Row", "barbell_row", "barbell--row", "-row", "row-"])
def test_invalid_id_pattern(write_files: WriteFiles, bad_id: str) -> None:
    text = exercise_with(**{"id: barbell-row": f"id: {bad_id}"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert (error.path, error.line) == ("knowledge/rows.yaml", line_of(text, f"id: {bad_id}"))
    assert error.message == (
        "exercises.0.id: ids are lowercase words joined by hyphens, e.g. 'barbell-row'"
    )


def test_invalid_id_in_a_source_reference(write_files: WriteFiles) -> None:
    text = exercise_with(**{"    source: [coach]": "    source:\n      - Coach Notes"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert error.line == line_of(text, "- Coach Notes")
    assert error.message.startswith("exercises.0.source.0: ids are lowercase words")


def test_string_where_a_list_is_expected(write_files: WriteFiles) -> None:
    text = exercise_with(**{"muscles: [lats]": "muscles: lats"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert (error.path, error.line) == ("knowledge/rows.yaml", line_of(text, "muscles: lats"))
    assert error.message == "exercises.0.muscles: Input should be a valid list"


def test_value_outside_an_allowed_set(write_files: WriteFiles) -> None:
    text = exercise_with(**{"pattern: horizontal pull": "pattern: sideways pull"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert error.line == line_of(text, "pattern: sideways pull")
    assert error.message.startswith("exercises.0.pattern: Input should be")
    assert "'horizontal pull'" in error.message


def test_duplicate_key_in_one_mapping_reports_the_second_and_names_the_first(
    write_files: WriteFiles,
) -> None:
    text = exercise_with(
        **{"    feel_it: Mid-back.\n": "    feel_it: Mid-back.\n    feel_it: Lats.\n"}
    )
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    first, second = line_of(text, "feel_it:", 1), line_of(text, "feel_it:", 2)
    assert (error.path, error.line) == ("knowledge/rows.yaml", second)
    assert error.message == f"duplicate key 'feel_it' (first on line {first})"


def test_merge_key_overrides_are_not_duplicates(write_files: WriteFiles) -> None:
    text = MINIMAL_EXERCISE.replace("  - id: barbell-row", "  - &row\n    id: barbell-row") + (
        "  - <<: *row\n    id: pendlay-row\n    name: Pendlay row\n    aliases: [pendlay]\n"
    )
    kb = load_knowledge(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert kb.exercises["pendlay-row"].cues == kb.exercises["barbell-row"].cues
    assert kb.origins["exercise:pendlay-row"].line == line_of(text, "id: pendlay-row")


def test_anchors_and_aliases_are_allowed(write_files: WriteFiles) -> None:
    first = MINIMAL_EXERCISE.replace("source: [coach]", "source: &src [coach]")
    second = (
        SECOND_ROW.replace("barbell-row", "pendlay-row")
        .replace("Barbell row", "Pendlay row")
        .replace("[rows]", "[pendlay]")
        .replace("[coach]", "*src")
    )
    kb = load_knowledge(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": first + second}))
    assert kb.exercises["pendlay-row"].source == ["coach"]


def test_recursive_alias_is_an_error_not_a_crash(write_files: WriteFiles) -> None:
    text = exercise_with(**{"muscles: [lats]": "muscles: &m [lats, *m]"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    assert (error.path, error.line) == ("knowledge/rows.yaml", line_of(text, "muscles:"))
    assert error.message.startswith("exercises.0.muscles.1: ")


def test_duplicate_top_level_section(write_files: WriteFiles) -> None:
    text = MINIMAL_SOURCES + MINIMAL_SOURCES.replace("id: coach", "id: other")
    error = only_error(write_files({"sources.yaml": text}))
    first, second = line_of(text, "sources:", 1), line_of(text, "sources:", 2)
    assert error.line == second
    assert error.message == f"duplicate key 'sources' (first on line {first})"


# --- Cross-entry and cross-file problems ---------------------------------------------


def test_duplicate_id_within_one_file(write_files: WriteFiles) -> None:
    text = MINIMAL_EXERCISE + SECOND_ROW.replace("[rows]", "[bent over row]")
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "rows.yaml": text}))
    first = line_of(text, "id: barbell-row", 1)
    assert (error.path, error.line) == ("knowledge/rows.yaml", line_of(text, "id: barbell-row", 2))
    assert error.message == (
        f"duplicate exercise id 'barbell-row' (first at knowledge/rows.yaml:{first})"
    )


def test_duplicate_id_across_two_files(write_files: WriteFiles) -> None:
    directory = write_files(
        {"sources.yaml": MINIMAL_SOURCES, "a.yaml": MINIMAL_EXERCISE, "b.yaml": MINIMAL_EXERCISE}
    )
    error = only_error(directory)
    assert (error.path, error.line) == ("knowledge/b.yaml", 2)
    assert error.message == "duplicate exercise id 'barbell-row' (first at knowledge/a.yaml:2)"


def test_the_same_id_in_different_sections_is_fine(write_files: WriteFiles) -> None:
    topic = """
    posture_topics:
      - id: barbell-row
        title: Row with a flat back
        text: Keep the back flat while you row.
        source: [coach]
    """
    kb = load_knowledge(
        write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": MINIMAL_EXERCISE, "p.yaml": topic})
    )
    assert set(kb.exercises) == set(kb.posture_topics) == {"barbell-row"}


def test_alias_collision_after_normalisation(write_files: WriteFiles) -> None:
    pull_up = (
        MINIMAL_EXERCISE.replace("barbell-row", "pull-up")
        .replace("Barbell row", "Pull-up")
        .replace("[rows]", "[chin-up]")
    )
    text = pull_up + SECOND_ROW.replace("[rows]", "[pull up]")
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert (error.path, error.line) == ("knowledge/e.yaml", line_of(text, "id: barbell-row"))
    assert error.message == (
        "exercise 'barbell-row': name or alias 'pull up' is already used by 'pull-up'"
    )


def test_alias_equal_to_its_own_name_is_fine(write_files: WriteFiles) -> None:
    text = exercise_with(**{"aliases: [rows]": "aliases: [rows, barbell row, Barbell-Row]"})
    kb = load_knowledge(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert "barbell-row" in kb.exercises


def test_alias_without_letters_or_digits(write_files: WriteFiles) -> None:
    text = exercise_with(**{"aliases: [rows]": "aliases: [rows, '--']"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert error.line == line_of(text, "id: barbell-row")
    assert error.message == "'--' has no letters or digits"


def test_unknown_source_reference(write_files: WriteFiles) -> None:
    text = exercise_with(**{"source: [coach]": "source: [coach, podcast-42]"})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert (error.path, error.line) == ("knowledge/e.yaml", line_of(text, "id: barbell-row"))
    assert error.message == "unknown source 'podcast-42' (known: coach)"


def test_unknown_source_when_no_sources_are_defined(write_files: WriteFiles) -> None:
    error = only_error(write_files({"e.yaml": MINIMAL_EXERCISE}))
    assert error.message == "unknown source 'coach' (known: none defined)"


def test_related_exercise_that_does_not_exist_suggests_the_closest(
    write_files: WriteFiles,
) -> None:
    situation = SITUATION.replace("[barbell-row]", "[barbel-row]")
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "exercises.yaml": MINIMAL_EXERCISE,
            "pain.yaml": situation,
        }
    )
    error = only_error(directory)
    assert (error.path, error.line) == ("knowledge/pain.yaml", line_of(situation, "id: after"))
    assert error.message == (
        "situation 'after-squats': related exercise 'barbel-row' does not exist "
        "(did you mean 'barbell-row'?)"
    )


def test_two_overviews_in_two_files(write_files: WriteFiles) -> None:
    directory = write_files(
        {"a-overview.yaml": OVERVIEW, "b-sources.yaml": MINIMAL_SOURCES + OVERVIEW}
    )
    error = only_error(directory)
    second = line_of(MINIMAL_SOURCES + OVERVIEW, "overview:")
    assert (error.path, error.line) == ("knowledge/b-sources.yaml", second)
    assert error.message == "a second 'overview' (first at knowledge/a-overview.yaml:1)"


def test_situations_without_an_overview(write_files: WriteFiles) -> None:
    directory = write_files(
        {"sources.yaml": MINIMAL_SOURCES, "e.yaml": MINIMAL_EXERCISE, "pain.yaml": SITUATION}
    )
    error = only_error(directory)
    assert (error.path, error.line) == ("knowledge", 0)
    assert error.message == "situations are defined but no 'overview:' section is"


def test_a_valid_tree_with_every_section_loads(write_files: WriteFiles) -> None:
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "exercises.yaml": MINIMAL_EXERCISE,
            "pain.yaml": SITUATION,
        }
    )
    kb = load_knowledge(directory)
    assert kb.counts() == "1 exercises, 1 situations, 0 posture topics"
    assert str(kb.origins["exercise:barbell-row"]) == "knowledge/exercises.yaml:2"
    assert str(kb.origins["situation:after-squats"]) == "knowledge/pain.yaml:2"


# --- Rendered size -------------------------------------------------------------------


def test_a_field_over_discords_1024_limit_is_an_error_naming_the_field(
    write_files: WriteFiles,
) -> None:
    setup = "".join(f"      - Step {n} " + "x" * 293 + "\n" for n in range(8))  # 8 x 300 chars
    text = exercise_with(**{"    setup: [Hinge over the bar.]\n": "    setup:\n" + setup})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert (error.path, error.line) == ("knowledge/e.yaml", line_of(text, "id: barbell-row"))
    assert error.message.startswith("exercise:barbell-row: field 'Setup' is ")
    assert error.message.endswith("characters, over Discord's 1,024")


def test_an_embed_over_discords_6000_total_is_an_error(write_files: WriteFiles) -> None:
    """Six mistakes at their per-item maximum: every field fits, the whole embed does not."""
    mistakes = "".join(
        f"      - mistake: M{n}{'m' * 198}\n        fix: F{n}{'f' * 998}\n" for n in range(6)
    )
    text = exercise_with(**{"      - mistake: Heaving\n        fix: Use less weight.\n": mistakes})
    error = only_error(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert (error.path, error.line) == ("knowledge/e.yaml", line_of(text, "id: barbell-row"))
    assert re.fullmatch(
        r"exercise:barbell-row: embed totals [\d,]+ characters, over Discord's 6,000",
        error.message,
    )


# --- Files and folders ---------------------------------------------------------------


def test_missing_knowledge_directory(tmp_path: Path) -> None:
    error = only_error(tmp_path / "no-such-folder")
    assert (error.path, error.line) == ("no-such-folder", 0)
    assert error.message == "knowledge directory does not exist (KNOWLEDGE_DIR)"


def test_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    (tmp_path / "knowledge.yaml").write_text(MINIMAL_SOURCES, encoding="utf-8")
    error = only_error(tmp_path / "knowledge.yaml")
    assert "does not exist" in error.message


def test_directory_without_yaml_files(write_files: WriteFiles) -> None:
    directory = write_files({"README.md": "# notes\n", "exercises.json": "{}"})
    error = only_error(directory)
    assert (error.path, error.line, error.message) == ("knowledge", 0, "no .yaml files found")


def test_a_file_that_is_not_utf8(write_files: WriteFiles) -> None:
    directory = write_files({"sources.yaml": MINIMAL_SOURCES})
    (directory / "latin1.yaml").write_bytes("sources: []  # Rücken\n".encode("latin-1"))
    error = only_error(directory)
    assert (error.path, error.line) == ("knowledge/latin1.yaml", 1)
    assert error.message.startswith("cannot read file: ")


def test_yml_extension_and_nested_folders_are_loaded(write_files: WriteFiles) -> None:
    directory = write_files(
        {
            "sources.yml": MINIMAL_SOURCES,
            "back/pulls/rows.yaml": MINIMAL_EXERCISE,
            "back/notes.txt": "exercises: this is not YAML we read",
        }
    )
    kb = load_knowledge(directory)
    assert set(kb.sources) == {"coach"}
    assert set(kb.exercises) == {"barbell-row"}
    assert str(kb.origins["exercise:barbell-row"]) == "knowledge/back/pulls/rows.yaml:2"


def test_errors_in_nested_files_name_the_nested_path(write_files: WriteFiles) -> None:
    text = exercise_with(**{"muscles: [lats]": "muscles: lats"})
    error = only_error(write_files({"sources.yml": MINIMAL_SOURCES, "back/rows.yml": text}))
    assert (error.path, error.line) == ("knowledge/back/rows.yml", line_of(text, "muscles:"))


def test_every_error_in_every_file_is_reported_sorted_by_path_then_line(
    write_files: WriteFiles,
) -> None:
    broken_exercise = exercise_with(
        **{"muscles: [lats]": "muscles: lats", "    cues:": "    cuse:"}
    )
    directory = write_files(
        {
            "c.yaml": broken_exercise,
            "b.yaml": MINIMAL_SOURCES + "bogus: 1\n",
            "a.yaml": "sources: [\n",
            "sub/d.yaml": "",
        }
    )
    errors = load_errors(directory)
    found = [(e.path, e.line) for e in errors]
    assert found == [
        ("knowledge/a.yaml", 2),
        ("knowledge/b.yaml", line_of(MINIMAL_SOURCES, "kind:") + 1),
        ("knowledge/c.yaml", line_of(broken_exercise, "id: barbell-row")),
        ("knowledge/c.yaml", line_of(broken_exercise, "muscles: lats")),
        ("knowledge/c.yaml", line_of(broken_exercise, "cuse:")),
        ("knowledge/sub/d.yaml", 1),
    ]
    assert found == sorted(found)
    messages = [e.message for e in errors]
    assert messages[0].startswith("YAML syntax error")
    assert messages[1] == "unknown key 'bogus'"
    assert messages[2] == "missing required key 'cues'"
    assert messages[3] == "exercises.0.muscles: Input should be a valid list"
    assert messages[4] == "unknown key 'cuse' (did you mean 'cues'?)"
    assert messages[5] == "file is empty"


def test_errors_in_separate_passes_are_reported_together(write_files: WriteFiles) -> None:
    """A duplicate id (merge), an unknown source (references) and an alias clash (names)."""
    dup = SECOND_ROW.replace("[rows]", "[bent row]")
    other = (
        SECOND_ROW.replace("barbell-row", "dumbbell-row")
        .replace("Barbell row", "Dumbbell row")
        .replace("source: [coach]", "source: [nobody]")
    )
    text = MINIMAL_EXERCISE + dup + other
    errors = load_errors(write_files({"sources.yaml": MINIMAL_SOURCES, "e.yaml": text}))
    assert [e.line for e in errors] == sorted(e.line for e in errors)
    error_matching(errors, "duplicate exercise id 'barbell-row'")
    error_matching(errors, "alias 'rows' is already used by 'barbell-row'")
    error_matching(errors, "unknown source 'nobody'")


def test_error_string_format() -> None:
    error = KnowledgeError("knowledge/exercises.yaml", 12, "unknown key 'cuse'")
    assert str(error) == "knowledge/exercises.yaml:12: unknown key 'cuse'"
    exc = KnowledgeBaseError([error, error])
    assert str(exc) == "2 error(s) in the knowledge base"
    assert exc.lines() == [str(error), str(error)]


# --- The shipped knowledge base ------------------------------------------------------

REQUIRED_EXERCISES = {
    "pull-up",
    "assisted-pull-up",
    "barbell-row",
    "dumbbell-row",
    "face-pull",
    "lat-pulldown",
    "deadlift",
    "rack-pull",
    "reverse-fly",
    "roll-up",
    "band-chest-opener",
    "band-pull-down",
    "shoulder-blade-glide",
    "squat",
    "romanian-deadlift",
    "chin-up",
    "seated-cable-row",
    "chest-supported-row",
    "inverted-row",
    "back-extension",
    "good-morning",
    "bird-dog",
    "dead-bug",
    "side-plank",
    "pallof-press",
    "farmer-carry",
    "straight-arm-pulldown",
    "band-pull-apart",
    "mcgill-curl-up",
    "hip-hinge-drill",
}
REQUIRED_SITUATIONS = {
    "after-squats",
    "neglected-back",
    "desk-sitting",
    "neck-shoulder-tension",
    "after-deadlifts",
    "mid-back-pain",
    "soreness-or-injury",
    "returning-after-a-tweak",
}
PROMOTION = ("http", "www.", "affiliate", "elevaterope", "shop", "buy ")


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    """Loaded here rather than through the session fixture: this is the no-errors check."""
    return load_knowledge(SHIPPED_KNOWLEDGE)


def test_shipped_knowledge_loads_without_errors(shipped: KnowledgeBase) -> None:
    assert shipped.exercises and shipped.situations and shipped.posture_topics


def test_shipped_exercises(shipped: KnowledgeBase) -> None:
    assert set(shipped.exercises) >= REQUIRED_EXERCISES
    assert len(REQUIRED_EXERCISES) == 30


def test_shipped_situations(shipped: KnowledgeBase) -> None:
    assert set(shipped.situations) >= REQUIRED_SITUATIONS
    assert len(shipped.situations["after-squats"].mistakes) == 5
    assert len(shipped.situations["neglected-back"].mistakes) == 3
    assert set(shipped.situations["after-squats"].related_exercises) >= {"squat", "bird-dog"}
    for situation in shipped.situations.values():
        # A sore back is pointed to gentle core and hinge work, not heavier spinal loading.
        assert not {"deadlift", "rack-pull"} & set(situation.related_exercises), situation.id


def test_shipped_overview(shipped: KnowledgeBase) -> None:
    assert shipped.overview is not None
    assert shipped.overview.see_a_professional


def test_shipped_posture_topics(shipped: KnowledgeBase) -> None:
    topics = list(shipped.posture_topics.values())
    assert len(topics) >= 30
    assert all(len(t.text) <= 300 for t in topics)
    flattened = [" ".join(t.text.casefold().split()) for t in topics]
    assert len(set(flattened)) == len(flattened), "two posture topics say the same thing"


def test_every_shipped_entry_names_a_known_source(shipped: KnowledgeBase) -> None:
    assert shipped.overview is not None
    entries = [
        *shipped.exercises.values(),
        *shipped.situations.values(),
        *shipped.posture_topics.values(),
        shipped.overview,
    ]
    for entry in entries:
        assert entry.source, entry
        assert set(entry.source) <= set(shipped.sources), entry


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SHIPPED_KNOWLEDGE.rglob("*") if p.is_file()),
    ids=lambda p: p.name,
)
def test_shipped_knowledge_promotes_no_products(path: Path) -> None:
    text = path.read_text(encoding="utf-8").casefold()
    found = [word for word in PROMOTION if word in text]
    assert not found, f"{path.name} contains {found}"
