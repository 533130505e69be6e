"""A loopback Discord double: REST API v10 and the gateway, with Discord's own checks.

The bot under test is a real `python -m bot run` process. It reaches this double
because `DISCORD_API_BASE_URL` points discord.py's `Route.BASE` here. The double
listens on 127.0.0.1 only, so no request leaves the machine.

What it does, in Discord's words and payload shapes (the ones discord.py 2.7 parses):

* REST: login (`/users/@me`, `/oauth2/applications/@me`), `/gateway/bot`, application
  command registration (global and guild) with the registration checks, interaction
  callbacks, interaction webhooks (followups and `@original`), DMs and channel messages.
* Gateway: HELLO, IDENTIFY (token and intents checked, privileged intents refused with
  4014), READY, GUILD_CREATE, heartbeats, RESUME with replay of missed events, sequence
  numbers, and zlib-stream compression when the client asks for it.
* Discord's limits on every message (content, embeds, autocomplete choices), the 3 s
  interaction deadline (10062), double acknowledgement (40060), the global rate limit
  and a per-channel message limit (429 with the headers discord.py reads).

* Message components (action rows, buttons, selects: widths, custom_id length and
  uniqueness, labels), kept on every message the bot creates (`messages`, by id, with
  Discord's component ids and edits applied), so a button can be pressed later.

Every request is recorded (`requests`), every break of Discord's rules is answered the
way Discord answers it *and* recorded in `violations`, so a test can assert none
happened. Tests drive the bot with `await double.slash(...)`,
`await double.autocomplete(...)` and `await double.click(message, custom_id)`, which send
a real INTERACTION_CREATE down the gateway. Option values go in as Discord's client sends
them: within choices, lengths and min/max values; a USER option takes a user payload (or
id) and arrives as the id plus `data.resolved.users` and `.members`.
"""

# The waiting helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import itertools
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Gateway intents Discord calls privileged; they must be switched on in the portal.
PRIVILEGED_INTENTS = {
    1 << 1: "GUILD_MEMBERS",
    1 << 8: "GUILD_PRESENCES",
    1 << 15: "MESSAGE_CONTENT",
}
GUILDS_INTENT = 1 << 0
ALL_INTENTS = (1 << 26) - 1 | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25)

# Permission bits used by the default member and bot.
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EVERYDAY_MEMBER_PERMISSIONS = (
    (1 << 6)  # add reactions
    | (1 << 10)  # view channel
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | (1 << 16)  # read message history
    | (1 << 18)  # use external emojis
    | (1 << 31)  # use application commands
)
BOT_PERMISSIONS = EVERYDAY_MEMBER_PERMISSIONS | (1 << 13)  # + manage messages

# Interaction types (what Discord sends) and callback types (what the bot answers).
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5
CALLBACKS_FOR = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
MESSAGE_FLAGS_ALLOWED = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)

# Command registration.
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
OPTION_TYPES = range(1, 12)
USER_OPTION = 6
VALUE_OPTION_TYPES = {3, 4, 10}  # the ones that can have choices / autocomplete
MAX_COMMANDS = {1: 100, 2: 15, 3: 15}

# Message and embed limits.
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
EMBED_FIELDS = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME_LIMIT = 100
CHOICE_STRING_LIMIT = 100

# Message components (without the IS_COMPONENTS_V2 flag).
V2 = 1 << 15
ACTION_ROW, BUTTON = 1, 2
SELECTS = (3, 5, 6, 7, 8)
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
SELECT_OPTIONS = 25
BUTTON_STYLES = range(1, 7)
LINK_STYLE, PREMIUM_STYLE = 5, 6

WEBHOOK_TOKEN_LIFETIME = 15 * 60.0

T = TypeVar("T")
Json = dict[str, Any]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Snowflakes:
    """Discord-shaped ids: milliseconds since 2015 in the high bits, a counter below."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)


# --- records --------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, and what the double answered."""

    method: str
    path: str  # after /api/v10, e.g. /interactions/1/tok/callback
    query: dict[str, str]
    headers: dict[str, str]  # without Authorization
    json: Any
    files: list[Json]
    at: float  # the double's monotonic clock when the request arrived
    status: int | None = None
    response: Any = None
    answered_at: float | None = None
    interaction_id: int | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class Violation:
    """A request Discord would refuse (or a bot mistake Discord would punish)."""

    kind: str
    message: str
    request: RecordedRequest | None = None
    errors: Any = None

    def __str__(self) -> str:
        where = f" ({self.request.method} {self.request.path})" if self.request else ""
        detail = f": {json.dumps(self.errors)}" if self.errors else ""
        return f"{self.kind}{where}: {self.message}{detail}"


class DiscordError(Exception):
    """Raised by a handler to answer the way Discord answers an error."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: Any = None,
        headers: Mapping[str, str] | None = None,
        violation: str | None = None,
        body: Json | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.violation = violation
        self.body = body

    def payload(self) -> Json:
        if self.body is not None:
            return self.body
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class FormErrors:
    """Discord's nested `errors`: {"data": {"embeds": {"0": {"title": {"_errors": [...]}}}}}."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[str, ...], str, str]] = []

    def add(self, path: Iterable[object], code: str, message: str) -> None:
        self.items.append((tuple(str(p) for p in path), code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def extend(self, other: FormErrors) -> None:
        self.items.extend(other.items)

    def tree(self) -> Json:
        root: Json = {}
        for path, code, message in self.items:
            node = root
            for part in path:
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def raise_if_any(self, *, kind: str = "invalid_form_body") -> None:
        if self.items:
            raise DiscordError(400, 50035, "Invalid Form Body", errors=self.tree(), violation=kind)


# --- Discord's checks, as plain functions ---------------------------------------------


def _length(errors: FormErrors, path: tuple[object, ...], value: Any, lo: int, hi: int) -> None:
    if not isinstance(value, str):
        errors.add(path, "BASE_TYPE_STRING", "Must be a string.")
    elif not lo <= len(value) <= hi:
        if len(value) > hi:
            errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {hi} or fewer in length.")
        else:
            errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")


def embed_total_chars(embed: Json) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def check_embeds(embeds: Any, path: tuple[object, ...] = ("embeds",)) -> FormErrors:
    errors = FormErrors()
    if not isinstance(embeds, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if len(embeds) > EMBEDS_PER_MESSAGE:
        errors.add(
            path, "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_PER_MESSAGE} or fewer in length."
        )
    total = 0
    for i, embed in enumerate(embeds):
        here = (*path, i)
        if not isinstance(embed, dict):
            errors.add(here, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        if embed.get("type", "rich") != "rich":
            errors.add((*here, "type"), "BASE_TYPE_CHOICES", "Value must be one of ('rich',).")
        for key in ("title", "description"):
            if embed.get(key) is not None:
                _length(errors, (*here, key), embed[key], 0, EMBED_LIMITS[key])
        footer = embed.get("footer")
        if footer is not None:
            _length(errors, (*here, "footer", "text"), footer.get("text"), 1, 2048)
        author = embed.get("author")
        if author is not None:
            _length(errors, (*here, "author", "name"), author.get("name"), 1, 256)
        colour = embed.get("color")
        if colour is not None and not (isinstance(colour, int) and 0 <= colour <= 0xFFFFFF):
            errors.add((*here, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS:
            errors.add(
                (*here, "fields"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {EMBED_FIELDS} or fewer in length.",
            )
        for j, f in enumerate(fields):
            _length(errors, (*here, "fields", j, "name"), f.get("name"), 1, FIELD_NAME_LIMIT)
            _length(errors, (*here, "fields", j, "value"), f.get("value"), 1, FIELD_VALUE_LIMIT)
            if "inline" in f and not isinstance(f["inline"], bool):
                errors.add((*here, "fields", j, "inline"), "BASE_TYPE_BOOLEAN", "Must be a bool.")
        total += embed_total_chars(embed)
    if total > EMBED_TOTAL_LIMIT:
        errors.add(
            path,
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_LIMIT}",
        )
    return errors


def check_allowed_mentions(value: Any, path: tuple[object, ...]) -> FormErrors:
    errors = FormErrors()
    if value is None:
        return errors
    if not isinstance(value, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return errors
    parse = value.get("parse", [])
    for i, p in enumerate(parse or []):
        if p not in ("users", "roles", "everyone"):
            errors.add(
                (*path, "parse", i),
                "BASE_TYPE_CHOICES",
                "Value must be one of ('everyone', 'roles', 'users').",
            )
    for kind in ("users", "roles"):
        listed = value.get(kind) or []
        if listed and kind in (parse or []):
            errors.add(
                (*path, "parse"),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
        if len(listed) > 100:
            errors.add((*path, kind), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    return errors


def _check_button(button: Json, path: tuple[object, ...], errors: FormErrors) -> None:
    style = button.get("style")
    if style not in BUTTON_STYLES:
        errors.add(
            (*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6)."
        )
        return
    label = button.get("label")
    if label is not None:
        _length(errors, (*path, "label"), label, 0, BUTTON_LABEL_LIMIT)
    if style == LINK_STYLE:
        if not button.get("url"):
            errors.add((*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
        if button.get("custom_id") is not None:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_LINK_CUSTOM_ID_FORBIDDEN",
                "A custom id cannot be specified for link buttons",
            )
    elif style == PREMIUM_STYLE:
        if not button.get("sku_id"):
            errors.add(
                (*path, "sku_id"), "BUTTON_COMPONENT_SKU_ID_REQUIRED", "A sku id is required"
            )
    else:
        if button.get("custom_id") is None:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                "A custom id is required",
            )
        if button.get("url") is not None:
            errors.add(
                (*path, "url"),
                "BUTTON_COMPONENT_URL_FORBIDDEN",
                "A url cannot be specified for non-link buttons",
            )
    if style != PREMIUM_STYLE and not label and not button.get("emoji"):
        errors.add(
            path,
            "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
            "A button needs a label or an emoji",
        )


def _check_select(select: Json, path: tuple[object, ...], errors: FormErrors) -> None:
    if select.get("custom_id") is None:
        errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    placeholder = select.get("placeholder")
    if placeholder is not None:
        _length(errors, (*path, "placeholder"), placeholder, 0, 150)
    options = select.get("options")
    if select.get("type") == 3:
        if not isinstance(options, list) or not 1 <= len(options) <= SELECT_OPTIONS:
            errors.add(
                (*path, "options"),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {SELECT_OPTIONS} in length.",
            )
        else:
            for i, option in enumerate(options):
                _length(errors, (*path, "options", i, "label"), option.get("label"), 1, 100)
                _length(errors, (*path, "options", i, "value"), option.get("value"), 1, 100)
    for key, lo in (("min_values", 0), ("max_values", 1)):
        value = select.get(key)
        if value is not None and (not isinstance(value, int) or not lo <= value <= SELECT_OPTIONS):
            errors.add((*path, key), "NUMBER_TYPE_MAX", f"Must be between {lo} and 25.")


def check_components(
    components: Any, path: tuple[object, ...] = ("components",), *, v2: bool = False
) -> FormErrors:
    """Discord's checks on a message's components: action rows of buttons or one select.

    Without the IS_COMPONENTS_V2 flag: at most 5 action rows, each holding 1-5 buttons or a
    single select menu. Every interactive component has a custom_id of 1-100 characters,
    unique within the message; button labels are at most 80 characters.
    """
    errors = FormErrors()
    if not isinstance(components, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if not v2 and len(components) > ACTION_ROWS:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS} or fewer in length.")
    seen: set[str] = set()

    def interactive(item: Json, here: tuple[object, ...]) -> None:
        custom_id = item.get("custom_id")
        if custom_id is not None:
            _length(errors, (*here, "custom_id"), custom_id, 1, CUSTOM_ID_LIMIT)
        if isinstance(custom_id, str):
            if custom_id in seen:
                errors.add(
                    (*here, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if item.get("type") == BUTTON:
            _check_button(item, here, errors)
        else:
            _check_select(item, here, errors)

    for i, row in enumerate(components):
        here = (*path, i)
        if not isinstance(row, dict):
            errors.add(here, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        if row.get("type") != ACTION_ROW:
            if v2:
                continue  # layout components: not modelled beyond the action rows they hold
            errors.add(
                (*here, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'
            )
            continue
        children = row.get("components")
        if not isinstance(children, list) or not children:
            errors.add(
                (*here, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
            continue
        kinds = [c.get("type") if isinstance(c, dict) else None for c in children]
        if any(k not in (BUTTON, *SELECTS) for k in kinds):
            errors.add(
                (*here, "components"),
                "UNION_TYPE_CHOICES",
                "Action rows hold buttons or select menus.",
            )
            continue
        selects = sum(k in SELECTS for k in kinds)
        if (selects and len(children) > 1) or len(children) > BUTTONS_PER_ROW:
            errors.add(
                (*here, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            if child.get("type") == BUTTON or child.get("type") in SELECTS:
                interactive(child, (*here, "components", j))
    return errors


def custom_ids(components: Iterable[Json]) -> list[str]:
    """Every custom_id in a message's components, depth first."""
    out: list[str] = []
    for c in components:
        if c.get("custom_id") is not None:
            out.append(c["custom_id"])
        out.extend(custom_ids(c.get("components") or []))
    return out


def find_component(components: Iterable[Json], custom_id: str) -> Json | None:
    for c in components:
        if c.get("custom_id") == custom_id:
            return c
        found = find_component(c.get("components") or [], custom_id)
        if found is not None:
            return found
    return None


def check_message(
    payload: Any, path: tuple[object, ...] = (), *, files: int = 0, require_content: bool = True
) -> FormErrors:
    """Discord's checks on a message body (create, edit, interaction response data)."""
    errors = FormErrors()
    if not isinstance(payload, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return errors
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add((*path, "content"), "BASE_TYPE_STRING", "Must be a string.")
        elif len(content) > CONTENT_LIMIT:
            errors.add(
                (*path, "content"),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {CONTENT_LIMIT} or fewer in length.",
            )
    if payload.get("embeds") is not None:
        errors.extend(check_embeds(payload["embeds"], (*path, "embeds")))
    errors.extend(
        check_allowed_mentions(payload.get("allowed_mentions"), (*path, "allowed_mentions"))
    )
    flags = payload.get("flags")
    if flags is not None and (not isinstance(flags, int) or flags & ~MESSAGE_FLAGS_ALLOWED):
        errors.add((*path, "flags"), "MESSAGE_FLAGS_INVALID", "Invalid message flags.")
    components = payload.get("components")
    if components is not None:
        errors.extend(
            check_components(components, (*path, "components"), v2=bool((flags or 0) & V2))
        )
    attachments = payload.get("attachments") or []
    if len(attachments) > 10 or files > 10:
        errors.add((*path, "attachments"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    return errors


def message_is_empty(payload: Json, files: int = 0) -> bool:
    return not (
        (payload.get("content") or "").strip()
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("attachments")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or files
    )


def check_choices(choices: Any, option_type: int, path: tuple[object, ...]) -> FormErrors:
    errors = FormErrors()
    if not isinstance(choices, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if len(choices) > AUTOCOMPLETE_CHOICES:
        errors.add(
            path, "BASE_TYPE_MAX_LENGTH", f"Must be {AUTOCOMPLETE_CHOICES} or fewer in length."
        )
    for i, choice in enumerate(choices):
        if not isinstance(choice, dict):
            errors.add((*path, i), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        _length(errors, (*path, i, "name"), choice.get("name"), 1, CHOICE_NAME_LIMIT)
        value = choice.get("value")
        if option_type == 3:
            _length(errors, (*path, i, "value"), value, 1, CHOICE_STRING_LIMIT)
        elif option_type == 4 and (not isinstance(value, int) or isinstance(value, bool)):
            errors.add((*path, i, "value"), "NUMBER_TYPE_COERCE", "Value is not int.")
        elif option_type == 10 and (not isinstance(value, int | float) or isinstance(value, bool)):
            errors.add((*path, i, "value"), "NUMBER_TYPE_COERCE", "Value is not a number.")
    return errors


def _check_option(option: Any, path: tuple[object, ...], depth: int) -> FormErrors:
    errors = FormErrors()
    if not isinstance(option, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return errors
    kind = option.get("type")
    if kind not in OPTION_TYPES:
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be a valid option type.")
        return errors
    name = option.get("name")
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
        errors.add(
            (*path, "name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name is invalid: {name!r} (lowercase, ^[-_\\w]{{1,32}}$).",
        )
    _length(errors, (*path, "description"), option.get("description"), 1, 100)
    choices = option.get("choices")
    if choices is not None:
        if kind not in VALUE_OPTION_TYPES:
            errors.add((*path, "choices"), "BASE_TYPE_BAD_TYPE", "Choices need a value option.")
        errors.extend(check_choices(choices, kind, (*path, "choices")))
        if option.get("autocomplete"):
            errors.add(
                (*path, "autocomplete"),
                "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES",
                "Autocomplete cannot be set with choices.",
            )
    if option.get("autocomplete") and kind not in VALUE_OPTION_TYPES:
        errors.add((*path, "autocomplete"), "BASE_TYPE_BAD_TYPE", "Only value options complete.")
    for key, lo, hi in (("min_length", 0, 6000), ("max_length", 1, 6000)):
        value = option.get(key)
        if value is not None and (not isinstance(value, int) or not lo <= value <= hi):
            errors.add((*path, key), "NUMBER_TYPE_MAX", f"Must be between {lo} and {hi}.")
    sub = option.get("options")
    if kind in (SUBCOMMAND, SUBCOMMAND_GROUP):
        if option.get("required"):
            errors.add((*path, "required"), "BASE_TYPE_BAD_TYPE", "Subcommands cannot be required.")
        errors.extend(_check_options(sub or [], (*path, "options"), depth + 1, parent=kind))
    elif sub:
        errors.add((*path, "options"), "BASE_TYPE_BAD_TYPE", "Only subcommands have options.")
    return errors


def _check_options(
    options: Any, path: tuple[object, ...], depth: int, *, parent: int | None
) -> FormErrors:
    errors = FormErrors()
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    kinds = [o.get("type") for o in options if isinstance(o, dict)]
    nesting = [k for k in kinds if k in (SUBCOMMAND, SUBCOMMAND_GROUP)]
    if nesting and len(nesting) != len(kinds):
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands and subcommand groups cannot be mixed with other options.",
        )
    if parent == SUBCOMMAND_GROUP and any(k != SUBCOMMAND for k in kinds):
        errors.add(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Groups hold subcommands.")
    if parent == SUBCOMMAND and nesting:
        errors.add(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Too deeply nested.")
    if depth > 2 and nesting:
        errors.add(path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Too deeply nested.")
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        errors.extend(_check_option(option, (*path, i), depth))
        if not isinstance(option, dict):
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(
                    (*path, i, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        elif option.get("type") not in (SUBCOMMAND, SUBCOMMAND_GROUP):
            seen_optional = True
        if option.get("name") in names:
            errors.add(
                (*path, i, "name"),
                "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
                "Option names must be unique",
            )
        names.add(option.get("name"))
    return errors


def _command_chars(command: Json) -> int:
    def walk(options: list[Json]) -> int:
        total = 0
        for o in options:
            total += len(o.get("name") or "") + len(o.get("description") or "")
            for c in o.get("choices") or []:
                total += len(str(c.get("name", ""))) + len(str(c.get("value", "")))
            total += walk(o.get("options") or [])
        return total

    return (
        len(command.get("name") or "")
        + len(command.get("description") or "")
        + walk(command.get("options") or [])
    )


def check_command(command: Any, path: tuple[object, ...] = ()) -> FormErrors:
    """Discord's registration checks for one application command."""
    errors = FormErrors()
    if not isinstance(command, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return errors
    kind = command.get("type", 1)
    name = command.get("name")
    if kind not in (1, 2, 3, 4):
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4).")
        return errors
    if kind == 1:
        if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
            errors.add(
                (*path, "name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Command name is invalid: {name!r} (lowercase, ^[-_\\w]{{1,32}}$).",
            )
        _length(errors, (*path, "description"), command.get("description"), 1, 100)
        errors.extend(
            _check_options(command.get("options") or [], (*path, "options"), 1, parent=None)
        )
        if _command_chars(command) > 4000:
            errors.add(
                path,
                "APPLICATION_COMMAND_TOO_LARGE",
                "Command exceeds maximum size (4000)",
            )
    else:
        _length(errors, (*path, "name"), name, 1, 32)
        if command.get("description"):
            errors.add((*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be empty.")
        if command.get("options"):
            errors.add((*path, "options"), "BASE_TYPE_BAD_TYPE", "Menus have no options.")
    dmp = command.get("default_member_permissions")
    if dmp is not None and not (
        (isinstance(dmp, int) and not isinstance(dmp, bool) and dmp >= 0)
        or (isinstance(dmp, str) and dmp.isdigit())
    ):
        errors.add(
            (*path, "default_member_permissions"),
            "BASE_TYPE_BAD_INT",
            "Value is not a valid permissions integer.",
        )
    for key, allowed in (("contexts", {0, 1, 2}), ("integration_types", {0, 1})):
        value = command.get(key)
        if value is not None and (
            not isinstance(value, list) or any(v not in allowed for v in value)
        ):
            errors.add((*path, key), "BASE_TYPE_CHOICES", f"Values must be in {sorted(allowed)}.")
    for key in ("nsfw", "dm_permission"):
        if command.get(key) is not None and not isinstance(command.get(key), bool):
            errors.add((*path, key), "BASE_TYPE_BOOLEAN", "Must be a bool.")
    return errors


def check_commands(commands: Any) -> FormErrors:
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, command in enumerate(commands):
        errors.extend(check_command(command, (i,)))
        if not isinstance(command, dict):
            continue
        key = (command.get("type", 1), command.get("name"))
        if key in seen:
            errors.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[1]!r}",
            )
        seen.add(key)
        counts[key[0]] = counts.get(key[0], 0) + 1
    for kind, count in counts.items():
        if count > MAX_COMMANDS.get(kind, 1):
            errors.add(
                (),
                "BASE_TYPE_MAX_LENGTH",
                f"Maximum number of application commands of type {kind} reached "
                f"({MAX_COMMANDS.get(kind, 1)})",
            )
    return errors


# --- rate limits ------------------------------------------------------------------------


@dataclass
class Bucket:
    """A fixed-window bucket, the way Discord reports it in X-RateLimit-* headers."""

    name: str
    limit: int
    window: float
    started: float = -math.inf
    used: int = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        if now >= self.started + self.window:
            self.started, self.used = now, 0
        reset_after = max(0.0, self.started + self.window - now)
        ok = self.used < self.limit
        if ok:
            self.used += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
        return ok, headers


class GlobalLimit:
    """At most `per_second` requests per one-second window (a window opens on first use).

    A fixed window answers everyone who is refused with the same reset time, as a bucket's
    X-RateLimit-Reset does. (A rolling window would wake all waiters each time a single
    slot frees, and discord.py's webhook adapter gives up after 5 tries of a 429.)
    """

    def __init__(self) -> None:
        self.started = -math.inf
        self.used = 0

    def take(self, now: float, per_second: int) -> float | None:
        """None if allowed (and counted); else seconds until the window resets."""
        if now >= self.started + 1.0:
            self.started, self.used = now, 0
        if self.used >= per_second:
            return max(0.001, self.started + 1.0 - now)
        self.used += 1
        return None


def _rate_limited(
    retry_after: float, *, is_global: bool, headers: Mapping[str, str]
) -> DiscordError:
    hdrs = {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "global" if is_global else "user",
        **headers,
    }
    if is_global:
        hdrs["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    if not is_global:
        body["code"] = 0
    return DiscordError(429, 0, "You are being rate limited.", headers=hdrs, body=body)


# --- interactions -------------------------------------------------------------------------


@dataclass
class InteractionState:
    id: int
    token: str
    type: int
    payload: Json
    command: Json | None = None
    focused: Json | None = None
    channel_id: int | None = None
    dispatched_at: float | None = None
    acknowledged_at: float | None = None
    response_type: int | None = None
    expired: bool = False
    original: Json | None = None
    followups: dict[int, Json] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    user_id: int | None = None
    guild_id: int | None = None
    component_message_id: int | None = None
    """For a component interaction: the message whose component was used."""
    created: list[int] = field(default_factory=list)
    """Ids of the messages this interaction created (its reply, then followups)."""


@dataclass
class InteractionReply:
    """What the bot did about one interaction."""

    interaction_id: int
    requests: list[RecordedRequest]
    callback_attempts: list[RecordedRequest]
    dispatched_at: float | None
    created: list[Json] = field(default_factory=list)
    """Snapshots of the messages this interaction created, as Discord stores them."""

    @property
    def callback(self) -> RecordedRequest:
        ok = [r for r in self.callback_attempts if r.status is not None and r.status < 300]
        if ok:
            return ok[0]
        done = [r for r in self.callback_attempts if r.status != 429]
        return (done or self.callback_attempts)[0]

    @property
    def type(self) -> int:
        return int(self.callback.json["type"])

    @property
    def data(self) -> Json:
        return self.callback.json.get("data") or {}

    @property
    def latency(self) -> float:
        """Seconds from sending INTERACTION_CREATE to the first callback request arriving."""
        assert self.dispatched_at is not None
        return self.callback_attempts[0].at - self.dispatched_at

    @property
    def followups(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith("/webhooks/")]

    @property
    def edits(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "PATCH"]

    @property
    def messages(self) -> list[Json]:
        """Every message body the bot sent for this interaction, in order."""
        out: list[Json] = []
        for r in self.requests:
            if r.status is None or r.status >= 300:
                continue
            if r.path.endswith("/callback"):
                if r.json.get("type") in (4, 7) and r.json.get("data"):
                    out.append(r.json["data"])
            elif r.method in ("POST", "PATCH") and isinstance(r.json, dict):
                out.append(r.json)
        return out

    @property
    def created_message(self) -> Json:
        """The message object this interaction created last (with id, channel, components)."""
        assert self.created, f"the interaction created no message: {self.requests}"
        return self.created[-1]

    @property
    def components(self) -> list[Json]:
        return self.message.get("components") or []

    @property
    def message(self) -> Json:
        """The last message the member sees (the reply, or the followup after a defer)."""
        assert self.messages, f"no message was sent: {self.requests}"
        return self.messages[-1]

    @property
    def ephemeral(self) -> bool:
        flags = self.message.get("flags") or 0
        if self.type == 5:
            flags |= self.data.get("flags") or 0
        return bool(flags & EPHEMERAL)

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[Json]:
        return self.message.get("embeds") or []


class InteractionHandle:
    """Returned by `slash()`: await `.response()` for what the bot answered."""

    def __init__(self, double: DiscordDouble, state: InteractionState) -> None:
        self._double = double
        self.state = state
        self.id = state.id
        self.token = state.token

    def _attempts(self) -> list[RecordedRequest]:
        return [r for r in self.state.requests if r.path.endswith("/callback")]

    async def response(
        self, timeout: float = 5.0, *, settle: float = 0.15, followup: bool | None = None
    ) -> InteractionReply:
        """Wait for the callback (and, after a defer, a followup or edit), then `settle` s of quiet.

        `followup=None` waits for a followup only when the callback deferred (type 5/6).
        """
        d = self._double
        deadline = d.clock() + timeout

        def answered() -> bool:
            return any(r.status is not None and r.status != 429 for r in self._attempts())

        await d.wait_until(answered, timeout, f"a callback for interaction {self.id}")
        reply = self._reply()
        wants_followup = followup if followup is not None else reply.type in (5, 6)
        if wants_followup:
            await d.wait_until(
                lambda: any(
                    not r.path.endswith("/callback") and r.status is not None
                    for r in self.state.requests
                ),
                max(0.0, deadline - d.clock()),
                f"a followup or edit for interaction {self.id}",
            )

        def quiet() -> bool:
            last = max(r.answered_at or r.at for r in self.state.requests)
            pending = any(r.status is None for r in self.state.requests)
            return not pending and d.clock() - last >= settle

        with contextlib.suppress(TimeoutError):
            await d.wait_until(quiet, max(0.0, deadline - d.clock()) + settle, "quiet")
        return self._reply()

    def _reply(self) -> InteractionReply:
        d = self._double
        return InteractionReply(
            interaction_id=self.id,
            requests=list(self.state.requests),
            callback_attempts=self._attempts(),
            dispatched_at=self.state.dispatched_at,
            created=[copy.deepcopy(d.messages[m]) for m in self.state.created if m in d.messages],
        )


# --- gateway ------------------------------------------------------------------------------


@dataclass
class GatewayConnection:
    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    opened_at: float
    compressor: Any = None
    session: GatewaySession | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    received: list[Json] = field(default_factory=list)
    closed_by_server: bool = False
    close_code: int | None = None
    closed_at: float | None = None
    heartbeats: int = 0

    @property
    def live(self) -> bool:
        return self.closed_at is None and not self.ws.closed

    async def send(self, frame: Json) -> None:
        text = json.dumps(frame, separators=(",", ":"))
        if self.compressor is not None:
            data = self.compressor.compress(text.encode()) + self.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(text)


@dataclass
class GatewaySession:
    id: str
    identify: Json
    intents: int
    seq: int = 0
    log: list[tuple[int, Json]] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)
    conn: GatewayConnection | None = None
    resumable: bool = True
    resumes: list[Json] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class GuildSpec:
    id: int
    name: str
    owner_id: int
    channel_ids: list[int]
    channel_names: list[str]
    bot_role_id: int


RECORD = web.RequestKey("record", RecordedRequest)
AUTHORIZED = web.RequestKey("authorized", bool)


# --- the double ---------------------------------------------------------------------------


class DiscordDouble:
    """Discord's REST API and gateway on 127.0.0.1, for one bot application."""

    def __init__(
        self,
        *,
        token: str = "e2e-bot-token.not-a-real-secret",
        heartbeat_interval: int = 41250,
        ack_deadline: float = 3.0,
        global_rate_limit: int = 50,
        global_limit_exempts_interactions: bool = True,
        channel_message_limit: int = 5,
        channel_message_window: float = 5.0,
        privileged_intents_enabled: int = 0,
        compress: bool = True,
        guild_count: int = 1,
    ) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.ack_deadline = ack_deadline
        self.global_rate_limit = global_rate_limit
        # Discord: "Interaction endpoints are not bound to the bot's Global Rate Limit."
        self.global_limit_exempts_interactions = global_limit_exempts_interactions
        self.channel_message_limit = channel_message_limit
        self.channel_message_window = channel_message_window
        self.privileged_intents_enabled = privileged_intents_enabled
        self.compress = compress
        self.clock: Callable[[], float] = time.monotonic

        self.snowflake = Snowflakes()
        self.application_id = self.snowflake()
        self.bot_user: Json = self._user_payload(self.application_id, "Backbone", bot=True)
        self.owner = self._user_payload(self.snowflake(), "gym-owner")
        self.member_user = self._user_payload(self.snowflake(), "e2e-member")
        self.users: dict[int, Json] = {
            int(u["id"]): u for u in (self.bot_user, self.owner, self.member_user)
        }
        self.guilds: list[GuildSpec] = [self._make_guild(n) for n in range(guild_count)]
        self.dms_closed: set[int] = set()
        self.not_members: set[int] = set()  # users who are in no guild of the double
        self.dm_channels: dict[int, int] = {}  # channel id -> recipient id
        self.channel_messages: dict[int, list[Json]] = {}
        # Every message the bot created, as Discord stores it now (edits applied), by id.
        self.messages: dict[int, Json] = {}
        self._message_origin: dict[int, InteractionState] = {}

        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> commands
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self.interactions: dict[int, InteractionState] = {}
        self._by_token: dict[str, InteractionState] = {}

        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.current_session: GatewaySession | None = None
        self.ready_count = 0
        self.identify_count = 0
        self.tripwire_hits: list[Json] = []

        self._global = GlobalLimit()
        self._buckets: dict[str, Bucket] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # --- lifecycle ---

    async def start(self) -> Self:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/resume", self._gateway)
        app.router.add_get("/default-gateway", self._tripwire)
        r = app.router
        p = API_PREFIX
        r.add_get(p + "/users/@me", self._get_me)
        r.add_get(p + "/oauth2/applications/@me", self._get_application)
        r.add_get(p + "/gateway", self._get_gateway)
        r.add_get(p + "/gateway/bot", self._get_gateway_bot)
        r.add_get(p + "/applications/{app}/commands", self._get_commands)
        r.add_put(p + "/applications/{app}/commands", self._put_commands)
        r.add_get(p + "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        r.add_put(p + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_post(p + "/interactions/{iid}/{token}/callback", self._interaction_callback)
        r.add_post(p + "/webhooks/{app}/{token}", self._webhook_execute)
        r.add_route("*", p + "/webhooks/{app}/{token}/messages/{mid}", self._webhook_message)
        r.add_post(p + "/users/@me/channels", self._create_dm)
        r.add_post(p + "/channels/{cid}/messages", self._create_message)
        r.add_route("*", "/{tail:.*}", self._unknown_route)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            if conn.live:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.ws.close(code=1001), 2)
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def tripwire_url(self) -> str:
        """Where a client goes if it uses discord.py's built-in gateway instead of asking."""
        return f"ws://127.0.0.1:{self.port}/default-gateway"

    # --- waiting ---

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], T], timeout: float, what: str = "a condition"
    ) -> T:
        """Return predicate() once truthy; re-checked on every recorded change (and every 50 ms)."""
        deadline = self.clock() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    async def wait_ready(self, count: int = 1, timeout: float = 30.0) -> None:
        await self.wait_until(lambda: self.ready_count >= count, timeout, f"READY #{count}")

    # --- queries ---

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method == "*" or r.method == method.upper()) and pattern.search(r.path)
        ]

    def interaction_responses(self, interaction_id: int) -> list[RecordedRequest]:
        return list(self.interactions[interaction_id].requests)

    def rate_limited(self, *, is_global: bool | None = None) -> list[RecordedRequest]:
        out = [r for r in self.requests if r.status == 429]
        if is_global is not None:
            out = [r for r in out if bool((r.response or {}).get("global")) is is_global]
        return out

    def message_payloads(self) -> list[tuple[RecordedRequest, Json]]:
        """Every message body the bot sent or edited (callbacks 4/7, webhooks, channels)."""
        out: list[tuple[RecordedRequest, Json]] = []
        for r in self.requests:
            if not isinstance(r.json, dict):
                continue
            if r.path.endswith("/callback"):
                if r.json.get("type") in (4, 7) and isinstance(r.json.get("data"), dict):
                    out.append((r, r.json["data"]))
            elif r.method in ("POST", "PATCH") and (
                r.path.startswith("/webhooks/") or re.match(r"^/channels/\d+/messages", r.path)
            ):
                out.append((r, r.json))
        return out

    def registered(self, guild_id: int | None = None) -> dict[str, Json]:
        return {c["name"]: c for c in self.commands.get(guild_id, [])}

    # --- users and guilds ---

    def _user_payload(self, user_id: int, name: str, *, bot: bool = False) -> Json:
        user: Json = {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name.title(),
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if bot:
            user.update(bot=True, verified=True, mfa_enabled=False, locale="en-US", email=None)
        return user

    def make_user(self, name: str, *, dms_closed: bool = False, member: bool = True) -> Json:
        """A new user; `member=False`: one who is in none of the double's servers."""
        user = self._user_payload(self.snowflake(), name)
        self.users[int(user["id"])] = user
        if dms_closed:
            self.dms_closed.add(int(user["id"]))
        if not member:
            self.not_members.add(int(user["id"]))
        return user

    def _make_guild(self, n: int) -> GuildSpec:
        return GuildSpec(
            id=self.snowflake(),
            name="Backbone Test Gym" if n == 0 else f"Backbone Test Gym {n + 1}",
            owner_id=int(self.owner["id"]),
            channel_ids=[self.snowflake(), self.snowflake()],
            channel_names=["general", "posture-nudges"],
            bot_role_id=self.snowflake(),
        )

    @property
    def guild(self) -> GuildSpec:
        return self.guilds[0]

    def _guild_by_id(self, guild_id: int) -> GuildSpec | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def _channel_payload(self, guild: GuildSpec, index: int, *, with_guild: bool) -> Json:
        data: Json = {
            "id": str(guild.channel_ids[index]),
            "type": 0,
            "name": guild.channel_names[index],
            "position": index,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "permission_overwrites": [],
            "flags": 0,
        }
        if with_guild:
            data["guild_id"] = str(guild.id)
        return data

    def _member_payload(self, user: Json, *, roles: list[int], permissions: int | None) -> Json:
        member: Json = {
            "user": user,
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": "2025-01-06T09:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
            "avatar_decoration_data": None,
        }
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    def _guild_create(self, guild: GuildSpec) -> Json:
        everyone = {
            "id": str(guild.id),
            "name": "@everyone",
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(EVERYDAY_MEMBER_PERMISSIONS),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        bot_role = {
            **everyone,
            "id": str(guild.bot_role_id),
            "name": "Backbone",
            "position": 1,
            "permissions": str(BOT_PERMISSIONS),
            "managed": True,
            "tags": {"bot_id": str(self.application_id)},
        }
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [everyone, bot_role],
            "emojis": [],
            "stickers": [],
            "soundboard_sounds": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(guild.channel_ids[0]),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "nsfw": False,
            "incidents_data": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
            "home_header": None,
            "version": int(time.time() * 1000),
            "joined_at": "2025-01-06T09:00:00.000000+00:00",
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": 3,
            "voice_states": [],
            "members": [
                self._member_payload(self.bot_user, roles=[guild.bot_role_id], permissions=None)
            ],
            "channels": [
                self._channel_payload(guild, i, with_guild=False)
                for i in range(len(guild.channel_ids))
            ],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {},
        }

    # --- HTTP plumbing ---

    def _violation(
        self, kind: str, message: str, request: RecordedRequest | None, errors: Any = None
    ) -> None:
        self.violations.append(Violation(kind, message, request, errors))

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)  # type: ignore[no-any-return]
        now = self.clock()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        record = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            headers=headers,
            json=None,
            files=[],
            at=now,
        )
        self.requests.append(record)
        self._associate(record)
        request[RECORD] = record
        request[AUTHORIZED] = request.headers.get("Authorization") == f"Bot {self.token}"
        extra: dict[str, str] = {}
        try:
            await self._read_body(request, record)
            self._check_auth(request, record)
            self._check_global(request, record)
            extra = self._take_bucket(request, record)
            result = await handler(request)
            status, body = result if isinstance(result, tuple) else (200, result)
        except DiscordError as exc:
            status, body = exc.status, exc.payload()
            extra.update(exc.headers)
            if exc.violation:
                self._violation(exc.violation, exc.message, record, exc.errors)
        record.status, record.response = status, body
        record.answered_at = self.clock()
        out_headers = {"Via": "1.1 google", **extra}
        if status == 204 or body is None:
            response: web.StreamResponse = web.Response(status=204, headers=out_headers)
        else:
            response = json_response(body, status=status, headers=out_headers)
        self._notify()
        return response

    def _associate(self, record: RecordedRequest) -> None:
        """Tie interaction callbacks and webhook calls to their interaction, 429s included."""
        state: InteractionState | None = None
        if m := re.match(r"^/interactions/(\d+)/([^/]+)/callback$", record.path):
            state = self.interactions.get(int(m.group(1)))
            if state is not None and state.token != m.group(2):
                state = None
        elif m := re.match(r"^/webhooks/(\d+)/([^/]+)", record.path):
            state = self._by_token.get(m.group(2))
        if state is not None:
            record.interaction_id = state.id
            state.requests.append(record)

    async def _read_body(self, request: web.Request, record: RecordedRequest) -> None:
        if not request.can_read_body:
            return
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: Discord does not take it either
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    record.json = self._parse_json(bytes(data))
                else:
                    record.files.append(
                        {
                            "name": part.name,
                            "filename": part.filename,
                            "content_type": part.headers.get("Content-Type"),
                            "size": len(data),
                            "data": bytes(data),
                        }
                    )
        else:
            raw = await request.read()
            if raw:
                record.json = self._parse_json(raw)

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise DiscordError(
                400, 50109, "The request body contains invalid JSON.", violation="invalid_json"
            ) from None

    @staticmethod
    def _is_interaction_route(path: str) -> bool:
        return path.startswith(("/interactions/", "/webhooks/"))

    def _check_auth(self, request: web.Request, record: RecordedRequest) -> None:
        if self._is_interaction_route(record.path):
            return  # interaction callbacks and webhooks authenticate with their token
        if not request[AUTHORIZED]:
            raise DiscordError(401, 0, "401: Unauthorized")

    def _check_global(self, request: web.Request, record: RecordedRequest) -> None:
        if self._is_interaction_route(record.path) and self.global_limit_exempts_interactions:
            return
        retry = self._global.take(self.clock(), self.global_rate_limit)
        if retry is not None:
            raise _rate_limited(retry, is_global=True, headers={})

    def _take_bucket(self, request: web.Request, record: RecordedRequest) -> dict[str, str]:
        path = record.path
        if request.method == "POST" and (m := re.match(r"^/channels/(\d+)/messages$", path)):
            key, limit, window = (
                f"channel-messages:{m.group(1)}",
                self.channel_message_limit,
                self.channel_message_window,
            )
            name = "5f2a0c0bd7e5a4f0e4b1c4a9d8e7f6a1"
        elif m := re.match(r"^/(?:interactions|webhooks)/(\d+)/([^/]+)", path):
            key, limit, window = f"interaction:{m.group(1)}:{m.group(2)}", 50, 1.0
            name = "e7a5d1c3b9f0a8e6d4c2b0a9f8e7d6c5"
        else:
            template = re.sub(r"\d{15,21}", "{id}", path)
            key, limit, window = f"{request.method} {template}", 50, 1.0
            name = f"{abs(hash(key)) & ((1 << 64) - 1):016x}"
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(name, limit, window)
        ok, headers = bucket.take(self.clock())
        if not ok:
            retry = float(headers["X-RateLimit-Reset-After"]) or 0.001
            raise _rate_limited(retry, is_global=False, headers=headers)
        return headers

    # --- REST: login ---

    async def _get_me(self, request: web.Request) -> Json:
        return self.bot_user

    async def _get_application(self, request: web.Request) -> Json:
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        if self.privileged_intents_enabled & (1 << 1):
            flags |= 1 << 15  # GATEWAY_GUILD_MEMBERS_LIMITED
        if self.privileged_intents_enabled & (1 << 8):
            flags |= 1 << 13  # GATEWAY_PRESENCE_LIMITED
        if self.privileged_intents_enabled & (1 << 15):
            flags |= 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED
        return {
            "id": str(self.application_id),
            "name": "Backbone",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner,
            "team": None,
            "flags": flags,
            "tags": [],
            "redirect_uris": [],
            "rpc_origins": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
            "bot": self.bot_user,
        }

    async def _get_gateway(self, request: web.Request) -> Json:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request) -> Json:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.identify_count,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    # --- REST: application commands ---

    def _command_target(self, request: web.Request) -> int | None:
        if int(request.match_info["app"]) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        raw = request.match_info.get("guild")
        if raw is None:
            return None
        guild_id = int(raw)
        if self._guild_by_id(guild_id) is None:
            raise DiscordError(403, 50001, "Missing Access", violation="unknown_guild")
        return guild_id

    async def _get_commands(self, request: web.Request) -> list[Json]:
        return self.commands.get(self._command_target(request), [])

    async def _put_commands(self, request: web.Request) -> list[Json]:
        guild_id = self._command_target(request)
        body = request[RECORD].json
        errors = check_commands(body)
        errors.raise_if_any(kind="invalid_command")
        stored = []
        for command in body:
            kind = command.get("type", 1)
            key = (guild_id, kind, command["name"])
            if key not in self._command_ids:
                self._command_ids[key] = self.snowflake()
            dmp = command.get("default_member_permissions")
            item: Json = {
                "id": str(self._command_ids[key]),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "type": kind,
                "name": command["name"],
                "name_localizations": command.get("name_localizations"),
                "description": command.get("description", ""),
                "description_localizations": command.get("description_localizations"),
                "default_member_permissions": None if dmp is None else str(dmp),
                "nsfw": bool(command.get("nsfw", False)),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
            }
            if guild_id is None:
                item["dm_permission"] = command.get("dm_permission", True) is not False
            else:
                item["guild_id"] = str(guild_id)
            if command.get("options"):
                item["options"] = _strip_nulls(command["options"])
            stored.append(item)
        self.commands[guild_id] = stored
        return stored

    # --- driving interactions ---

    def _find_command(self, name: str, guild_id: int | None) -> tuple[Json, bool]:
        if guild_id is not None and name in self.registered(guild_id):
            return self.registered(guild_id)[name], True
        if name in self.registered(None):
            return self.registered(None)[name], False
        known = sorted(set(self.registered(None)) | set(self.registered(guild_id)))
        raise LookupError(f"/{name} is not registered (registered: {known})")

    def _build_options(
        self,
        schema: list[Json],
        values: Mapping[str, Any],
        *,
        focused: str | None,
        where: str,
        resolved: Json,
        guild: GuildSpec | None,
    ) -> list[Json]:
        """`data.options` for these values; USER options also fill `resolved` like Discord."""
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(f"{where}: no option(s) {sorted(unknown)}; has {sorted(by_name)}")
        out: list[Json] = []
        for name, opt in by_name.items():
            if name not in values:
                if opt.get("required") and focused is None:
                    raise ValueError(f"{where}: required option {name!r} missing")
                continue
            value = values[name]
            kind = opt["type"]
            item: Json = {"type": kind, "name": name}
            if name == focused:
                item["value"] = str(value)
                item["focused"] = True
            elif kind == USER_OPTION:
                user = self._option_user(value, where, name)
                item["value"] = user["id"]
                if focused is None:  # autocomplete interactions carry no resolved data
                    resolved.setdefault("users", {})[user["id"]] = user
                    if guild is not None and int(user["id"]) not in self.not_members:
                        member = self._member_payload(
                            user, roles=[], permissions=EVERYDAY_MEMBER_PERMISSIONS
                        )
                        del member["user"], member["deaf"], member["mute"]
                        resolved.setdefault("members", {})[user["id"]] = member
            else:
                item["value"] = self._option_value(opt, value, where)
            out.append(item)
        return out

    def _option_user(self, value: Any, where: str, name: str) -> Json:
        """A USER option's value: a user payload (e.g. from `make_user`) or a known user id."""
        if isinstance(value, dict):
            user = self.users.setdefault(int(value["id"]), value)
        else:
            try:
                user = self.users[int(value)]
            except (KeyError, TypeError, ValueError):
                raise LookupError(f"{where}: option {name!r}: no user {value!r}") from None
        return user

    @staticmethod
    def _option_value(opt: Json, value: Any, where: str) -> Any:
        kind = opt["type"]
        name = opt["name"]
        if kind == 3:
            if not isinstance(value, str):
                raise TypeError(f"{where}: option {name!r} takes a string")
            lo, hi = opt.get("min_length", 0), opt.get("max_length", 6000)
            if not lo <= len(value) <= hi:
                raise ValueError(f"{where}: Discord's client only sends {name} of {lo}..{hi} chars")
        elif kind in (4, 10):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{where}: option {name!r} takes a number")
            value = int(value) if kind == 4 else float(value)
            lo, hi = opt.get("min_value"), opt.get("max_value")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ValueError(
                    f"{where}: Discord's client only sends {name} between {lo} and {hi}"
                )
        elif kind == 5:
            value = bool(value)
        else:
            raise NotImplementedError(f"option type {kind} is not modelled by the double")
        if opt.get("choices") and value not in [c["value"] for c in opt["choices"]]:
            raise ValueError(f"{where}: {value!r} is not one of the choices of {name!r}")
        return value

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        user: Json | None = None,
        permissions: int | str | None = None,
        guild: int | None = None,
        dm: bool = False,
        channel: int | None = None,
        locale: str = "en-US",
        permission_override: bool = False,
        _focused: str | None = None,
    ) -> InteractionHandle:
        """Send an INTERACTION_CREATE for `/name [group] [subcommand] options...`.

        `guild=None` means the double's first guild; `dm=True` a DM with the bot. Like
        Discord's client, this refuses to invoke what a member could not see: an
        unregistered command, a missing required option, a command whose
        `default_member_permissions` the member lacks (unless `permission_override=True`,
        modelling a server's Integrations override).
        """
        guild_spec: GuildSpec | None = None
        if not dm:
            guild_spec = self.guild if guild is None else self._guild_by_id(guild)
            if guild_spec is None:
                raise LookupError(f"the bot is not in guild {guild}")
        guild_id = guild_spec.id if guild_spec else None
        command, guild_command = self._find_command(name, guild_id)
        where = f"/{name}"
        member_perms = int(permissions) if permissions is not None else EVERYDAY_MEMBER_PERMISSIONS
        if guild_spec is not None:
            dmp = command.get("default_member_permissions")
            if (
                dmp is not None
                and not permission_override
                and not member_perms & ADMINISTRATOR
                and member_perms & int(dmp) != int(dmp)
            ):
                raise PermissionError(
                    f"Discord would not show {where} to a member with permissions "
                    f"{member_perms} (needs {dmp}); pass permission_override=True to model "
                    "a server's Integrations override"
                )
        elif command.get("dm_permission") is False or (
            command.get("contexts") is not None and 1 not in command["contexts"]
        ):
            raise PermissionError(f"{where} is not available in DMs")

        schema = command.get("options") or []
        values = dict(options or {})
        resolved: Json = {}
        data_options: list[Json]
        if group is not None or subcommand is not None:
            level = schema
            nest: list[tuple[int, str]] = []
            if group is not None:
                g = next((o for o in level if o["name"] == group and o["type"] == 2), None)
                if g is None:
                    raise LookupError(f"{where} has no subcommand group {group!r}")
                level, where = g.get("options") or [], f"{where} {group}"
                nest.append((2, group))
            s = next((o for o in level if o["name"] == subcommand and o["type"] == 1), None)
            if s is None:
                raise LookupError(f"{where} has no subcommand {subcommand!r}")
            where = f"{where} {subcommand}"
            data_options = self._build_options(
                s.get("options") or [],
                values,
                focused=_focused,
                where=where,
                resolved=resolved,
                guild=guild_spec,
            )
            focused_schema = next(
                (o for o in s.get("options") or [] if o["name"] == _focused), None
            )
            wrapped: list[Json] = [{"type": 1, "name": subcommand, "options": data_options}]
            if group is not None:
                wrapped = [{"type": 2, "name": group, "options": wrapped}]
            data_options = wrapped
        else:
            if any(o["type"] in (1, 2) for o in schema):
                raise ValueError(f"{where} needs a subcommand")
            data_options = self._build_options(
                schema, values, focused=_focused, where=where, resolved=resolved, guild=guild_spec
            )
            focused_schema = next((o for o in schema if o["name"] == _focused), None)
        if _focused is not None and (
            focused_schema is None or not focused_schema.get("autocomplete")
        ):
            raise ValueError(f"{where}: option {_focused!r} has no autocomplete")

        data: Json = {"id": command["id"], "name": name, "type": 1}
        if data_options:
            data["options"] = data_options
        if resolved:
            data["resolved"] = resolved
        if guild_command:
            data["guild_id"] = str(guild_id)
        return await self._send_interaction(
            AUTOCOMPLETE if _focused is not None else APPLICATION_COMMAND,
            data,
            invoker=user or self.member_user,
            permissions=member_perms,
            guild=guild_spec,
            channel=channel,
            locale=locale,
            command=command,
            focused=focused_schema if _focused is not None else None,
        )

    async def _send_interaction(
        self,
        kind: int,
        data: Json,
        *,
        invoker: Json,
        permissions: int,
        guild: GuildSpec | None,
        channel: int | None,
        locale: str,
        command: Json | None = None,
        focused: Json | None = None,
        message: Json | None = None,
    ) -> InteractionHandle:
        """Wrap `data` in an interaction the way Discord does, dispatch it, return its handle."""
        iid = self.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        self.users.setdefault(int(invoker["id"]), invoker)
        payload: Json = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            index = guild.channel_ids.index(channel) if channel else 0
            channel_id = guild.channel_ids[index]
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(channel_id),
                channel=self._channel_payload(guild, index, with_guild=True),
                member=self._member_payload(invoker, roles=[], permissions=permissions),
                app_permissions=str(BOT_PERMISSIONS),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            channel_id = self._dm_channel_for(int(invoker["id"]))
            payload.update(
                channel_id=str(channel_id),
                channel={
                    "id": str(channel_id),
                    "type": 1,
                    "last_message_id": None,
                    "flags": 0,
                    "recipients": [invoker],
                },
                user=invoker,
                app_permissions=str(EVERYDAY_MEMBER_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = message
        state = InteractionState(
            id=iid,
            token=token,
            type=kind,
            payload=payload,
            command=command,
            focused=focused,
            channel_id=channel_id,
            user_id=int(invoker["id"]),
            guild_id=guild.id if guild is not None else None,
            component_message_id=int(message["id"]) if message is not None else None,
        )
        self.interactions[iid] = state
        self._by_token[token] = state
        session = self.current_session
        if session is None:
            raise RuntimeError("no gateway session: is the bot connected?")
        await self.dispatch(session, "INTERACTION_CREATE", payload)
        return InteractionHandle(self, state)

    def message(self, message: Json | int | str) -> Json:
        """The bot's message as Discord stores it now (edits applied)."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        try:
            return self.messages[mid]
        except KeyError:
            raise LookupError(f"the bot never created message {mid} (or deleted it)") from None

    async def click(
        self,
        message: Json | int | str,
        custom_id: str,
        *,
        user: Json | None = None,
        permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Press the button `custom_id` on a message the bot created (a MESSAGE_COMPONENT).

        Like Discord's client, this refuses what a member could not press: a message the bot
        never sent (or deleted), a button it does not carry now, a disabled or link button,
        or somebody else's ephemeral message.
        """
        current = self.message(message)
        mid = int(current["id"])
        button = find_component(current.get("components") or [], custom_id)
        if button is None:
            raise LookupError(
                f"message {mid} has no component {custom_id!r} "
                f"(has {custom_ids(current.get('components') or [])})"
            )
        if button.get("type") != BUTTON:
            raise NotImplementedError("only buttons are modelled by click()")
        if button.get("disabled"):
            raise PermissionError(f"Discord's client cannot press the disabled {custom_id!r}")
        if button.get("style") in (LINK_STYLE, PREMIUM_STYLE):
            raise ValueError(f"{custom_id!r} is a link or premium button: it sends no interaction")
        invoker = user or self.member_user
        origin = self._message_origin.get(mid)
        if current.get("flags", 0) & EPHEMERAL and (
            origin is None or origin.user_id != int(invoker["id"])
        ):
            raise PermissionError(f"message {mid} is ephemeral: only its recipient sees it")
        cid = int(current["channel_id"])
        guild = next((g for g in self.guilds if cid in g.channel_ids), None)
        if guild is None and cid not in self.dm_channels:
            raise LookupError(f"message {mid} is in no channel the double knows")
        data: Json = {"custom_id": custom_id, "component_type": BUTTON}
        if button.get("id") is not None:
            data["id"] = button["id"]
        member_perms = int(permissions) if permissions is not None else EVERYDAY_MEMBER_PERMISSIONS
        return await self._send_interaction(
            MESSAGE_COMPONENT,
            data,
            invoker=invoker,
            permissions=member_perms,
            guild=guild,
            channel=cid if guild is not None else None,
            locale=locale,
            message=copy.deepcopy(current),
        )

    async def autocomplete_interaction(
        self,
        name: str,
        option: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> InteractionHandle:
        """Send an autocomplete interaction (type 4) with `option` focused; return its handle."""
        values = {**(options or {}), option: value}
        return await self.slash(name, values, _focused=option, **kwargs)

    async def autocomplete(
        self,
        name: str,
        option: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        *,
        timeout: float = 5.0,
        **kwargs: Any,
    ) -> list[Json]:
        """Send an autocomplete interaction with `option` focused; return the bot's choices."""
        handle = await self.autocomplete_interaction(name, option, value, options, **kwargs)
        reply = await handle.response(timeout=timeout, settle=0.05)
        assert reply.callback.status == 200, reply.callback.response
        assert reply.type == 8, f"autocomplete answered with callback type {reply.type}"
        choices: list[Json] = reply.data.get("choices", [])
        return choices

    # --- REST: interaction callbacks ---

    def _message_object(
        self,
        body: Json,
        *,
        channel_id: int | None,
        files: list[Json],
        flags: int = 0,
        msg_type: int = 0,
        webhook: bool = False,
        author: Json | None = None,
        interaction: InteractionState | None = None,
    ) -> Json:
        mid = self.snowflake()
        attachments = [
            {
                "id": str(self.snowflake()),
                "filename": f["filename"],
                "size": f["size"],
                "url": f"{self.base_url}/attachments/{mid}/{f['filename']}",
                "proxy_url": f"{self.base_url}/attachments/{mid}/{f['filename']}",
                "content_type": f.get("content_type"),
            }
            for f in files
        ]
        message: Json = {
            "id": str(mid),
            "channel_id": str(channel_id or 0),
            "type": msg_type,
            "content": body.get("content") or "",
            "author": author or self.bot_user,
            "embeds": [_embed_as_stored(e) for e in body.get("embeds") or []],
            "attachments": attachments,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": (body.get("flags") or 0) | flags,
            "components": _components_as_stored(body.get("components") or []),
        }
        if webhook:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            message["interaction_metadata"] = self._interaction_metadata(interaction)
        return message

    def _interaction_metadata(self, state: InteractionState) -> Json:
        user = self.users.get(state.user_id or 0) or self.member_user
        owners = state.payload.get("authorizing_integration_owners") or {"0": "0"}
        meta: Json = {
            "id": str(state.id),
            "type": state.type,
            "user": user,
            "authorizing_integration_owners": owners,
        }
        if state.type == APPLICATION_COMMAND and state.command is not None:
            meta["name"] = state.command["name"]
            meta["command_type"] = state.command.get("type", 1)
        if state.component_message_id is not None:
            meta["interacted_message_id"] = str(state.component_message_id)
        return meta

    def _remember(self, message: Json, state: InteractionState | None = None) -> Json:
        """Keep (or replace) the bot's message by id; tie it to the interaction that made it."""
        mid = int(message["id"])
        self.messages[mid] = message
        if state is not None:
            self._message_origin.setdefault(mid, state)
            if mid not in state.created and state.component_message_id != mid:
                state.created.append(mid)
        origin = self._message_origin.get(mid)
        if origin is not None:
            if origin.original is not None and int(origin.original["id"]) == mid:
                origin.original = message
            if mid in origin.followups:
                origin.followups[mid] = message
        return message

    def _forget(self, mid: int) -> None:
        self.messages.pop(mid, None)
        origin = self._message_origin.get(mid)
        if origin is not None:
            if origin.original is not None and int(origin.original["id"]) == mid:
                origin.original = None
            origin.followups.pop(mid, None)

    @staticmethod
    def _edited(message: Json, body: Json) -> Json:
        """`message` with an edit applied the way Discord applies one (absent keys stay)."""
        edited = copy.deepcopy(message)
        for key in ("content", "embeds", "components", "attachments"):
            if key in body:
                edited[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if "embeds" in body:
            edited["embeds"] = [_embed_as_stored(e) for e in body.get("embeds") or []]
        if "components" in body:
            edited["components"] = _components_as_stored(body.get("components") or [])
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can change on an existing message; EPHEMERAL cannot.
            keep = (edited.get("flags") or 0) & ~(1 << 2)
            edited["flags"] = keep | (body["flags"] & (1 << 2))
        edited["flags"] = (edited.get("flags") or 0) & ~LOADING
        edited["edited_timestamp"] = _now_iso()
        return edited

    async def _interaction_callback(self, request: web.Request) -> tuple[int, Json | None]:
        record: RecordedRequest = request[RECORD]
        iid = int(request.match_info["iid"])
        state = self.interactions.get(iid)
        if state is None or state.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction", violation="unknown_interaction")
        if state.acknowledged_at is not None:
            raise DiscordError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation="already_acknowledged",
            )
        dispatched = state.dispatched_at if state.dispatched_at is not None else record.at
        if state.expired or record.at - dispatched > self.ack_deadline:
            first = not state.expired
            state.expired = True
            raise DiscordError(
                404,
                10062,
                "Unknown interaction",
                violation="late_callback" if first else "unknown_interaction",
            )
        body = record.json
        errors = FormErrors()
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            errors.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
        kind = body["type"]
        if kind not in CALLBACKS_FOR.get(state.type, set()):
            errors.add(
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {state.type}",
            )
            errors.raise_if_any(kind="invalid_callback_type")
        data = body.get("data")
        component_message: Json | None = None
        if kind in (6, 7):
            if state.component_message_id is not None:
                component_message = self.messages.get(state.component_message_id)
            if component_message is None:
                raise DiscordError(404, 10008, "Unknown Message", violation="unknown_message")
        if kind in (4, 7):
            errors.extend(check_message(data or {}, ("data",), files=len(record.files)))
            errors.raise_if_any()
            if kind == 4 and message_is_empty(data or {}, len(record.files)):
                raise DiscordError(
                    400, 50006, "Cannot send an empty message", violation="empty_message"
                )
            if kind == 7 and component_message is not None:
                update = self._edited(component_message, data or {})
                if message_is_empty(update, len(record.files)):
                    raise DiscordError(
                        400, 50006, "Cannot send an empty message", violation="empty_message"
                    )
        elif kind == 5:
            flags = (data or {}).get("flags") or 0
            if flags & ~(EPHEMERAL | (1 << 12)):
                errors.add(("data", "flags"), "MESSAGE_FLAGS_INVALID", "Invalid message flags.")
        elif kind == 8:
            option_type = (state.focused or {}).get("type", 3)
            choices = (data or {}).get("choices")
            if choices is None:
                errors.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                errors.extend(check_choices(choices, option_type, ("data", "choices")))
        elif kind == 9:
            modal = data or {}
            _length(errors, ("data", "custom_id"), modal.get("custom_id"), 1, 100)
            _length(errors, ("data", "title"), modal.get("title"), 1, 45)
            rows = modal.get("components")
            if not isinstance(rows, list) or not 1 <= len(rows) <= 5:
                errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 5.")
        errors.raise_if_any()

        state.acknowledged_at = record.at
        state.response_type = kind
        if kind in (4, 5):
            flags = LOADING if kind == 5 else 0
            state.original = self._message_object(
                data or {},
                channel_id=state.channel_id,
                files=record.files,
                flags=flags | ((data or {}).get("flags") or 0),
                msg_type=20 if state.type == APPLICATION_COMMAND else 0,
                webhook=True,
                interaction=state,
            )
            self._remember(state.original, state)
        elif kind in (6, 7) and component_message is not None:
            # After an update (or a deferred one), @original is the component's message.
            if kind == 7:
                component_message = self._edited(component_message, data or {})
                self._remember(component_message)
            state.original = component_message
        if request.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        resource: Json = {"type": kind}
        if state.original is not None and kind in (4, 5, 6, 7):
            resource["message"] = state.original
        msg_flags = (state.original or {}).get("flags", 0)
        return 200, {
            "interaction": {
                "id": str(iid),
                "type": state.type,
                "response_message_id": (state.original or {}).get("id"),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(msg_flags & EPHEMERAL),
            },
            "resource": resource,
        }

    # --- REST: interaction webhooks ---

    def _webhook_state(self, request: web.Request) -> InteractionState:
        record: RecordedRequest = request[RECORD]
        state = self._by_token.get(request.match_info["token"])
        if int(request.match_info["app"]) != self.application_id or state is None:
            raise DiscordError(404, 10015, "Unknown Webhook", violation="unknown_webhook")
        if state.acknowledged_at is None:
            raise DiscordError(
                404, 10015, "Unknown Webhook", violation="webhook_before_acknowledgement"
            )
        if record.at - state.acknowledged_at > WEBHOOK_TOKEN_LIFETIME:
            raise DiscordError(401, 50027, "Invalid Webhook Token", violation="expired_token")
        return state

    async def _webhook_execute(self, request: web.Request) -> tuple[int, Json | None]:
        state = self._webhook_state(request)
        record: RecordedRequest = request[RECORD]
        body = record.json if isinstance(record.json, dict) else {}
        check_message(body, files=len(record.files)).raise_if_any()
        if message_is_empty(body, len(record.files)):
            raise DiscordError(
                400, 50006, "Cannot send an empty message", violation="empty_message"
            )
        message = self._message_object(
            body, channel_id=state.channel_id, files=record.files, webhook=True, interaction=state
        )
        if (
            state.response_type == 5
            and state.original is not None
            and state.original["flags"] & LOADING
        ):
            # Discord turns the first followup after a "thinking" defer into the original.
            message["id"] = state.original["id"]
            message["type"] = state.original["type"]
            state.original = message
        state.followups[int(message["id"])] = message
        self._remember(message, state)
        if request.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    async def _webhook_message(self, request: web.Request) -> tuple[int, Json | None]:
        state = self._webhook_state(request)
        record: RecordedRequest = request[RECORD]
        mid = request.match_info["mid"]
        if mid == "@original":
            message = state.original
        else:
            message = state.followups.get(int(mid)) if mid.isdigit() else None
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message", violation="unknown_message")
        if request.method == "GET":
            return 200, message
        if request.method == "DELETE":
            if mid == "@original":
                state.original = None
            else:
                state.followups.pop(int(mid), None)
            self._forget(int(message["id"]))
            return 204, None
        if request.method != "PATCH":
            raise DiscordError(405, 0, "405: Method Not Allowed", violation="bad_method")
        body = record.json if isinstance(record.json, dict) else {}
        v2 = (message.get("flags") or 0) & V2
        check_message(
            {**body, "flags": (body.get("flags") or 0) | v2} if v2 else body,
            files=len(record.files),
        ).raise_if_any()
        edited = self._edited(message, body)
        if message_is_empty(edited, len(record.files)):
            raise DiscordError(
                400, 50006, "Cannot send an empty message", violation="empty_message"
            )
        if mid == "@original":
            state.original = edited
        else:
            state.followups[int(mid)] = edited
        self._remember(edited)
        return 200, edited

    # --- REST: DMs and channel messages ---

    def _dm_channel_for(self, user_id: int) -> int:
        for cid, uid in self.dm_channels.items():
            if uid == user_id:
                return cid
        cid = self.snowflake()
        self.dm_channels[cid] = user_id
        return cid

    async def _create_dm(self, request: web.Request) -> Json:
        body = request[RECORD].json or {}
        try:
            user_id = int(body["recipient_id"])
        except (KeyError, TypeError, ValueError):
            errors = FormErrors()
            errors.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
            raise AssertionError("unreachable") from None
        user = self.users.get(user_id) or self._user_payload(user_id, f"user-{user_id}")
        cid = self._dm_channel_for(user_id)
        return {
            "id": str(cid),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user],
        }

    async def _create_message(self, request: web.Request) -> Json:
        record: RecordedRequest = request[RECORD]
        cid = int(request.match_info["cid"])
        guild_channels = {c for g in self.guilds for c in g.channel_ids}
        if cid not in guild_channels and cid not in self.dm_channels:
            raise DiscordError(404, 10003, "Unknown Channel", violation="unknown_channel")
        if cid in self.dm_channels and self.dm_channels[cid] in self.dms_closed:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        body = record.json if isinstance(record.json, dict) else {}
        check_message(body, files=len(record.files)).raise_if_any()
        if message_is_empty(body, len(record.files)):
            raise DiscordError(
                400, 50006, "Cannot send an empty message", violation="empty_message"
            )
        if (body.get("flags") or 0) & EPHEMERAL:
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "flags": {
                        "_errors": [
                            {
                                "code": "MESSAGE_FLAGS_INVALID",
                                "message": "Only interaction messages can be ephemeral.",
                            }
                        ]
                    }
                },
                violation="invalid_form_body",
            )
        message = self._message_object(body, channel_id=cid, files=record.files)
        if cid not in self.dm_channels:
            message["guild_id"] = str(next(g.id for g in self.guilds if cid in g.channel_ids))
        self.channel_messages.setdefault(cid, []).append(message)
        self._remember(message)
        return message

    async def _unknown_route(self, request: web.Request) -> Json:
        raise DiscordError(404, 0, "404: Not Found", violation="unknown_route")

    # --- gateway ---

    async def _tripwire(self, request: web.Request) -> web.StreamResponse:
        self.tripwire_hits.append({"at": self.clock(), "query": dict(request.query)})
        self._violation(
            "default_gateway",
            "the client connected to discord.py's built-in gateway URL instead of the one "
            "GET /gateway/bot returned",
            None,
        )
        self._notify()
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def dispatch(self, session: GatewaySession, event: str, data: Json) -> int:
        """Send (or, while disconnected, queue for RESUME) one DISPATCH; return its seq."""
        async with session.lock:
            session.seq += 1
            seq = session.seq
            frame = {"op": 0, "t": event, "s": seq, "d": data}
            session.log.append((seq, frame))
            conn = session.conn
            if conn is not None and conn.live:
                await self._send_logged(session, conn, seq, frame)
        self._notify()
        return seq

    async def _send_logged(
        self, session: GatewaySession, conn: GatewayConnection, seq: int, frame: Json
    ) -> None:
        async with conn.lock:
            try:
                await conn.send(frame)
            except (ConnectionError, RuntimeError):
                return  # kept in the log; a RESUME replays it
        now = self.clock()
        session.sent_at.setdefault(seq, now)
        if frame["t"] == "INTERACTION_CREATE":
            state = self.interactions.get(int(frame["d"]["id"]))
            if state is not None and state.dispatched_at is None:
                state.dispatched_at = now

    async def force_disconnect(self, code: int = 4000) -> int:
        """Close the bot's gateway socket like Discord does on a hiccup; return resumes so far."""
        session = self.current_session
        assert session is not None and session.conn is not None, "no live gateway connection"
        before = len(session.resumes)
        conn = session.conn
        conn.closed_by_server = True
        async with session.lock:
            session.conn = None
        task = asyncio.create_task(conn.ws.close(code=code, message=b"e2e: forced disconnect"))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return before

    async def wait_resumed(self, since: int, timeout: float = 15.0) -> Json:
        """Wait for a RESUME after `force_disconnect()`; return the RESUME payload."""

        def resumed() -> Json | None:
            session = self.current_session
            if session is None or len(session.resumes) <= since:
                return None
            return session.resumes[since]

        return await self.wait_until(resumed, timeout, "the bot to RESUME")

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        query = dict(request.query)
        conn = GatewayConnection(ws=ws, path=request.path, query=query, opened_at=self.clock())
        if query.get("compress") == "zlib-stream" and self.compress:
            conn.compressor = zlib.compressobj()
        self.connections.append(conn)
        self._notify()
        try:
            if query.get("v") != "10":
                await ws.close(code=4012, message=b"Invalid API version")
                return ws
            if query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"Decode error")
                return ws
            async with conn.lock:
                await conn.send(
                    {
                        "op": 10,
                        "d": {
                            "heartbeat_interval": self.heartbeat_interval,
                            "_trace": ['["e2e-double",{"micros":0}]'],
                        },
                        "s": None,
                        "t": None,
                    }
                )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                        break
                    conn.received.append(frame)
                    self._notify()
                    await self._on_frame(conn, frame)
                elif msg.type == WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
        finally:
            conn.closed_at = self.clock()
            conn.close_code = ws.close_code
            session = conn.session
            if session is not None:
                if session.conn is conn:
                    session.conn = None
                if not conn.closed_by_server and ws.close_code in (1000, 1001):
                    session.resumable = False  # a clean client close ends the session
            self._notify()
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: Json) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:
            conn.heartbeats += 1
            async with conn.lock:
                await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op in (3, 4, 8, 31):
            if conn.session is None:
                await conn.ws.close(code=4003, message=b"Not authenticated.")
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, data: Json) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents & ~ALL_INTENTS:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        refused = [
            name
            for bit, name in PRIVILEGED_INTENTS.items()
            if intents & bit and not self.privileged_intents_enabled & bit
        ]
        if refused:
            self._violation("privileged_intents", f"IDENTIFY asked for {refused}", None)
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard")
        if shard is not None and shard != [0, 1]:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        self.identify_count += 1
        session = GatewaySession(id=secrets.token_hex(16), identify=data, intents=intents)
        self.sessions[session.id] = session
        self.current_session = session
        conn.session = session
        session.conn = conn
        ready: Json = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway/resume",
            "application": {"id": str(self.application_id), "flags": 1 << 23},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["local"],
            "auth": {},
            "_trace": ['["e2e-double",{"micros":0}]'],
        }
        if shard is not None:
            ready["shard"] = shard
        await self.dispatch(session, "READY", ready)
        if intents & GUILDS_INTENT:
            for guild in self.guilds:
                await self.dispatch(session, "GUILD_CREATE", self._guild_create(guild))
        self.ready_count += 1
        self._notify()

    async def _resume(self, conn: GatewayConnection, data: Json) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None or not session.resumable:
            async with conn.lock:
                await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        seq = data.get("seq") or 0
        async with session.lock:
            conn.session = session
            session.conn = conn
            session.resumes.append({**data, "token": "[redacted]", "path": conn.path})
            for s, frame in session.log:
                if s > seq:
                    await self._send_logged(session, conn, s, frame)
            session.seq += 1
            resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["e2e-double"]}}
            session.log.append((session.seq, resumed))
            await self._send_logged(session, conn, session.seq, resumed)
        self.current_session = session
        self._notify()


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Discord's exact Content-Type: discord.py parses only `application/json`."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _embed_as_stored(embed: Json) -> Json:
    stored = {"type": "rich", **embed}
    return stored


def _components_as_stored(components: list[Json]) -> list[Json]:
    """Discord numbers every component (depth first, from 1) when the sender did not."""
    stored = copy.deepcopy(components)
    counter = itertools.count(1)
    taken = {c["id"] for c in _walk_components(stored) if isinstance(c.get("id"), int)}
    for component in _walk_components(stored):
        if component.get("id") is None:
            n = next(counter)
            while n in taken:
                n = next(counter)
            component["id"] = n
    return stored


def _walk_components(components: list[Json]) -> list[Json]:
    out: list[Json] = []
    for c in components:
        if isinstance(c, dict):
            out.append(c)
            out.extend(_walk_components(c.get("components") or []))
    return out
