"""The double's state: its settings, everything it records, the users and guilds it
knows, and the waiting and query helpers tests use. The mixins all build on this."""

# The waiting helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .constants import API_PREFIX, Json
from .payloads import GuildSpec, Payloads, Snowflakes, shard_of
from .ratelimits import Bucket, GlobalLimit
from .records import IdentifyRecord, RecordedRequest, Violation

if TYPE_CHECKING:
    from .gateway import GatewayConnection, GatewaySession
    from .interactions import InteractionState


T = TypeVar("T")


class DoubleState(Payloads):
    """Settings and records of one double; see `DiscordDouble` for what it serves."""

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
        nonce_window: float = 5 * 60.0,
        locked_channel: bool = False,
        recommended_shards: int = 1,
        max_concurrency: int = 1,
        guild_shards: int = 1,
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
        # Discord checks an enforced nonce for uniqueness "in the past few minutes".
        self.nonce_window = nonce_window
        # Each guild gets a third channel where an overwrite denies the bot Send Messages.
        self.locked_channel = locked_channel
        # GET /gateway/bot: the shard count Discord recommends, and identify buckets.
        self.recommended_shards = recommended_shards
        self.max_concurrency = max_concurrency
        self.clock: Callable[[], float] = time.monotonic

        self.snowflake = Snowflakes()
        self.application_id = self.snowflake()
        self.bot_user: Json = self._user_payload(self.application_id, "Backbone", bot=True)
        self.owner = self._user_payload(self.snowflake(), "gym-owner")
        self.member_user = self._user_payload(self.snowflake(), "e2e-member")
        self.users: dict[int, Json] = {
            int(u["id"]): u for u in (self.bot_user, self.owner, self.member_user)
        }
        # Guild n lives on shard n % guild_shards (of guild_shards shards).
        self.guilds: list[GuildSpec] = [
            self._make_guild(n, guild_shards) for n in range(guild_count)
        ]
        self.dms_closed: set[int] = set()
        self.not_members: set[int] = set()  # users who are in no guild of the double
        self.dm_channels: dict[int, int] = {}  # channel id -> recipient id
        self.channel_messages: dict[int, list[Json]] = {}
        # Every message the bot created, as Discord stores it now (edits applied), by id.
        self.messages: dict[int, Json] = {}
        self._message_origin: dict[int, InteractionState] = {}
        # (author id, nonce as a string) -> (when, on `clock`; the message's id)
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}

        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> commands
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self.interactions: dict[int, InteractionState] = {}
        self._by_token: dict[str, InteractionState] = {}

        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.current_session: GatewaySession | None = None  # the latest one identified
        self.shard_sessions: dict[int, GatewaySession] = {}  # shard id -> its latest session
        self.ready_count = 0
        self.ready_shards: list[int] = []  # the shard of every READY sent, in order
        self.identify_count = 0
        self.identifies: list[IdentifyRecord] = []
        self.tripwire_hits: list[Json] = []

        self._global = GlobalLimit()
        self._buckets: dict[str, Bucket] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # --- addresses ---

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

    def dm_messages_to(self, user: Json | int | str) -> list[Json]:
        """The messages the bot created in its DM channel with `user`, oldest first."""
        uid = int(user["id"]) if isinstance(user, dict) else int(user)
        return [
            message
            for cid, recipient in self.dm_channels.items()
            if recipient == uid
            for message in self.channel_messages.get(cid, [])
        ]

    def registered(self, guild_id: int | None = None) -> dict[str, Json]:
        return {c["name"]: c for c in self.commands.get(guild_id, [])}

    # --- users, guilds and DM channels ---

    def make_user(self, name: str, *, dms_closed: bool = False, member: bool = True) -> Json:
        """A new user; `member=False`: one who is in none of the double's servers."""
        user = self._user_payload(self.snowflake(), name)
        self.users[int(user["id"])] = user
        if dms_closed:
            self.dms_closed.add(int(user["id"]))
        if not member:
            self.not_members.add(int(user["id"]))
        return user

    @property
    def guild(self) -> GuildSpec:
        return self.guilds[0]

    def guild_on_shard(self, shard_id: int, shard_count: int) -> GuildSpec:
        """The first guild that shard `shard_id` of `shard_count` receives the events of."""
        return next(g for g in self.guilds if shard_of(g.id, shard_count) == shard_id)

    def _guild_by_id(self, guild_id: int) -> GuildSpec | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def _dm_channel_for(self, user_id: int) -> int:
        for cid, uid in self.dm_channels.items():
            if uid == user_id:
                return cid
        cid = self.snowflake()
        self.dm_channels[cid] = user_id
        return cid

    # --- violations ---

    def _violation(
        self, kind: str, message: str, request: RecordedRequest | None, errors: Any = None
    ) -> None:
        self.violations.append(Violation(kind, message, request, errors))
