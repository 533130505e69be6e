"""`backbone preview "/cue exercise:rows"`: what the bot would reply, in the terminal."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.core.errors import UserFacingError
from bot.core.replies import Reply
from bot.features.help import help_reply
from bot.features.knowledge.answers import ask_reply, cue_reply, why_back_pain_reply
from bot.features.knowledge.store import Knowledge

_OPTION = re.compile(r"(?:^|\s)([a-z_]+):")

Handler = Callable[[Knowledge, dict[str, str]], Reply]

COMMANDS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "cue": (("exercise",), lambda k, o: cue_reply(k, o.get("exercise", ""))),
    "why-back-pain": (("situation",), lambda k, o: why_back_pain_reply(k, o.get("situation"))),
    "ask": (("question",), lambda k, o: ask_reply(k, o.get("question", ""))),
}


class PreviewError(Exception):
    pass


def parse_invocation(line: str) -> tuple[str, dict[str, str]]:
    """Split `/name opt:value opt2:more words` into the name and its options."""
    text = line.strip()
    if not text.startswith("/"):
        raise PreviewError(f"start with the command, e.g. /cue exercise:rows (got {text!r})")
    name, _, rest = text[1:].partition(" ")
    options: dict[str, str] = {}
    matches = list(_OPTION.finditer(rest))
    if rest.strip() and (not matches or rest[: matches[0].start()].strip()):
        raise PreviewError(f"options look like name:value, e.g. /{name} option:value")
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(rest)
        options[match.group(1)] = rest[match.end() : end].strip()
    return name, options


def preview(knowledge: Knowledge, line: str, help_commands: Sequence[tuple[str, str]]) -> Reply:
    name, options = parse_invocation(line)
    if name == "help":
        return help_reply(help_commands)
    if name not in COMMANDS:
        known = ", ".join(f"/{c}" for c in [*COMMANDS, "help"])
        raise PreviewError(f"/{name} cannot be previewed; try one of {known}")
    allowed, handler = COMMANDS[name]
    unknown = set(options) - set(allowed)
    if unknown:
        raise PreviewError(
            f"/{name} has no option {', '.join(sorted(unknown))}; its options: {', '.join(allowed)}"
        )
    try:
        return handler(knowledge, options)
    except UserFacingError as exc:
        return Reply(content=exc.message, ephemeral=True)
