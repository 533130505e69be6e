"""HTTP plumbing: every API request is recorded, authenticated and rate limited here,
and a `DiscordError` becomes the JSON answer Discord would give."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from .constants import API_PREFIX, Json
from .errors import DiscordError
from .interactions import InteractionState
from .ratelimits import Bucket, _rate_limited
from .records import RecordedRequest
from .state import DoubleState

RECORD = web.RequestKey("record", RecordedRequest)
AUTHORIZED = web.RequestKey("authorized", bool)


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Discord's exact Content-Type: discord.py parses only `application/json`."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


class HttpMixin(DoubleState):
    """The aiohttp middleware and what it runs before every handler."""

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

    async def _unknown_route(self, request: web.Request) -> Json:
        raise DiscordError(404, 0, "404: Not Found", violation="unknown_route")
