"""One mistake is reported once, first, with the errors it causes grouped under it.

A file that does not load (a tab, a typo'd key) drops every entry in it, so every
reference to those entries fails too. Those consequences are not listed as errors of
their own: they hang off the root error (`KnowledgeError.consequences`), and
`KnowledgeBaseError.lines()` prints one indented summary line under it. Root causes
come before all other errors, whatever their paths.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.features.knowledge.loader import KnowledgeBaseError, KnowledgeError, load_knowledge
from tests.conftest import MINIMAL_EXERCISE, MINIMAL_SOURCES, REPO_ROOT, WriteFiles

OVERVIEW = """
overview:
  title: Why it hurts
  body: Your lower back takes over when the brace is loose.
  see_a_professional: [Pain that spreads down a leg.]
  source: [coach]
"""

SUMMARY_PREFIX = "  (+ "


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Error paths are shown relative to the working directory: `knowledge/x.yaml`."""
    monkeypatch.chdir(tmp_path)


def raised(directory: Path) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge(directory)
    return info.value


def exercise(entry_id: str, **replacements: str) -> str:
    """One exercise entry (no section header) with its own id, name and no aliases."""
    text = MINIMAL_EXERCISE.replace("exercises:\n", "", 1).lstrip("\n")
    text = text.replace("barbell-row", entry_id).replace("Barbell row", f"Exercise {entry_id}")
    text = text.replace("aliases: [rows]", "aliases: []")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


def situation(entry_id: str, related: list[str], source: str = "coach") -> str:
    """One situation entry (no section header)."""
    return textwrap.dedent(
        f"""
          - id: {entry_id}
            title: Pain {entry_id}
            happening: The lower back compensates.
            mistakes:
              - mistake: Not bracing
                fix: Brace before every rep.
            see_a_professional: [Numbness in a leg.]
            related_exercises: [{", ".join(related)}]
            source: [{source}]
        """
    ).lstrip("\n")


def lines_with(text: str, needle: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line]


# --- A file that does not parse ------------------------------------------------------


def test_one_tab_is_reported_first_and_hides_the_twenty_references_it_breaks(
    write_files: WriteFiles,
) -> None:
    ids = [f"ex-{n}" for n in range(20)]
    exercises = "exercises:\n" + "".join(
        exercise(i, **({"    feel_it:": "\tfeel_it:"} if i == "ex-7" else {})) for i in ids
    )
    situations = "situations:\n" + "".join(situation(f"pain-{i}", [i]) for i in ids)
    # `back-pain.yaml` sorts before `exercises.yaml`: by path alone, the twenty
    # "does not exist" errors would come first and bury the tab.
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "back-pain.yaml": situations,
            "exercises.yaml": exercises,
        }
    )
    exc = raised(directory)
    (tab_line,) = lines_with(exercises, "\t")
    (root,) = exc.errors
    assert (root.path, root.line) == ("knowledge/exercises.yaml", tab_line)
    assert root.message.startswith("YAML syntax error: ")
    assert root.message.endswith("(this line contains a tab: indent with spaces)")

    situation_lines = lines_with(situations, "- id: pain-")
    assert [(e.path, e.line) for e in root.consequences] == [
        ("knowledge/back-pain.yaml", line) for line in situation_lines
    ]
    assert [e.message for e in root.consequences] == [
        f"situation 'pain-{i}': related exercise '{i}' does not exist" for i in ids
    ]
    first, second, third = situation_lines[:3]
    assert exc.lines() == [
        str(root),
        "  (+ 20 errors that follow from this one, not shown until it is fixed: "
        f"knowledge/back-pain.yaml:{first}, knowledge/back-pain.yaml:{second}, "
        f"knowledge/back-pain.yaml:{third} and 17 more)",
    ]
    assert str(exc) == "1 error(s) in the knowledge base"


def test_a_tab_on_the_id_line_still_explains_references_to_that_id(
    write_files: WriteFiles,
) -> None:
    exercises = "exercises:\n" + exercise("row", **{"  - id: row": "\t- id: row"})
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "a-pain.yaml": "situations:\n" + situation("sore", ["row"]),
            "exercises.yaml": exercises,
        }
    )
    (root,) = raised(directory).errors
    assert (root.path, root.line) == ("knowledge/exercises.yaml", 2)
    assert [e.message for e in root.consequences] == [
        "situation 'sore': related exercise 'row' does not exist"
    ]


def test_a_broken_sources_file_groups_every_unknown_source_under_it(
    write_files: WriteFiles,
) -> None:
    sources = MINIMAL_SOURCES.replace("    title:", "  title:") + OVERVIEW
    exercises = "exercises:\n" + "".join(exercise(i) for i in ("row", "curl", "fly"))
    directory = write_files(
        {
            "a-exercises.yaml": exercises,
            "b-pain.yaml": "situations:\n" + situation("sore", ["row"]),
            "sources.yaml": sources,
        }
    )
    exc = raised(directory)
    (root,) = exc.errors
    assert root.path == "knowledge/sources.yaml"
    assert root.line == lines_with(textwrap.dedent(sources).lstrip("\n"), "title:")[0]
    assert root.message.startswith("YAML syntax error: ")
    # The overview lives in the broken file too, so its absence is a consequence.
    assert sorted(e.message for e in root.consequences) == [
        "situations are defined but no 'overview:' section is",
        *["unknown source 'coach' (known: none defined)"] * 4,
    ]
    assert exc.lines()[0] == str(root)
    assert exc.lines()[1].startswith("  (+ 5 errors that follow from this one, ")
    assert len(exc.lines()) == 2


def test_a_file_that_is_not_utf8_still_explains_references_to_its_ids(
    write_files: WriteFiles,
) -> None:
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "pain.yaml": "situations:\n" + situation("sore", ["row"]),
        }
    )
    text = "exercises:\n" + exercise("row", **{"Mid-back.": "Mid-back. # Rücken"})
    (directory / "exercises.yaml").write_bytes(text.encode("latin-1"))
    (root,) = raised(directory).errors
    assert root.path == "knowledge/exercises.yaml"
    assert root.message.startswith("cannot read file: ")
    assert [e.message for e in root.consequences] == [
        "situation 'sore': related exercise 'row' does not exist"
    ]


# --- An entry that fails validation --------------------------------------------------


def test_a_reference_to_an_exercise_that_failed_validation_is_not_a_separate_error(
    write_files: WriteFiles,
) -> None:
    exercises = "exercises:\n" + exercise("row", **{"    cues:": "    cuse:"})
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "a-pain.yaml": "situations:\n" + situation("sore", ["row"]),
            "exercises.yaml": exercises,
        }
    )
    exc = raised(directory)
    assert not any("does not exist" in line for line in exc.lines())
    missing, typo = exc.errors
    assert (missing.path, missing.line) == ("knowledge/exercises.yaml", 2)
    assert missing.message == "missing required key 'cues'"
    assert (typo.line, typo.message) == (
        lines_with(exercises, "cuse:")[0],
        "unknown key 'cuse' (did you mean 'cues'?)",
    )
    # Grouped under the entry's first error, which is where the summary is printed.
    assert [str(e) for e in missing.consequences] == [
        "knowledge/a-pain.yaml:2: situation 'sore': related exercise 'row' does not exist"
    ]
    assert typo.consequences == ()
    assert exc.lines() == [
        str(missing),
        "  (+ 1 error that follows from this one, not shown until it is fixed: "
        "knowledge/a-pain.yaml:2)",
        str(typo),
    ]


def test_references_go_to_the_failed_entry_else_to_the_first_error_of_its_file(
    write_files: WriteFiles,
) -> None:
    """A file with any invalid entry loads nothing, so its valid entries go missing too."""
    exercises = "exercises:\n" + "".join(
        [
            exercise("row", **{"muscles: [lats]": "muscles: lats"}),
            exercise("curl"),
            exercise("fly", **{"pattern: horizontal pull": "pattern: sideways"}),
        ]
    )
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "a-pain.yaml": "situations:\n" + situation("one", ["fly"]) + situation("two", ["curl"]),
        }
    )
    (directory / "exercises.yaml").write_text(exercises, encoding="utf-8")
    row_error, fly_error = raised(directory).errors
    assert row_error.line == lines_with(exercises, "muscles: lats")[0]
    assert fly_error.line == lines_with(exercises, "pattern: sideways")[0]
    assert [e.message for e in fly_error.consequences] == [
        "situation 'one': related exercise 'fly' does not exist"
    ]
    assert [e.message for e in row_error.consequences] == [
        "situation 'two': related exercise 'curl' does not exist"
    ]


# --- Errors nothing explains ---------------------------------------------------------


def test_a_wrong_reference_with_everything_valid_is_reported_with_its_suggestion(
    write_files: WriteFiles,
) -> None:
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "exercises.yaml": MINIMAL_EXERCISE,
            "pain.yaml": "situations:\n" + situation("sore", ["barbel-row"]),
        }
    )
    exc = raised(directory)
    (error,) = exc.errors
    assert str(error) == (
        "knowledge/pain.yaml:2: situation 'sore': related exercise 'barbel-row' does not "
        "exist (did you mean 'barbell-row'?)"
    )
    assert error.consequences == ()
    assert exc.lines() == [str(error)]


def test_a_wrong_reference_is_still_reported_after_an_unrelated_root_cause(
    write_files: WriteFiles,
) -> None:
    """`z-broken.yaml` does not define `barbel-row`, so it cannot explain the typo; the
    root cause still comes first although its path sorts last."""
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "exercises.yaml": MINIMAL_EXERCISE,
            "pain.yaml": "situations:\n" + situation("sore", ["barbel-row"]),
            "z-broken.yaml": "posture_topics:\n\t- id: hunch\n",
        }
    )
    root, typo = raised(directory).errors
    assert (root.path, root.line) == ("knowledge/z-broken.yaml", 2)
    assert root.consequences == ()
    assert str(typo) == (
        "knowledge/pain.yaml:2: situation 'sore': related exercise 'barbel-row' does not "
        "exist (did you mean 'barbell-row'?)"
    )


def test_root_causes_come_before_other_errors_whatever_their_paths(
    write_files: WriteFiles,
) -> None:
    duplicate = MINIMAL_EXERCISE + exercise("barbell-row")
    directory = write_files(
        {
            "sources.yaml": MINIMAL_SOURCES,
            "a-rows.yaml": duplicate,
            "b-empty.yaml": "",
            "c-unknown.yaml": MINIMAL_SOURCES.replace("id: coach", "id: other") + "zzzzzz: 1\n",
        }
    )
    found = [(e.path, e.message) for e in raised(directory).errors]
    assert found == [
        ("knowledge/b-empty.yaml", "file is empty"),
        ("knowledge/c-unknown.yaml", "unknown key 'zzzzzz'"),
        (
            "knowledge/a-rows.yaml",
            "duplicate exercise id 'barbell-row' (first at knowledge/a-rows.yaml:2)",
        ),
    ]


def test_with_no_sources_file_at_all_one_unknown_source_stands_for_the_rest(
    write_files: WriteFiles,
) -> None:
    exercises = "exercises:\n" + "".join(exercise(i) for i in ("row", "curl", "fly"))
    exc = raised(write_files({"exercises.yaml": exercises}))
    (error,) = exc.errors
    assert str(error) == "knowledge/exercises.yaml:2: unknown source 'coach' (known: none defined)"
    assert [e.line for e in error.consequences] == lines_with(exercises, "- id:")[1:]
    assert exc.lines()[1] == (
        "  (+ 2 errors that follow from this one, not shown until it is fixed: "
        + ", ".join(f"knowledge/exercises.yaml:{n}" for n in lines_with(exercises, "- id:")[1:])
        + ")"
    )


# --- The summary line ----------------------------------------------------------------


def test_summary_counts_errors_and_names_each_place_once() -> None:
    at = [KnowledgeError("k/p.yaml", line, "x") for line in (3, 3, 9, 12, 20, 31)]
    root = KnowledgeError("k/e.yaml", 7, "YAML syntax error: boom", consequences=tuple(at))
    assert KnowledgeBaseError([root]).lines() == [
        "k/e.yaml:7: YAML syntax error: boom",
        "  (+ 6 errors that follow from this one, not shown until it is fixed: "
        "k/p.yaml:3, k/p.yaml:9, k/p.yaml:12 and 2 more)",
    ]
    # Consequences do not change what an error is.
    assert root == KnowledgeError("k/e.yaml", 7, "YAML syntax error: boom")
    assert str(root) == "k/e.yaml:7: YAML syntax error: boom"


# --- End to end ----------------------------------------------------------------------


def test_backbone_check_prints_the_root_cause_first(
    write_files: WriteFiles, tmp_path: Path
) -> None:
    ids = [f"ex-{n}" for n in range(20)]
    exercises = "exercises:\n" + "".join(
        exercise(i, **({"    cues:": "\tcues:"} if i == "ex-0" else {})) for i in ids
    )
    write_files(
        {
            "sources.yaml": MINIMAL_SOURCES + OVERVIEW,
            "back-pain.yaml": "situations:\n" + "".join(situation(f"p-{i}", [i]) for i in ids),
            "exercises.yaml": exercises,
        }
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DEV_GUILD_ID"}}
    env.update(
        KNOWLEDGE_DIR="knowledge",
        DATABASE_PATH=str(tmp_path / "backbone.db"),
        PYTHONIOENCODING="utf-8",
        PYTHONPATH=str(REPO_ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    header, first, summary = result.stderr.splitlines()
    assert header == "The knowledge base in knowledge has 1 error(s):"
    assert first.startswith(f"knowledge/exercises.yaml:{lines_with(exercises, chr(9))[0]}: ")
    assert "tab" in first
    assert summary.startswith(SUMMARY_PREFIX + "20 errors that follow from this one")
    assert "does not exist" not in result.stderr
