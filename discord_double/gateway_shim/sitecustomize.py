"""Imported at start-up by the bot subprocess in e2e runs only (its PYTHONPATH has this folder).

Why it exists: discord.py 2.7 opens the websocket at `DiscordWebSocket.DEFAULT_GATEWAY`
(wss://gateway.discord.gg/) without asking GET /gateway/bot in the plain client, in the
sharded one when given a shard count, and after any invalidated session, so
`DISCORD_API_BASE_URL` moves REST to the double but not the gateway. Without this file
the bot under test would dial the real Discord.

* `BACKBONE_E2E_DEFAULT_GATEWAY` replaces that built-in default with the double's tripwire
  URL, so whatever happens nothing leaves 127.0.0.1 (the double records a hit there as a
  violation).
The bot itself asks GET /gateway/bot when DISCORD_API_BASE_URL is set
(`Backbone.setup_hook`), so the tripwire is only hit if that ever regresses.
"""

from __future__ import annotations

import os

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _loopback(url: str) -> object:
    import yarl

    parsed = yarl.URL(url)
    if parsed.host not in LOOPBACK:
        raise RuntimeError(f"e2e gateway shim: refusing non-loopback gateway {url!r}")
    return parsed


def _install() -> None:
    default = os.environ.get("BACKBONE_E2E_DEFAULT_GATEWAY")
    if not default:
        return
    from discord import gateway

    gateway.DiscordWebSocket.DEFAULT_GATEWAY = _loopback(default)  # type: ignore[assignment]


_install()
