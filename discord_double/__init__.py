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
* Shards: `/gateway/bot` reports `recommended_shards` and `max_concurrency`; IDENTIFY
  takes `shard: [id, count]`; each shard gets READY, GUILD_CREATE and every event of its
  own guilds (`(guild_id >> 22) % count`; DMs and user installs on shard 0), from any
  number of bot processes at once. Every IDENTIFY is recorded (`identifies`); two of one
  bucket (`shard_id % max_concurrency`) within 5 s are a violation. `guild_shards=N`
  spreads the guilds over N shards; `guild_on_shard(id, count)` finds one.
* Discord's limits on every message (content, embeds, autocomplete choices), the 3 s
  interaction deadline (10062), double acknowledgement (40060), the global rate limit
  and a per-channel message limit (429 with the headers discord.py reads).
* Message `nonce` (echoed on the message) and `enforce_nonce` (a resend within
  `nonce_window` seconds returns the first message instead of creating another).

* Message components (action rows, buttons, selects: widths, custom_id length and
  uniqueness, labels), kept on every message the bot creates (`messages`, by id, with
  Discord's component ids and edits applied), so a button can be pressed later.

Every request is recorded (`requests`), every break of Discord's rules is answered the
way Discord answers it *and* recorded in `violations`, so a test can assert none
happened. Tests drive the bot with `await double.slash(...)`,
`await double.autocomplete(...)` and `await double.click(message, custom_id)`, which send
a real INTERACTION_CREATE down the gateway. Option values go in as Discord's client sends
them: within choices, lengths and min/max values; a USER option takes a user payload (or
id) and arrives as the id plus `data.resolved.users` and `.members`; a CHANNEL option
takes a channel id of the invoking server and arrives with `data.resolved.channels`.
With `locked_channel=True` each guild has a third channel ("no-bot-posts") whose
permission overwrite denies the bot Send Messages; posting there answers 403 (50013).
`plant_message(channel_id, body, nonce=...)` stores a message as if an earlier bot
process had sent it (a crash before it recorded the send); `dm_channel_of(user)` is the
bot's DM channel with a user.

This package is the double, one module
per concern; every name tests and benchmarks import is re-exported here, and
`process.BotProcess` starts the real bot against it.

* `constants`: API version, intents, permission bits, interaction types, Discord's limits.
* `records`, `errors`: recorded requests and violations; `DiscordError`, `FormErrors`.
* `checks`: Discord's validation of messages, embeds, components, nonces and commands.
* `ratelimits`: buckets, the global limit and the 429 answer.
* `payloads`: snowflakes and Discord-shaped users, members, channels and guilds.
* `interactions`: `InteractionState`, `InteractionHandle`, `InteractionReply`.
* `state`: `DoubleState`, the settings and records every part below builds on.
* `middleware`, `messages`, `rest`, `callbacks`, `gateway`, `driving`: the mixins.
* `server`: `DiscordDouble`, the mixins put together, and its route table.
"""

from __future__ import annotations

from discord_double.checks import (
    IDENTIFY_WINDOW,
    check_allowed_mentions,
    check_choices,
    check_command,
    check_commands,
    check_components,
    check_embeds,
    check_identify_spacing,
    check_message,
    check_nonce,
    embed_total_chars,
    message_is_empty,
)
from discord_double.constants import (
    ACTION_ROW,
    ACTION_ROWS,
    ADMINISTRATOR,
    ALL_INTENTS,
    API_PREFIX,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_CHOICES,
    BOT_PERMISSIONS,
    BUTTON,
    BUTTON_LABEL_LIMIT,
    BUTTON_STYLES,
    BUTTONS_PER_ROW,
    CALLBACKS_FOR,
    CHANNEL_OPTION,
    CHOICE_NAME_LIMIT,
    CHOICE_STRING_LIMIT,
    COMMAND_NAME,
    CONTENT_LIMIT,
    CUSTOM_ID_LIMIT,
    DISCORD_EPOCH_MS,
    EMBED_FIELDS,
    EMBED_LIMITS,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    EPHEMERAL,
    EVERYDAY_MEMBER_PERMISSIONS,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    GUILDS_INTENT,
    LINK_STYLE,
    LOADING,
    MANAGE_GUILD,
    MAX_COMMANDS,
    MESSAGE_COMPONENT,
    MESSAGE_FLAGS_ALLOWED,
    MODAL_SUBMIT,
    NONCE_LIMIT,
    OPTION_TYPES,
    PREMIUM_STYLE,
    PRIVILEGED_INTENTS,
    SELECT_OPTIONS,
    SELECTS,
    SUBCOMMAND,
    SUBCOMMAND_GROUP,
    USER_OPTION,
    V2,
    VALUE_OPTION_TYPES,
    WEBHOOK_TOKEN_LIFETIME,
    Json,
)
from discord_double.errors import DiscordError, FormErrors
from discord_double.gateway import GatewayConnection, GatewaySession
from discord_double.interactions import InteractionHandle, InteractionReply, InteractionState
from discord_double.messages import custom_ids, find_component
from discord_double.middleware import AUTHORIZED, RECORD, json_response
from discord_double.payloads import GuildSpec, Snowflakes, shard_of
from discord_double.ratelimits import Bucket, GlobalLimit
from discord_double.records import IdentifyRecord, RecordedRequest, Violation
from discord_double.server import DiscordDouble

__all__ = [
    "ACTION_ROW",
    "ACTION_ROWS",
    "ADMINISTRATOR",
    "ALL_INTENTS",
    "API_PREFIX",
    "APPLICATION_COMMAND",
    "AUTHORIZED",
    "AUTOCOMPLETE",
    "AUTOCOMPLETE_CHOICES",
    "BOT_PERMISSIONS",
    "BUTTON",
    "BUTTONS_PER_ROW",
    "BUTTON_LABEL_LIMIT",
    "BUTTON_STYLES",
    "CALLBACKS_FOR",
    "CHANNEL_OPTION",
    "CHOICE_NAME_LIMIT",
    "CHOICE_STRING_LIMIT",
    "COMMAND_NAME",
    "CONTENT_LIMIT",
    "CUSTOM_ID_LIMIT",
    "DISCORD_EPOCH_MS",
    "EMBEDS_PER_MESSAGE",
    "EMBED_FIELDS",
    "EMBED_LIMITS",
    "EMBED_TOTAL_LIMIT",
    "EPHEMERAL",
    "EVERYDAY_MEMBER_PERMISSIONS",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "GUILDS_INTENT",
    "IDENTIFY_WINDOW",
    "LINK_STYLE",
    "LOADING",
    "MANAGE_GUILD",
    "MAX_COMMANDS",
    "MESSAGE_COMPONENT",
    "MESSAGE_FLAGS_ALLOWED",
    "MODAL_SUBMIT",
    "NONCE_LIMIT",
    "OPTION_TYPES",
    "PREMIUM_STYLE",
    "PRIVILEGED_INTENTS",
    "RECORD",
    "SELECTS",
    "SELECT_OPTIONS",
    "SUBCOMMAND",
    "SUBCOMMAND_GROUP",
    "USER_OPTION",
    "V2",
    "VALUE_OPTION_TYPES",
    "WEBHOOK_TOKEN_LIFETIME",
    "Bucket",
    "DiscordDouble",
    "DiscordError",
    "FormErrors",
    "GatewayConnection",
    "GatewaySession",
    "GlobalLimit",
    "GuildSpec",
    "IdentifyRecord",
    "InteractionHandle",
    "InteractionReply",
    "InteractionState",
    "Json",
    "RecordedRequest",
    "Snowflakes",
    "Violation",
    "check_allowed_mentions",
    "check_choices",
    "check_command",
    "check_commands",
    "check_components",
    "check_embeds",
    "check_identify_spacing",
    "check_message",
    "check_nonce",
    "custom_ids",
    "embed_total_chars",
    "find_component",
    "json_response",
    "message_is_empty",
    "shard_of",
]
