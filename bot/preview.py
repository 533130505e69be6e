"""`backbone preview "/cue exercise:rows"`: what the bot would reply, in the terminal.

The dispatcher lives beside `bot.app`, not inside a feature, because it previews the
replies of several features (knowledge, posture, help) with their own reply builders,
so a coach sees exactly what members get. Only commands whose reply depends on the
knowledge base alone can be previewed; the rest need Discord and the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bot.core.errors import UserFacingError
from bot.core.replies import Reply, to_text
from bot.features.help import help_reply
from bot.features.knowledge import Knowledge
from bot.features.knowledge.answers import ask_reply, cue_reply, why_back_pain_reply
from bot.features.posture.replies import nudge_embed

_OPTION = re.compile(r"(?:^|\s)([a-z_]+):")
_WORD = re.compile(r"\S+")


class PreviewError(Exception):
    pass


@dataclass(frozen=True)
class Preview:
    """A reply as the bot would send it, and an optional line about the preview itself."""

    reply: Reply
    note: str | None = None

    def text(self) -> str:
        body = to_text(self.reply)
        return f"({self.note})\n{body}" if self.note else body


Handler = Callable[[Knowledge, dict[str, str]], Preview]


def _posture_tip(knowledge: Knowledge, options: dict[str, str]) -> Preview:
    """`/posture tip` gives each member the next topic of their own rotation; a preview
    has no member, so it shows the first topic in knowledge-base order."""
    topics = list(knowledge.base.posture_topics)
    if not topics:
        raise PreviewError("the knowledge base has no posture topics, so there is no tip to show")
    return Preview(
        Reply(embed=nudge_embed(knowledge.base, topics[0])),
        note=f"posture tip 1 of {len(topics)}: {topics[0]}; members get them in their own rotation",
    )


COMMANDS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "cue": (("exercise",), lambda k, o: Preview(cue_reply(k, o.get("exercise", "")))),
    "why-back-pain": (
        ("situation",),
        lambda k, o: Preview(why_back_pain_reply(k, o.get("situation"))),
    ),
    "ask": (("question",), lambda k, o: Preview(ask_reply(k, o.get("question", "")))),
    "posture tip": ((), _posture_tip),
}
PREVIEWABLE = (*COMMANDS, "help")


def _previewable() -> str:
    return ", ".join(f"/{name}" for name in PREVIEWABLE)


def parse_invocation(line: str, commands: Collection[str] = ()) -> tuple[str, dict[str, str]]:
    """Split `/name opt:value opt2:more words` into the name and its options.

    `commands` are the qualified names of the real command tree (`posture tip`); a name
    is the longest run of leading words that is one of them, a previewable command or a
    group of them, so `/posture tip` is one command and `/cue rows` a command and a word.
    """
    text = line.strip()
    if not text.startswith("/"):
        raise PreviewError(f"start with the command, e.g. /cue exercise:rows (got {text!r})")
    body = text[1:]
    first = _OPTION.search(body)
    words = list(_WORD.finditer(body[: first.start()] if first else body))
    if not words:
        raise PreviewError("name a command after the /, e.g. /cue exercise:rows")
    known = {*commands, *PREVIEWABLE}
    groups = {name.split(" ", 1)[0] for name in known if " " in name}
    size = next(
        (
            n
            for n in range(len(words), 0, -1)
            if " ".join(w.group().lower() for w in words[:n]) in known | groups
        ),
        1,
    )
    name = " ".join(w.group().lower() for w in words[:size])
    rest = body[words[size - 1].end() :]
    if name in groups:
        typed = words[size].group() if size < len(words) else ""
        opening = f"/{name} has no subcommand {typed!r}" if typed else f"/{name} needs a subcommand"
        inside = dict.fromkeys(c for c in [*commands, *PREVIEWABLE] if c.startswith(f"{name} "))
        raise PreviewError(f"{opening}; its commands: {', '.join(f'/{c}' for c in inside)}")
    options: dict[str, str] = {}
    matches = list(_OPTION.finditer(rest))
    if rest.strip() and (not matches or rest[: matches[0].start()].strip()):
        raise PreviewError(f"options look like name:value, e.g. /{name} option:value")
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(rest)
        options[match.group(1)] = rest[match.end() : end].strip()
    return name, options


def preview(knowledge: Knowledge, line: str, help_commands: Sequence[tuple[str, str]]) -> Preview:
    """What `line` would reply. `help_commands` is the real command tree's (name,
    description) listing: /help shows it, and it tells live-only commands from typos."""
    live = [name for name, _ in help_commands]
    name, options = parse_invocation(line, live)
    if name == "help":
        return Preview(help_reply(help_commands))
    if name not in COMMANDS:
        if name in live:
            raise PreviewError(
                f"/{name} needs a live server (Discord and the bot's database), so it cannot "
                f"be previewed; previewable commands: {_previewable()}"
            )
        raise PreviewError(
            f"/{name} cannot be previewed; try one of {_previewable()} "
            f"(Backbone has no /{name} command)"
        )
    allowed, handler = COMMANDS[name]
    unknown = set(options) - set(allowed)
    if unknown:
        takes = f"its options: {', '.join(allowed)}" if allowed else "it takes no options"
        raise PreviewError(f"/{name} has no option {', '.join(sorted(unknown))}; {takes}")
    try:
        return handler(knowledge, options)
    except UserFacingError as exc:
        return Preview(Reply(content=exc.message, ephemeral=True))


# What a terminal that cannot show a character gets instead, before any `?`.
_PLAIN = {
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # low double quotation mark
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (and apostrophe)
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u2022": "*",  # bullet
    "\u00b7": "-",  # middle dot
    "\u2501": "=",  # heavy horizontal rule, under and over embed titles
    "\u258c": "|",  # left half block, before field names
    "\u2192": "->",  # rightwards arrow
    "\u2190": "<-",  # leftwards arrow
    "\u2717": "x",  # ballot x
    "\u2713": "v",  # check mark
    "\u00d7": "x",  # multiplication sign
    "\u00b0": " deg",  # degree sign
    "\u00a0": " ",  # no-break space
}
# Invisible parts of emoji sequences: variation selectors, zero-width (non-)joiners.
_INVISIBLE = frozenset("\ufe0e\ufe0f\u200b\u200c\u200d")


def for_terminal(text: str, encoding: str) -> str:
    """`text` as a terminal in `encoding` can show it. Characters it cannot encode get a
    plain stand-in (typographic quotes, dashes, bullets, rules); emoji and other symbols
    are decoration beside words that say the same, so they go with the space after them;
    accented letters lose their accents. Anything else is left for the stream to replace
    with `?` (`errors="replace"`)."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        pass
    else:
        return text
    out: list[str] = []
    dropped = False  # the last visible character was a dropped symbol
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            if char in _INVISIBLE:
                continue
            if char in _PLAIN:
                out.append(_PLAIN[char])
            elif unicodedata.category(char) == "So":
                dropped = True
                continue
            else:  # an accented letter loses its accent ("ü" -> "u"); the rest become `?`
                bare = unicodedata.normalize("NFKD", char)
                out.append("".join(c for c in bare if not unicodedata.combining(c)) or char)
        else:
            if not (dropped and char == " "):
                out.append(char)
        dropped = False
    return "".join(out)
