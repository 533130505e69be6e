"""`DiscordDouble`: the mixins put together, and the route table it serves on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self

from aiohttp import web

from .callbacks import CallbacksMixin
from .constants import API_PREFIX
from .driving import DrivingMixin
from .middleware import HttpMixin
from .rest import RestMixin


class DiscordDouble(DrivingMixin, CallbacksMixin, RestMixin, HttpMixin):
    """Discord's REST API and gateway on 127.0.0.1, for one bot application."""

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
