"""Messages as Discord stores them: created, edited (with Discord's edit rules), kept by
id and tied to the interaction that made them; component numbering and lookup."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable

from .constants import APPLICATION_COMMAND, LOADING, Json
from .interactions import InteractionState
from .payloads import _now_iso
from .state import DoubleState


class MessagesMixin(DoubleState):
    """The store of the bot's messages (`messages`, by id)."""

    def message(self, message: Json | int | str) -> Json:
        """The bot's message as Discord stores it now (edits applied)."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        try:
            return self.messages[mid]
        except KeyError:
            raise LookupError(f"the bot never created message {mid} (or deleted it)") from None

    def _message_object(
        self,
        body: Json,
        *,
        channel_id: int | None,
        files: list[Json],
        flags: int = 0,
        msg_type: int = 0,
        webhook: bool = False,
        author: Json | None = None,
        interaction: InteractionState | None = None,
    ) -> Json:
        mid = self.snowflake()
        attachments = [
            {
                "id": str(self.snowflake()),
                "filename": f["filename"],
                "size": f["size"],
                "url": f"{self.base_url}/attachments/{mid}/{f['filename']}",
                "proxy_url": f"{self.base_url}/attachments/{mid}/{f['filename']}",
                "content_type": f.get("content_type"),
            }
            for f in files
        ]
        message: Json = {
            "id": str(mid),
            "channel_id": str(channel_id or 0),
            "type": msg_type,
            "content": body.get("content") or "",
            "author": author or self.bot_user,
            "embeds": [_embed_as_stored(e) for e in body.get("embeds") or []],
            "attachments": attachments,
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": (body.get("flags") or 0) | flags,
            "components": _components_as_stored(body.get("components") or []),
        }
        if webhook:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            message["interaction_metadata"] = self._interaction_metadata(interaction)
        return message

    def _interaction_metadata(self, state: InteractionState) -> Json:
        user = self.users.get(state.user_id or 0) or self.member_user
        owners = state.payload.get("authorizing_integration_owners") or {"0": "0"}
        meta: Json = {
            "id": str(state.id),
            "type": state.type,
            "user": user,
            "authorizing_integration_owners": owners,
        }
        if state.type == APPLICATION_COMMAND and state.command is not None:
            meta["name"] = state.command["name"]
            meta["command_type"] = state.command.get("type", 1)
        if state.component_message_id is not None:
            meta["interacted_message_id"] = str(state.component_message_id)
        return meta

    def _remember(self, message: Json, state: InteractionState | None = None) -> Json:
        """Keep (or replace) the bot's message by id; tie it to the interaction that made it."""
        mid = int(message["id"])
        self.messages[mid] = message
        if state is not None:
            self._message_origin.setdefault(mid, state)
            if mid not in state.created and state.component_message_id != mid:
                state.created.append(mid)
        origin = self._message_origin.get(mid)
        if origin is not None:
            if origin.original is not None and int(origin.original["id"]) == mid:
                origin.original = message
            if mid in origin.followups:
                origin.followups[mid] = message
        return message

    def _forget(self, mid: int) -> None:
        self.messages.pop(mid, None)
        origin = self._message_origin.get(mid)
        if origin is not None:
            if origin.original is not None and int(origin.original["id"]) == mid:
                origin.original = None
            origin.followups.pop(mid, None)

    @staticmethod
    def _edited(message: Json, body: Json) -> Json:
        """`message` with an edit applied the way Discord applies one (absent keys stay)."""
        edited = copy.deepcopy(message)
        for key in ("content", "embeds", "components", "attachments"):
            if key in body:
                edited[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if "embeds" in body:
            edited["embeds"] = [_embed_as_stored(e) for e in body.get("embeds") or []]
        if "components" in body:
            edited["components"] = _components_as_stored(body.get("components") or [])
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can change on an existing message; EPHEMERAL cannot.
            keep = (edited.get("flags") or 0) & ~(1 << 2)
            edited["flags"] = keep | (body["flags"] & (1 << 2))
        edited["flags"] = (edited.get("flags") or 0) & ~LOADING
        edited["edited_timestamp"] = _now_iso()
        return edited


def _embed_as_stored(embed: Json) -> Json:
    stored = {"type": "rich", **embed}
    return stored


def _components_as_stored(components: list[Json]) -> list[Json]:
    """Discord numbers every component (depth first, from 1) when the sender did not."""
    stored = copy.deepcopy(components)
    counter = itertools.count(1)
    taken = {c["id"] for c in _walk_components(stored) if isinstance(c.get("id"), int)}
    for component in _walk_components(stored):
        if component.get("id") is None:
            n = next(counter)
            while n in taken:
                n = next(counter)
            component["id"] = n
    return stored


def _walk_components(components: list[Json]) -> list[Json]:
    out: list[Json] = []
    for c in components:
        if isinstance(c, dict):
            out.append(c)
            out.extend(_walk_components(c.get("components") or []))
    return out


def custom_ids(components: Iterable[Json]) -> list[str]:
    """Every custom_id in a message's components, depth first."""
    out: list[str] = []
    for c in components:
        if c.get("custom_id") is not None:
            out.append(c["custom_id"])
        out.extend(custom_ids(c.get("components") or []))
    return out


def find_component(components: Iterable[Json], custom_id: str) -> Json | None:
    for c in components:
        if c.get("custom_id") == custom_id:
            return c
        found = find_component(c.get("components") or [], custom_id)
        if found is not None:
            return found
    return None
