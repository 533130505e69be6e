"""Discord's numbers: API version, intents, permission bits, interaction and callback
types, and the limits Discord puts on messages, embeds, components and commands."""

from __future__ import annotations

import re
from typing import Any

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
SEND_MESSAGES = 1 << 11
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
CHANNEL_OPTION = 7
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
# Create Message: `nonce` is an integer or a string of up to 25 characters.
NONCE_LIMIT = 25

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

Json = dict[str, Any]
