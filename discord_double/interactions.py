"""Interactions: what the double keeps about each one, and what a test gets back
(`InteractionHandle` from `slash()`, `InteractionReply` from `.response()`)."""

# The waiting helpers take `timeout=` because that is the harness's documented API.
# ruff: noqa: ASYNC109

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .constants import EPHEMERAL, Json
from .records import RecordedRequest

if TYPE_CHECKING:
    from .server import DiscordDouble


@dataclass
class InteractionState:
    id: int
    token: str
    type: int
    payload: Json
    command: Json | None = None
    focused: Json | None = None
    channel_id: int | None = None
    dispatched_at: float | None = None
    acknowledged_at: float | None = None
    response_type: int | None = None
    expired: bool = False
    original: Json | None = None
    followups: dict[int, Json] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    user_id: int | None = None
    guild_id: int | None = None
    component_message_id: int | None = None
    """For a component interaction: the message whose component was used."""
    created: list[int] = field(default_factory=list)
    """Ids of the messages this interaction created (its reply, then followups)."""


@dataclass
class InteractionReply:
    """What the bot did about one interaction."""

    interaction_id: int
    requests: list[RecordedRequest]
    callback_attempts: list[RecordedRequest]
    dispatched_at: float | None
    created: list[Json] = field(default_factory=list)
    """Snapshots of the messages this interaction created, as Discord stores them."""

    @property
    def callback(self) -> RecordedRequest:
        ok = [r for r in self.callback_attempts if r.status is not None and r.status < 300]
        if ok:
            return ok[0]
        done = [r for r in self.callback_attempts if r.status != 429]
        return (done or self.callback_attempts)[0]

    @property
    def type(self) -> int:
        return int(self.callback.json["type"])

    @property
    def data(self) -> Json:
        return self.callback.json.get("data") or {}

    @property
    def latency(self) -> float:
        """Seconds from sending INTERACTION_CREATE to the first callback request arriving."""
        assert self.dispatched_at is not None
        return self.callback_attempts[0].at - self.dispatched_at

    @property
    def followups(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith("/webhooks/")]

    @property
    def edits(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "PATCH"]

    @property
    def messages(self) -> list[Json]:
        """Every message body the bot sent for this interaction, in order."""
        out: list[Json] = []
        for r in self.requests:
            if r.status is None or r.status >= 300:
                continue
            if r.path.endswith("/callback"):
                if r.json.get("type") in (4, 7) and r.json.get("data"):
                    out.append(r.json["data"])
            elif r.method in ("POST", "PATCH") and isinstance(r.json, dict):
                out.append(r.json)
        return out

    @property
    def created_message(self) -> Json:
        """The message object this interaction created last (with id, channel, components)."""
        assert self.created, f"the interaction created no message: {self.requests}"
        return self.created[-1]

    @property
    def components(self) -> list[Json]:
        return self.message.get("components") or []

    @property
    def message(self) -> Json:
        """The last message the member sees (the reply, or the followup after a defer)."""
        assert self.messages, f"no message was sent: {self.requests}"
        return self.messages[-1]

    @property
    def ephemeral(self) -> bool:
        flags = self.message.get("flags") or 0
        if self.type == 5:
            flags |= self.data.get("flags") or 0
        return bool(flags & EPHEMERAL)

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[Json]:
        return self.message.get("embeds") or []


class InteractionHandle:
    """Returned by `slash()`: await `.response()` for what the bot answered."""

    def __init__(self, double: DiscordDouble, state: InteractionState) -> None:
        self._double = double
        self.state = state
        self.id = state.id
        self.token = state.token

    def _attempts(self) -> list[RecordedRequest]:
        return [r for r in self.state.requests if r.path.endswith("/callback")]

    async def response(
        self, timeout: float = 5.0, *, settle: float = 0.15, followup: bool | None = None
    ) -> InteractionReply:
        """Wait for the callback (and, after a defer, a followup or edit), then `settle` s of quiet.

        `followup=None` waits for a followup only when the callback deferred (type 5/6).
        """
        d = self._double
        deadline = d.clock() + timeout

        def answered() -> bool:
            return any(r.status is not None and r.status != 429 for r in self._attempts())

        await d.wait_until(answered, timeout, f"a callback for interaction {self.id}")
        reply = self._reply()
        wants_followup = followup if followup is not None else reply.type in (5, 6)
        if wants_followup:
            await d.wait_until(
                lambda: any(
                    not r.path.endswith("/callback") and r.status is not None
                    for r in self.state.requests
                ),
                max(0.0, deadline - d.clock()),
                f"a followup or edit for interaction {self.id}",
            )

        def quiet() -> bool:
            last = max(r.answered_at or r.at for r in self.state.requests)
            pending = any(r.status is None for r in self.state.requests)
            return not pending and d.clock() - last >= settle

        with contextlib.suppress(TimeoutError):
            await d.wait_until(quiet, max(0.0, deadline - d.clock()) + settle, "quiet")
        return self._reply()

    def _reply(self) -> InteractionReply:
        d = self._double
        return InteractionReply(
            interaction_id=self.id,
            requests=list(self.state.requests),
            callback_attempts=self._attempts(),
            dispatched_at=self.state.dispatched_at,
            created=[copy.deepcopy(d.messages[m]) for m in self.state.created if m in d.messages],
        )
