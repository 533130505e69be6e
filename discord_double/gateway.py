"""The gateway: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, RESUME with replay,
sequence numbers and zlib-stream compression; and `dispatch()` for sending events.

Sharding: IDENTIFY may carry `shard: [id, count]` (without it: shard 0 of 1). A session
receives READY and GUILD_CREATE for its shard's guilds only (`payloads.shard_of`), and
`session_for` routes every event of a guild to the latest session of the shard that owns
it (DMs and user-installed interactions to shard 0), whichever connection (and bot
process) that is. Every IDENTIFY is recorded in `identifies`; two in one bucket
(shard_id % max_concurrency) less than 5 s apart are a violation, answered like Discord
with an invalid session (op 9).
"""

# The waiting helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .checks import check_identify_spacing
from .constants import ALL_INTENTS, GUILDS_INTENT, PRIVILEGED_INTENTS, Json
from .middleware import json_response
from .payloads import shard_of
from .records import IdentifyRecord
from .state import DoubleState


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
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    log: list[tuple[int, Json]] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)
    conn: GatewayConnection | None = None
    resumable: bool = True
    resumes: list[Json] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GatewayMixin(DoubleState):
    """The gateway routes and event dispatch."""

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

    def session_for(self, guild_id: int | None) -> GatewaySession:
        """The session that receives a guild's events (None: DMs and user installs, shard 0)."""
        for shard_id, session in self.shard_sessions.items():
            owner = 0 if guild_id is None else shard_of(guild_id, session.shard_count)
            if owner == shard_id:
                return session
        raise RuntimeError(f"no gateway session for guild {guild_id}: is its shard connected?")

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

    async def force_disconnect(
        self, code: int = 4000, *, shard: int | None = None, resumable: bool = True
    ) -> int:
        """Close the bot's gateway socket like Discord does on a hiccup; return resumes so far.

        `shard`: that shard's connection (default: the latest session's). `resumable=False`:
        Discord also forgot the session, so the RESUME that follows is answered with an
        invalid session and the client must IDENTIFY again.
        """
        session = self.current_session if shard is None else self.shard_sessions.get(shard)
        assert session is not None and session.conn is not None, "no live gateway connection"
        before = len(session.resumes)
        conn = session.conn
        conn.closed_by_server = True
        session.resumable = resumable
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
        shard_id, shard_count = 0, 1
        if shard is not None:
            valid = (
                isinstance(shard, list)
                and len(shard) == 2
                and all(type(n) is int for n in shard)
                and 0 <= shard[0] < shard[1]
            )
            if not valid:
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return
            shard_id, shard_count = shard
        record = IdentifyRecord(
            at=self.clock(),
            shard_id=shard_id,
            shard_count=shard_count,
            bucket=shard_id % self.max_concurrency,
        )
        problem = check_identify_spacing(self.identifies, record)
        self.identifies.append(record)
        self.identify_count += 1
        if problem is not None:
            self._violation("identify_rate", problem, None)
            async with conn.lock:
                await conn.send({"op": 9, "d": False, "s": None, "t": None})
            self._notify()
            return
        session = GatewaySession(
            id=secrets.token_hex(16),
            identify=data,
            intents=intents,
            shard_id=shard_id,
            shard_count=shard_count,
        )
        self.sessions[session.id] = session
        self.current_session = session
        self.shard_sessions[shard_id] = session
        conn.session = session
        session.conn = conn
        guilds = [g for g in self.guilds if shard_of(g.id, shard_count) == shard_id]
        ready: Json = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
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
            for guild in guilds:
                await self.dispatch(session, "GUILD_CREATE", self._guild_create(guild))
        self.ready_count += 1
        self.ready_shards.append(shard_id)
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
