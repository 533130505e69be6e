"""Discord's checks, as plain functions: message bodies, embeds, components, allowed
mentions, nonces, autocomplete choices and application command registration.

Each returns a `FormErrors` (empty when the payload passes) shaped like Discord's 50035.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .constants import (
    ACTION_ROW,
    ACTION_ROWS,
    AUTOCOMPLETE_CHOICES,
    BUTTON,
    BUTTON_LABEL_LIMIT,
    BUTTON_STYLES,
    BUTTONS_PER_ROW,
    CHOICE_NAME_LIMIT,
    CHOICE_STRING_LIMIT,
    COMMAND_NAME,
    CONTENT_LIMIT,
    CUSTOM_ID_LIMIT,
    EMBED_FIELDS,
    EMBED_LIMITS,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    LINK_STYLE,
    MAX_COMMANDS,
    MESSAGE_FLAGS_ALLOWED,
    NONCE_LIMIT,
    OPTION_TYPES,
    PREMIUM_STYLE,
    SELECT_OPTIONS,
    SELECTS,
    SUBCOMMAND,
    SUBCOMMAND_GROUP,
    V2,
    VALUE_OPTION_TYPES,
    Json,
)
from .errors import FormErrors
from .records import IdentifyRecord

IDENTIFY_WINDOW = 5.0
"""Seconds: Discord takes one IDENTIFY per bucket (shard_id % max_concurrency) per window."""


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


def check_nonce(payload: Json) -> FormErrors:
    """Create Message's `nonce` and `enforce_nonce`.

    Discord's docs (resources/message, Create Message, JSON/Form Params): `nonce?` is an
    "integer or string", "Can be used to verify a message was sent (up to 25 characters)";
    `enforce_nonce?` is a boolean: "If true and nonce is present, it will be checked for
    uniqueness in the past few minutes. If another message was created by the same author
    with the same nonce, that message will be returned and no new message will be created."
    The docs give no error codes for these, so they follow the other length/type errors.
    """
    errors = FormErrors()
    nonce = payload.get("nonce")
    if nonce is not None:
        if isinstance(nonce, bool) or not isinstance(nonce, int | str):
            errors.add(("nonce",), "BASE_TYPE_BAD_TYPE", "Must be an integer or a string.")
        elif isinstance(nonce, str) and len(nonce) > NONCE_LIMIT:
            errors.add(
                ("nonce",), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_LIMIT} or fewer in length."
            )
    enforce = payload.get("enforce_nonce")
    if enforce is not None and not isinstance(enforce, bool):
        errors.add(("enforce_nonce",), "BASE_TYPE_BOOLEAN", "Must be a bool.")
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


def check_identify_spacing(
    earlier: Sequence[IdentifyRecord], identify: IdentifyRecord
) -> str | None:
    """What is wrong with `identify` after `earlier` ones, in words; None when it keeps
    Discord's rule: one IDENTIFY per bucket per `IDENTIFY_WINDOW`, across every connection."""
    last = next((e for e in reversed(earlier) if e.bucket == identify.bucket), None)
    if last is None or identify.at - last.at >= IDENTIFY_WINDOW:
        return None
    return (
        f"shard {identify.shard_id} identified {identify.at - last.at:.3f}s after shard "
        f"{last.shard_id}, in the same bucket {identify.bucket}: Discord allows one IDENTIFY "
        f"per bucket per {IDENTIFY_WINDOW:g}s"
    )
