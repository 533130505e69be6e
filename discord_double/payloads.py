"""Discord-shaped ids and JSON: snowflakes, users, members, channels and GUILD_CREATE."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass, field

from .constants import (
    BOT_PERMISSIONS,
    DISCORD_EPOCH_MS,
    EVERYDAY_MEMBER_PERMISSIONS,
    SEND_MESSAGES,
    Json,
)

LOCKED_CHANNEL = "no-bot-posts"
"""With `locked_channel=True`, each guild's third channel: the bot's role is denied
Send Messages there by a permission overwrite (a server that muted the bot in one channel)."""


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Snowflakes:
    """Discord-shaped ids: milliseconds since 2015 in the high bits, a counter below."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)

    def on_shard(self, shard_id: int, shard_count: int) -> int:
        """A guild id that shard `shard_id` of `shard_count` owns (see `shard_of`): the
        timestamp moved back, by less than `shard_count` ms, to the shard's residue."""
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not one of {shard_count} shards")
        snowflake = self()
        ms = snowflake >> 22
        ms -= (ms - shard_id) % shard_count
        return (ms << 22) | (snowflake & ((1 << 22) - 1))


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events: Discord's `(guild_id >> 22) % shard_count`."""
    return (guild_id >> 22) % shard_count


@dataclass
class GuildSpec:
    id: int
    name: str
    owner_id: int
    channel_ids: list[int]
    channel_names: list[str]
    bot_role_id: int
    locked_channel_ids: set[int] = field(default_factory=set)
    """Channels where an overwrite denies the bot's role Send Messages."""


class Payloads:
    """Users, members, channels and guilds as Discord sends them (mixed into the double)."""

    snowflake: Snowflakes
    application_id: int
    owner: Json
    bot_user: Json
    locked_channel: bool

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

    def _make_guild(self, n: int, shard_count: int = 1) -> GuildSpec:
        """Guild number `n`; with `shard_count` shards, on shard `n % shard_count`."""
        guild = GuildSpec(
            id=self.snowflake.on_shard(n % shard_count, shard_count),
            name="Backbone Test Gym" if n == 0 else f"Backbone Test Gym {n + 1}",
            owner_id=int(self.owner["id"]),
            channel_ids=[self.snowflake(), self.snowflake()],
            channel_names=["general", "posture-nudges"],
            bot_role_id=self.snowflake(),
        )
        if self.locked_channel:
            locked = self.snowflake()
            guild.channel_ids.append(locked)
            guild.channel_names.append(LOCKED_CHANNEL)
            guild.locked_channel_ids.add(locked)
        return guild

    def _bot_permissions_in(self, guild: GuildSpec, channel_id: int) -> int:
        """The bot's permissions in a channel, its overwrites applied."""
        if channel_id in guild.locked_channel_ids:
            return BOT_PERMISSIONS & ~SEND_MESSAGES
        return BOT_PERMISSIONS

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
        if guild.channel_ids[index] in guild.locked_channel_ids:
            data["permission_overwrites"] = [
                {"id": str(guild.bot_role_id), "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}
            ]
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
