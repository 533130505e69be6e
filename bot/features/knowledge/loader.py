"""Read `knowledge/**/*.yaml`, validate it, and report every error as `path:line: message`.

YAML is parsed with PyYAML's safe loader in two steps: `compose` keeps the node tree
(with line numbers), then the same nodes are constructed into plain Python data for
pydantic. A validation error's location (`exercises.3.cues.1`) is walked back through
the node tree to the line a coach has to fix.

One mistake must not bury itself under the errors it causes: a tab in one file drops
every entry in it, and each reference to those entries would fail. Errors are therefore
split into *root causes* (the file could not be read, parsed or validated) and the rest;
a reference whose target an unloaded file defines is a *consequence*, attached to the
root error that explains it and summarised under it instead of listed on its own.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.replies import EmbedSpec
from bot.core.text import normalize
from bot.features.knowledge.model import KnowledgeBase, Origin
from bot.features.knowledge.redflags import empty_phrasings, phrase_terms
from bot.features.knowledge.schema import (
    Exercise,
    KnowledgeFile,
    Overview,
    PostureTopic,
    RedFlag,
    Situation,
    Source,
)

_ALL_FIELDS: frozenset[str] = frozenset(
    name
    for model in (KnowledgeFile, Source, Exercise, Situation, Overview, PostureTopic, RedFlag)
    for name in model.model_fields
) | frozenset({"mistake", "fix"})

# libyaml's C parser is about twenty times faster; both are the *safe* loader, which
# builds only plain data (no `!!python/...` tags) and keeps line marks on every node.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SECTION_KIND = {
    "exercises": "exercise",
    "situations": "situation",
    "posture_topics": "posture",
    "sources": "source",
    "red_flags": "red-flag",
}


@dataclass(frozen=True, slots=True)
class KnowledgeError:
    path: str
    line: int
    message: str
    consequences: tuple[KnowledgeError, ...] = field(default=(), compare=False)
    """Errors that only happen because of this one (references into a file that did not
    load); they are summarised under it rather than listed, and vanish once it is fixed."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# How many places a consequence summary names before "and N more".
_SHOWN_PLACES = 3


def _consequence_summary(consequences: Sequence[KnowledgeError]) -> str:
    """`  (+ 2 errors that follow from this one, not shown until it is fixed: a:1, b:7)`."""
    places = list(dict.fromkeys(f"{e.path}:{e.line}" for e in consequences))
    shown = ", ".join(places[:_SHOWN_PLACES])
    if len(places) > _SHOWN_PLACES:
        shown += f" and {len(places) - _SHOWN_PLACES} more"
    count = len(consequences)
    what = "1 error that follows" if count == 1 else f"{count} errors that follow"
    return f"  (+ {what} from this one, not shown until it is fixed: {shown})"


class KnowledgeBaseError(Exception):
    """The knowledge base did not validate; `errors` lists every problem found.

    Root causes (files that could not be read, parsed or validated) come first, then
    the other errors, each group sorted by path and line. Errors caused by a root
    cause are not in `errors`; they hang off it as `KnowledgeError.consequences`.
    """

    def __init__(self, errors: Sequence[KnowledgeError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s) in the knowledge base")

    def lines(self) -> list[str]:
        """One `path:line: message` per error; an error with consequences is followed
        by one indented line that counts them and says where they are."""
        lines: list[str] = []
        for error in self.errors:
            lines.append(str(error))
            if error.consequences:
                lines.append(_consequence_summary(error.consequences))
        return lines


@dataclass(frozen=True, slots=True)
class _ParsedFile:
    path: str
    root: yaml.Node
    content: KnowledgeFile


@dataclass(frozen=True, slots=True)
class _Unloaded:
    """A file that contributes nothing to the knowledge base, and what it seems to define.

    `errors` are root causes. `ids` are the ids written in the file (any section): from
    the constructed data when the YAML parsed, else read off the raw text, so a tab
    that breaks the parser still tells us which exercises went missing with it.
    `entries` maps `(kind, id)` of an entry that failed validation to its first error.
    `opaque` means the text could not be read at all, so it might define anything.
    """

    path: str
    errors: tuple[KnowledgeError, ...]
    ids: frozenset[str] = frozenset()
    entries: dict[tuple[str, str], KnowledgeError] = field(default_factory=dict)
    overview: bool = False
    opaque: bool = False

    @property
    def first_error(self) -> KnowledgeError:
        return min(self.errors, key=lambda e: e.line)


@dataclass(frozen=True, slots=True)
class _Dangling:
    """An error about a reference to `kind:target` that is not in the knowledge base."""

    error: KnowledgeError
    kind: str
    target: str


# `id: barbell-row`, `- id: "barbell-row"`, `{id: barbell-row, ...}`; tabs included.
_ID_IN_TEXT = re.compile(r"""(?:^|[\s{,-])id\s*:\s*["']?([^\s"',}\]#]+)""")
_OVERVIEW_IN_TEXT = re.compile(r"^overview\s*:", re.MULTILINE)


def _unloaded_from_text(path: str, errors: list[KnowledgeError], text: str) -> _Unloaded:
    """A file whose YAML could not be read: find its ids in the raw text, line by line."""
    ids = {
        match.group(1)
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for match in _ID_IN_TEXT.finditer(line)
    }
    return _Unloaded(
        path, tuple(errors), frozenset(ids), overview=bool(_OVERVIEW_IN_TEXT.search(text))
    )


def _ids_in(data: Any) -> set[str]:
    """Every string under an `id` key anywhere in constructed YAML (aliases may recurse)."""
    ids: set[str] = set()
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            if isinstance(item.get("id"), str):
                ids.add(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return ids


def _entry_key(data: dict[Any, Any], loc: Sequence[int | str]) -> tuple[str, str] | None:
    """`(kind, id)` of the entry a validation error is inside, if its id is readable."""
    if loc and loc[0] == "overview":
        return ("overview", "overview")
    if len(loc) < 2 or not isinstance(loc[0], str) or not isinstance(loc[1], int):
        return None
    kind = _SECTION_KIND.get(loc[0])
    entries = data.get(loc[0])
    if kind is None or not isinstance(entries, list) or not 0 <= loc[1] < len(entries):
        return None
    entry = entries[loc[1]]
    entry_id = entry.get("id") if isinstance(entry, dict) else None
    return (kind, entry_id) if isinstance(entry_id, str) else None


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _node_at(root: yaml.Node, loc: Iterable[int | str]) -> yaml.Node:
    """The deepest node along `loc`; a missing key resolves to its parent mapping.

    For the last element of `loc` the *key* node is returned, so an unknown key
    points at the key's own line.
    """
    node = root
    parts = list(loc)
    for index, part in enumerate(parts):
        is_last = index == len(parts) - 1
        if isinstance(node, yaml.MappingNode):
            # Last match wins, as in YAML merges (`<<: *base` then an override).
            for key_node, value_node in reversed(node.value):
                if key_node.value == part:
                    node = key_node if is_last else value_node
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _describe(error: Any) -> str:
    """Pydantic's message, reworded where a coach would not know what it means."""
    loc = error["loc"]
    key = loc[-1] if loc else ""
    kind = error["type"]
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(key), _ALL_FIELDS, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{key}'{suggestion}"
    if kind == "missing":
        return f"missing required key '{key}'"
    where = ".".join(str(p) for p in loc)
    if kind == "string_pattern_mismatch":
        return f"{where}: ids are lowercase words joined by hyphens, e.g. 'barbell-row'"
    return f"{where}: {error['msg']}"


def _check_duplicate_keys(
    path: str, node: yaml.Node, errors: list[KnowledgeError], seen_nodes: set[int] | None = None
) -> None:
    """Report keys written twice in one mapping (PyYAML silently keeps the last).

    Runs on the composed tree before construction flattens `<<` merges, and visits
    each node once, so aliases (even recursive ones) cost nothing extra.
    """
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.value in seen:
                errors.append(
                    KnowledgeError(
                        path,
                        _line(key_node),
                        f"duplicate key '{key_node.value}' (first on line {seen[key_node.value]})",
                    )
                )
            else:
                seen[key_node.value] = _line(key_node)
            _check_duplicate_keys(path, value_node, errors, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _check_duplicate_keys(path, child, errors, seen_nodes)


def _parse_file(path: Path) -> _ParsedFile | _Unloaded:
    """The file's content, or why it could not be loaded and what it seems to define."""
    shown = _display_path(path)
    errors: list[KnowledgeError] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(KnowledgeError(shown, 1, f"cannot read file: {exc}"))
        try:
            # Not UTF-8: the ids in it are still worth knowing.
            return _unloaded_from_text(shown, errors, path.read_bytes().decode(errors="replace"))
        except OSError:
            return _Unloaded(shown, tuple(errors), opaque=True)
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            errors.append(KnowledgeError(shown, 1, "file is empty"))
            return _Unloaded(shown, tuple(errors))
        _check_duplicate_keys(shown, root, errors)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        source_lines = text.splitlines()
        if 0 < line <= len(source_lines) and "\t" in source_lines[line - 1]:
            problem += " (this line contains a tab: indent with spaces)"
        errors.append(KnowledgeError(shown, line, f"YAML syntax error: {problem}"))
        return _unloaded_from_text(shown, errors, text)
    except yaml.YAMLError as exc:
        errors.append(KnowledgeError(shown, 1, f"YAML error: {exc}"))
        return _unloaded_from_text(shown, errors, text)
    except RecursionError:
        errors.append(KnowledgeError(shown, 1, "an alias refers to itself (recursive YAML)"))
        return _unloaded_from_text(shown, errors, text)
    finally:
        loader.dispose()

    if not isinstance(data, dict):
        errors.append(
            KnowledgeError(
                shown,
                _line(root),
                "top level must be a mapping with sections such as 'exercises:'",
            )
        )
        return _Unloaded(shown, tuple(errors), frozenset(_ids_in(data)))
    entries: dict[tuple[str, str], KnowledgeError] = {}
    content: KnowledgeFile | None = None
    try:
        content = KnowledgeFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            found = KnowledgeError(shown, _line(_node_at(root, error["loc"])), _describe(error))
            errors.append(found)
            key = _entry_key(data, error["loc"])
            if key is not None and (key not in entries or found.line < entries[key].line):
                entries[key] = found
    if content is None or errors:  # a duplicate key is an error even if the rest validates
        return _Unloaded(
            shown, tuple(errors), frozenset(_ids_in(data)), entries, overview="overview" in data
        )
    return _ParsedFile(shown, root, content)


def _entry_origin(parsed: _ParsedFile, section: str, index: int) -> Origin:
    return Origin(parsed.path, _line(_node_at(parsed.root, [section, index, "id"])))


def _merge(parsed_files: list[_ParsedFile], errors: list[KnowledgeError]) -> KnowledgeBase:
    tables: dict[str, dict[str, Any]] = {section: {} for section in _SECTION_KIND}
    origins: dict[str, Origin] = {}
    overview: Overview | None = None
    overview_origin: Origin | None = None
    pain_words: dict[str, None] = {}

    for parsed in parsed_files:
        pain_words.update(dict.fromkeys(parsed.content.pain_words))
        if parsed.content.overview is not None:
            here = Origin(parsed.path, _line(_node_at(parsed.root, ["overview"])))
            if overview_origin is not None:
                errors.append(
                    KnowledgeError(
                        here.path, here.line, f"a second 'overview' (first at {overview_origin})"
                    )
                )
            else:
                overview, overview_origin = parsed.content.overview, here
        for section, kind in _SECTION_KIND.items():
            entries: list[BaseModel] = getattr(parsed.content, section)
            for index, entry in enumerate(entries):
                entry_id: str = getattr(entry, "id")  # noqa: B009 - every section has ids
                origin = _entry_origin(parsed, section, index)
                key = f"{kind}:{entry_id}"
                if key in origins:
                    errors.append(
                        KnowledgeError(
                            origin.path,
                            origin.line,
                            f"duplicate {kind} id '{entry_id}' (first at {origins[key]})",
                        )
                    )
                    continue
                origins[key] = origin
                tables[section][entry_id] = entry
    if overview_origin is not None:
        origins["overview:overview"] = overview_origin
    return KnowledgeBase(
        sources=tables["sources"],
        overview=overview,
        exercises=tables["exercises"],
        situations=tables["situations"],
        posture_topics=tables["posture_topics"],
        red_flags=tables["red_flags"],
        pain_words=tuple(pain_words),
        origins=origins,
    )


def _check_names(
    kind: str,
    entries: dict[str, Exercise] | dict[str, Situation],
    kb: KnowledgeBase,
    errors: list[KnowledgeError],
) -> None:
    """Names and aliases must identify one entry each, once normalised ("Pull-up" == "pullup")."""
    owner: dict[str, str] = {}
    for entry_id, entry in entries.items():
        origin = kb.origins[f"{kind}:{entry_id}"]
        name = entry.name if isinstance(entry, Exercise) else entry.title
        for label in [entry_id, name, *entry.aliases]:
            key = normalize(label)
            if not key:
                errors.append(
                    KnowledgeError(origin.path, origin.line, f"'{label}' has no letters or digits")
                )
                continue
            other = owner.setdefault(key, entry_id)
            if other != entry_id:
                errors.append(
                    KnowledgeError(
                        origin.path,
                        origin.line,
                        f"{kind} '{entry_id}': name or alias '{label}' is already used by "
                        f"'{other}'",
                    )
                )


def _check_references(kb: KnowledgeBase, dangling: list[_Dangling]) -> None:
    """Every source and related exercise an entry names must exist."""

    def check_sources(key: str, refs: list[str]) -> None:
        for ref in refs:
            if ref not in kb.sources:
                origin = kb.origins[key]
                known = ", ".join(sorted(kb.sources)) or "none defined"
                message = f"unknown source '{ref}' (known: {known})"
                dangling.append(
                    _Dangling(KnowledgeError(origin.path, origin.line, message), "source", ref)
                )

    for entry_id, exercise in kb.exercises.items():
        check_sources(f"exercise:{entry_id}", exercise.source)
    for entry_id, situation in kb.situations.items():
        check_sources(f"situation:{entry_id}", situation.source)
        for ref in situation.related_exercises:
            if ref not in kb.exercises:
                origin = kb.origins[f"situation:{entry_id}"]
                hint = difflib.get_close_matches(ref, list(kb.exercises), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                message = (
                    f"situation '{entry_id}': related exercise '{ref}' does not exist{suggestion}"
                )
                dangling.append(
                    _Dangling(KnowledgeError(origin.path, origin.line, message), "exercise", ref)
                )
    for entry_id, topic in kb.posture_topics.items():
        check_sources(f"posture:{entry_id}", topic.source)
    for entry_id, flag in kb.red_flags.items():
        check_sources(f"red-flag:{entry_id}", flag.source)
    if kb.overview is not None:
        check_sources("overview:overview", kb.overview.source)


def _explained_by(missing: _Dangling, unloaded: Sequence[_Unloaded]) -> KnowledgeError | None:
    """The root error that explains why `missing.target` is not in the knowledge base.

    Most specific first: the entry itself failed validation; else a file that did not
    load defines that id (its whole content is dropped, valid entries too); else a file
    could not be read at all, so the target may be in it. None: the target really is
    missing, and the error stands on its own.
    """
    for file in unloaded:
        if (missing.kind, missing.target) in file.entries:
            return file.entries[missing.kind, missing.target]
    for file in unloaded:
        defines = file.overview if missing.kind == "overview" else missing.target in file.ids
        if defines:
            return file.first_error
    for file in unloaded:
        if file.opaque:
            return file.first_error
    return None


def _by_position(errors: Iterable[KnowledgeError]) -> list[KnowledgeError]:
    return sorted(errors, key=lambda e: (e.path, e.line))


def _report(
    unloaded: Sequence[_Unloaded],
    others: Sequence[KnowledgeError],
    dangling: Sequence[_Dangling],
    *,
    no_sources: bool,
) -> list[KnowledgeError]:
    """Root causes first, each carrying the errors it explains; then everything else.

    `no_sources`: not one source loaded. If no unloaded file explains that (say
    `sources.yaml` was deleted), every entry's source is unknown for the same reason;
    the first such error stands for the rest, which it carries as consequences.
    """
    independent = list(others)
    caused: dict[int, list[KnowledgeError]] = {}  # keyed by id() of the root error
    unsourced: list[KnowledgeError] = []
    for missing in dangling:
        root = _explained_by(missing, unloaded)
        if root is not None:
            caused.setdefault(id(root), []).append(missing.error)
        elif no_sources and missing.kind == "source":
            unsourced.append(missing.error)
        else:
            independent.append(missing.error)
    if unsourced:
        first, *rest = _by_position(unsourced)
        independent.append(dataclasses.replace(first, consequences=tuple(rest)))
    roots = [
        dataclasses.replace(error, consequences=tuple(_by_position(caused.get(id(error), []))))
        for file in unloaded
        for error in file.errors
    ]
    return _by_position(roots) + _by_position(independent)


def _check_red_flags(kb: KnowledgeBase, errors: list[KnowledgeError]) -> None:
    for entry_id, flag in kb.red_flags.items():
        origin = kb.origins[f"red-flag:{entry_id}"]
        for phrasing in empty_phrasings(flag):
            errors.append(
                KnowledgeError(
                    origin.path,
                    origin.line,
                    f"red flag '{entry_id}': phrasing '{phrasing}' has only common words and "
                    "would match every question; add the words that name the symptom",
                )
            )
    for word in kb.pain_words:
        if not phrase_terms(word):
            errors.append(
                KnowledgeError("pain_words", 0, f"pain word '{word}' is too common to decide")
            )


def _check_rendering(kb: KnowledgeBase, errors: list[KnowledgeError]) -> None:
    """Every entry must render inside Discord's embed limits."""
    from bot.features.knowledge import (
        render,  # render imports the model; import here avoids a cycle
    )

    checks: list[tuple[str, EmbedSpec]] = []
    checks += [(f"exercise:{i}", render.exercise_embed(kb, e)) for i, e in kb.exercises.items()]
    checks += [(f"situation:{i}", render.situation_embed(kb, s)) for i, s in kb.situations.items()]
    if kb.overview is not None:
        checks.append(("overview:overview", render.overview_embed(kb, kb.overview)))
    for key, spec in checks:
        for problem in spec.limit_problems():
            origin = kb.origins[key]
            errors.append(KnowledgeError(origin.path, origin.line, f"{key}: {problem}"))


def knowledge_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate every YAML file under `directory`, or raise `KnowledgeBaseError`."""
    errors: list[KnowledgeError] = []
    shown_dir = _display_path(directory)
    if not directory.is_dir():
        raise KnowledgeBaseError(
            [KnowledgeError(shown_dir, 0, "knowledge directory does not exist (KNOWLEDGE_DIR)")]
        )
    files = knowledge_files(directory)
    if not files:
        raise KnowledgeBaseError([KnowledgeError(shown_dir, 0, "no .yaml files found")])

    results = [_parse_file(f) for f in files]
    parsed = [r for r in results if isinstance(r, _ParsedFile)]
    unloaded = [r for r in results if isinstance(r, _Unloaded)]
    kb = _merge(parsed, errors)
    _check_names("exercise", kb.exercises, kb, errors)
    _check_names("situation", kb.situations, kb, errors)
    # Errors about something missing may be caused by a file that did not load.
    dangling: list[_Dangling] = []
    _check_references(kb, dangling)
    _check_red_flags(kb, errors)
    if kb.situations and kb.overview is None:
        message = "situations are defined but no 'overview:' section is"
        dangling.append(_Dangling(KnowledgeError(shown_dir, 0, message), "overview", "overview"))
    if not errors and not dangling and not unloaded:
        _check_rendering(kb, errors)
    if errors or dangling or unloaded:
        raise KnowledgeBaseError(_report(unloaded, errors, dangling, no_sources=not kb.sources))
    return kb
