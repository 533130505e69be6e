"""Driving the bot as Discord's client would: `slash()`, `autocomplete()` and `click()`
send a real INTERACTION_CREATE down the gateway, refusing what the client would not send."""

# The waiting helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from .constants import (
    ADMINISTRATOR,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    BUTTON,
    CHANNEL_OPTION,
    EPHEMERAL,
    EVERYDAY_MEMBER_PERMISSIONS,
    LINK_STYLE,
    MESSAGE_COMPONENT,
    PREMIUM_STYLE,
    USER_OPTION,
    Json,
)
from .gateway import GatewayMixin
from .interactions import InteractionHandle, InteractionState
from .messages import MessagesMixin, custom_ids, find_component
from .payloads import GuildSpec


class DrivingMixin(GatewayMixin, MessagesMixin):
    """What a test does as a member: slash commands, autocomplete, button presses."""

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
            elif kind == CHANNEL_OPTION:
                channel = self._option_channel(opt, value, where, guild)
                item["value"] = channel["id"]
                if focused is None:
                    resolved.setdefault("channels", {})[channel["id"]] = channel
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

    def _option_channel(self, opt: Json, value: Any, where: str, guild: GuildSpec | None) -> Json:
        """A CHANNEL option's value (a channel id of the invoking guild), resolved the way
        Discord resolves it: the partial channel with the invoker's permissions in it."""
        name = opt["name"]
        try:
            cid = int(value["id"]) if isinstance(value, dict) else int(value)
        except (KeyError, TypeError, ValueError):
            raise TypeError(f"{where}: option {name!r} takes a channel id") from None
        if guild is None or cid not in guild.channel_ids:
            raise LookupError(f"{where}: option {name!r}: no channel {cid} in this server")
        channel = self._channel_payload(guild, guild.channel_ids.index(cid), with_guild=True)
        allowed = opt.get("channel_types")
        if allowed and channel["type"] not in allowed:
            raise ValueError(
                f"{where}: Discord's client only offers channels of types {allowed} for {name}"
            )
        channel["permissions"] = str(EVERYDAY_MEMBER_PERMISSIONS)
        return channel

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
        private: bool = False,
        user_install: bool = False,
        channel: int | None = None,
        locale: str = "en-US",
        permission_override: bool = False,
        _focused: str | None = None,
    ) -> InteractionHandle:
        """Send an INTERACTION_CREATE for `/name [group] [subcommand] options...`.

        `guild=None` means the double's first guild; `dm=True` a DM with the bot;
        `private=True` a DM between members where the invoker installed the app for
        themselves (interaction context 2); `user_install=True` the invoker's own install
        used in a server (context 0, authorized by the user, not the server). Like
        Discord's client, this refuses to invoke what a member could not see: an
        unregistered command, a missing required option, a command whose
        `default_member_permissions` the member lacks (unless `permission_override=True`,
        modelling a server's Integrations override).
        """
        guild_spec: GuildSpec | None = None
        if private:
            dm = True
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
        elif not private and (
            command.get("dm_permission") is False
            or (command.get("contexts") is not None and 1 not in command["contexts"])
        ):
            raise PermissionError(f"{where} is not available in DMs")
        installs = command.get("integration_types") or [0]
        contexts = command.get("contexts")
        if private and (1 not in installs or contexts is None or 2 not in contexts):
            raise PermissionError(f"Discord would not show {where} in a private channel")
        if user_install and 1 not in installs:
            raise PermissionError(f"{where} cannot be installed by a user")

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
            private=private,
            user_install=user_install,
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
        private: bool = False,
        user_install: bool = False,
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
                app_permissions=str(self._bot_permissions_in(guild, channel_id)),
                authorizing_integration_owners=(
                    {"1": str(invoker["id"])} if user_install else {"0": str(guild.id)}
                ),
                context=0,
            )
        elif private:
            # A DM between the invoker and another member: the bot is not in it.
            channel_id = self.snowflake()
            other = self.make_user(f"friend-of-{invoker['username']}")
            payload.update(
                channel_id=str(channel_id),
                channel={
                    "id": str(channel_id),
                    "type": 1,
                    "last_message_id": None,
                    "flags": 0,
                    "recipients": [other],
                },
                user=invoker,
                app_permissions=str(EVERYDAY_MEMBER_PERMISSIONS),
                authorizing_integration_owners={"1": str(invoker["id"])},
                context=2,
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
        # A user-installed command runs where the bot may not be: Discord sends it, like a
        # DM, to shard 0.
        owner = guild.id if guild is not None and not user_install else None
        await self.dispatch(self.session_for(owner), "INTERACTION_CREATE", payload)
        return InteractionHandle(self, state)

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
