"""REST routes: login, the gateway URL, application command registration, DMs and
channel messages (with nonce and enforce_nonce)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .checks import check_commands, check_message, check_nonce, message_is_empty
from .constants import EPHEMERAL, Json
from .errors import DiscordError, FormErrors
from .messages import MessagesMixin
from .middleware import RECORD
from .records import RecordedRequest


class RestMixin(MessagesMixin):
    """Login, gateway discovery, commands, DMs and channel messages."""

    # --- login ---

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
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": max(0, 1000 - self.identify_count),
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    # --- application commands ---

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

    # --- DMs and channel messages ---

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
        if any(cid in g.locked_channel_ids for g in self.guilds):
            # An overwrite denies the bot Send Messages there (not a protocol violation:
            # a channel can be locked after the bot was told to post in it).
            raise DiscordError(403, 50013, "Missing Permissions")
        body = record.json if isinstance(record.json, dict) else {}
        errors = check_message(body, files=len(record.files))
        errors.extend(check_nonce(body))
        errors.raise_if_any()
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
        nonce = body.get("nonce")
        key = (int(self.bot_user["id"]), str(nonce)) if nonce is not None else None
        if key is not None and body.get("enforce_nonce") is True:
            earlier = self._enforced_nonce(key)
            if earlier is not None:
                return earlier  # created nothing: not stored or counted again
        message = self._message_object(body, channel_id=cid, files=record.files)
        if nonce is not None:
            message["nonce"] = nonce  # Discord echoes the nonce on the message it returns
        if cid not in self.dm_channels:
            message["guild_id"] = str(next(g.id for g in self.guilds if cid in g.channel_ids))
        self.channel_messages.setdefault(cid, []).append(message)
        self._remember(message)
        if key is not None:
            self._nonces[key] = (self.clock(), int(message["id"]))
        return message

    def plant_message(
        self, channel_id: int, body: Json, *, nonce: str | int | None = None, age: float = 0.0
    ) -> Json:
        """A message the bot "sent" `age` seconds ago without the double seeing the request,
        as if a previous bot process created it and then crashed before recording it.

        It is stored like any message the bot created (and, with `nonce`, remembered for
        `enforce_nonce`), but no request is recorded for it.
        """
        guild_channels = {c for g in self.guilds for c in g.channel_ids}
        if channel_id not in guild_channels and channel_id not in self.dm_channels:
            raise LookupError(f"no channel {channel_id}")
        message = self._message_object(body, channel_id=channel_id, files=[])
        if nonce is not None:
            message["nonce"] = nonce
        if channel_id not in self.dm_channels:
            message["guild_id"] = str(
                next(g.id for g in self.guilds if channel_id in g.channel_ids)
            )
        self.channel_messages.setdefault(channel_id, []).append(message)
        self._remember(message)
        if nonce is not None:
            self._nonces[(int(self.bot_user["id"]), str(nonce))] = (
                self.clock() - age,
                int(message["id"]),
            )
        self._notify()
        return message

    def dm_channel_of(self, user: Json | int | str) -> int | None:
        """The id of the bot's DM channel with `user`, if one was created."""
        uid = int(user["id"]) if isinstance(user, dict) else int(user)
        return next((cid for cid, rid in self.dm_channels.items() if rid == uid), None)

    def _enforced_nonce(self, key: tuple[int, str]) -> Json | None:
        """The message this author created with this nonce within `nonce_window`, if any.

        Discord's docs on `enforce_nonce`: "If another message was created by the same
        author with the same nonce, that message will be returned and no new message will
        be created." They scope it to the author (not the channel), so this does too.
        """
        earlier = self._nonces.get(key)
        if earlier is None or self.clock() - earlier[0] > self.nonce_window:
            return None
        return self.messages.get(earlier[1])


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value
