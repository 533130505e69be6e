"""What a command answers, as plain values that know Discord's limits (no discord import).

`Reply` and `EmbedSpec` mirror the parts of a Discord message we use. Features build
them from plain values; `bot.runtime.replies` turns them into Discord objects. The
loader can reject an entry that would not fit, tests can check every reply, and
`backbone preview` can print exactly what the bot would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

EXERCISE_COLOUR = 0x2F9E8F

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
ATTACHMENT_DESCRIPTION_LIMIT = 1024
ATTACHMENT_PREFIX = "attachment://"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply; an embed shows an image one as `attachment://filename`."""

    filename: str
    data: bytes = field(repr=False)
    description: str = ""
    """Alt text: what screen readers say for an image."""

    @property
    def url(self) -> str:
        return ATTACHMENT_PREFIX + self.filename


@dataclass(frozen=True)
class EmbedSpec:
    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    colour: int = EXERCISE_COLOUR
    image: str | None = None
    """The embed's large image: an `attachment://` url of one of the reply's files."""

    def total_chars(self) -> int:
        """What Discord counts towards the 6,000-character total."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def limit_problems(self) -> list[str]:
        problems: list[str] = []

        def over(what: str, text: str, limit: int) -> None:
            if len(text) > limit:
                problems.append(f"{what} is {len(text):,} characters, over Discord's {limit:,}")

        over("title", self.title, TITLE_LIMIT)
        over("description", self.description, DESCRIPTION_LIMIT)
        over("footer", self.footer, FOOTER_LIMIT)
        if len(self.fields) > FIELD_COUNT_LIMIT:
            problems.append(f"{len(self.fields)} fields, over Discord's {FIELD_COUNT_LIMIT}")
        for f in self.fields:
            over(f"field '{f.name[:40]}' name", f.name, FIELD_NAME_LIMIT)
            over(f"field '{f.name[:40]}'", f.value, FIELD_VALUE_LIMIT)
            if not f.name or not f.value:
                problems.append(f"field '{f.name[:40]}' is empty")
        if self.total_chars() > EMBED_TOTAL_LIMIT:
            problems.append(
                f"embed totals {self.total_chars():,} characters, over Discord's "
                f"{EMBED_TOTAL_LIMIT:,}"
            )
        return problems


@dataclass(frozen=True)
class Reply:
    """What a command answers: plain values that a cog turns into a Discord response."""

    content: str | None = None
    embed: EmbedSpec | None = None
    ephemeral: bool = False
    files: tuple[Attachment, ...] = ()

    def attachment(self, url: str) -> Attachment | None:
        """The file an `attachment://` url names, if this reply sends it."""
        return next((f for f in self.files if f.url == url), None)


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def numbered(items: Iterable[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def bulleted(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def join_capped(items: Sequence[str], limit: int, separator: str = ", ", *, more: int = 0) -> str:
    """As many `items` as fit in `limit` characters, then "and N more" for the rest (and
    for `more` items that were never listed)."""
    total = len(items) + more
    shown: list[str] = []
    for n, item in enumerate(items):
        rest = total - n - 1
        tail = f"{separator}and {rest} more" if rest else ""
        if len(separator.join([*shown, item]) + tail) > limit:
            if not shown:
                return clip(f"{total} in all", limit)
            return separator.join(shown) + f"{separator}and {total - n} more"
        shown.append(item)
    if more:
        return separator.join([*shown, f"and {more} more"])
    return separator.join(shown)


def plural(n: int, unit: str) -> str:
    """ "1 week", "2 weeks": `unit` takes a plain s."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def discord_timestamp(at: datetime) -> str:
    """A Discord timestamp: shown in each reader's own timezone and language."""
    seconds = int(at.timestamp())
    return f"<t:{seconds}:F> (<t:{seconds}:R>)"


def to_text(reply: Reply) -> str:
    """A terminal rendering of a reply, for `backbone preview`."""
    out: list[str] = []
    if reply.ephemeral:
        out.append("(only the member who asked sees this reply)")
    if reply.content:
        out.append(reply.content)
    if (embed := reply.embed) is not None:
        bar = "━" * min(max(len(embed.title), 20), 72)
        out += [bar, embed.title, bar]
        if embed.description:
            out.append(embed.description)
        for f in embed.fields:
            out += ["", f"▌ {f.name}", f.value]
        if embed.image is not None:
            shown = reply.attachment(embed.image)
            name = embed.image if shown is None else shown.filename
            alt = f" — {shown.description}" if shown is not None and shown.description else ""
            out += ["", f"[image: {name}{alt}]"]
        if embed.footer:
            out += ["", f"— {embed.footer}"]
    image = None if reply.embed is None else reply.embed.image
    for file in reply.files:
        if file.url != image:
            alt = f" — {file.description}" if file.description else ""
            out.append(f"[file: {file.filename}{alt}]")
    return "\n".join(out).replace("**", "")
