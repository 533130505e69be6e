"""Interaction callbacks (the 3 s deadline, 40060, callback types) and interaction
webhooks (followups, `@original`, the 15-minute token)."""

from __future__ import annotations

from aiohttp import web

from .checks import _length, check_choices, check_message, message_is_empty
from .constants import (
    APPLICATION_COMMAND,
    CALLBACKS_FOR,
    EPHEMERAL,
    LOADING,
    V2,
    WEBHOOK_TOKEN_LIFETIME,
    Json,
)
from .errors import DiscordError, FormErrors
from .interactions import InteractionState
from .messages import MessagesMixin
from .middleware import RECORD
from .records import RecordedRequest


class CallbacksMixin(MessagesMixin):
    """`POST /interactions/{id}/{token}/callback` and `/webhooks/{app}/{token}...`."""

    async def _interaction_callback(self, request: web.Request) -> tuple[int, Json | None]:
        record: RecordedRequest = request[RECORD]
        iid = int(request.match_info["iid"])
        state = self.interactions.get(iid)
        if state is None or state.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction", violation="unknown_interaction")
        if state.acknowledged_at is not None:
            raise DiscordError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation="already_acknowledged",
            )
        dispatched = state.dispatched_at if state.dispatched_at is not None else record.at
        if state.expired or record.at - dispatched > self.ack_deadline:
            first = not state.expired
            state.expired = True
            raise DiscordError(
                404,
                10062,
                "Unknown interaction",
                violation="late_callback" if first else "unknown_interaction",
            )
        body = record.json
        errors = FormErrors()
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            errors.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
        kind = body["type"]
        if kind not in CALLBACKS_FOR.get(state.type, set()):
            errors.add(
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {state.type}",
            )
            errors.raise_if_any(kind="invalid_callback_type")
        data = body.get("data")
        component_message: Json | None = None
        if kind in (6, 7):
            if state.component_message_id is not None:
                component_message = self.messages.get(state.component_message_id)
            if component_message is None:
                raise DiscordError(404, 10008, "Unknown Message", violation="unknown_message")
        if kind in (4, 7):
            errors.extend(check_message(data or {}, ("data",), files=len(record.files)))
            errors.raise_if_any()
            if kind == 4 and message_is_empty(data or {}, len(record.files)):
                raise DiscordError(
                    400, 50006, "Cannot send an empty message", violation="empty_message"
                )
            if kind == 7 and component_message is not None:
                update = self._edited(component_message, data or {})
                if message_is_empty(update, len(record.files)):
                    raise DiscordError(
                        400, 50006, "Cannot send an empty message", violation="empty_message"
                    )
        elif kind == 5:
            flags = (data or {}).get("flags") or 0
            if flags & ~(EPHEMERAL | (1 << 12)):
                errors.add(("data", "flags"), "MESSAGE_FLAGS_INVALID", "Invalid message flags.")
        elif kind == 8:
            option_type = (state.focused or {}).get("type", 3)
            choices = (data or {}).get("choices")
            if choices is None:
                errors.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                errors.extend(check_choices(choices, option_type, ("data", "choices")))
        elif kind == 9:
            modal = data or {}
            _length(errors, ("data", "custom_id"), modal.get("custom_id"), 1, 100)
            _length(errors, ("data", "title"), modal.get("title"), 1, 45)
            rows = modal.get("components")
            if not isinstance(rows, list) or not 1 <= len(rows) <= 5:
                errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 5.")
        errors.raise_if_any()

        state.acknowledged_at = record.at
        state.response_type = kind
        if kind in (4, 5):
            flags = LOADING if kind == 5 else 0
            state.original = self._message_object(
                data or {},
                channel_id=state.channel_id,
                files=record.files,
                flags=flags | ((data or {}).get("flags") or 0),
                msg_type=20 if state.type == APPLICATION_COMMAND else 0,
                webhook=True,
                interaction=state,
            )
            self._remember(state.original, state)
        elif kind in (6, 7) and component_message is not None:
            # After an update (or a deferred one), @original is the component's message.
            if kind == 7:
                component_message = self._edited(component_message, data or {})
                self._remember(component_message)
            state.original = component_message
        if request.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        resource: Json = {"type": kind}
        if state.original is not None and kind in (4, 5, 6, 7):
            resource["message"] = state.original
        msg_flags = (state.original or {}).get("flags", 0)
        return 200, {
            "interaction": {
                "id": str(iid),
                "type": state.type,
                "response_message_id": (state.original or {}).get("id"),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(msg_flags & EPHEMERAL),
            },
            "resource": resource,
        }

    # --- interaction webhooks ---

    def _webhook_state(self, request: web.Request) -> InteractionState:
        record: RecordedRequest = request[RECORD]
        state = self._by_token.get(request.match_info["token"])
        if int(request.match_info["app"]) != self.application_id or state is None:
            raise DiscordError(404, 10015, "Unknown Webhook", violation="unknown_webhook")
        if state.acknowledged_at is None:
            raise DiscordError(
                404, 10015, "Unknown Webhook", violation="webhook_before_acknowledgement"
            )
        if record.at - state.acknowledged_at > WEBHOOK_TOKEN_LIFETIME:
            raise DiscordError(401, 50027, "Invalid Webhook Token", violation="expired_token")
        return state

    async def _webhook_execute(self, request: web.Request) -> tuple[int, Json | None]:
        state = self._webhook_state(request)
        record: RecordedRequest = request[RECORD]
        body = record.json if isinstance(record.json, dict) else {}
        check_message(body, files=len(record.files)).raise_if_any()
        if message_is_empty(body, len(record.files)):
            raise DiscordError(
                400, 50006, "Cannot send an empty message", violation="empty_message"
            )
        message = self._message_object(
            body, channel_id=state.channel_id, files=record.files, webhook=True, interaction=state
        )
        if (
            state.response_type == 5
            and state.original is not None
            and state.original["flags"] & LOADING
        ):
            # Discord turns the first followup after a "thinking" defer into the original.
            message["id"] = state.original["id"]
            message["type"] = state.original["type"]
            state.original = message
        state.followups[int(message["id"])] = message
        self._remember(message, state)
        if request.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    async def _webhook_message(self, request: web.Request) -> tuple[int, Json | None]:
        state = self._webhook_state(request)
        record: RecordedRequest = request[RECORD]
        mid = request.match_info["mid"]
        if mid == "@original":
            message = state.original
        else:
            message = state.followups.get(int(mid)) if mid.isdigit() else None
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message", violation="unknown_message")
        if request.method == "GET":
            return 200, message
        if request.method == "DELETE":
            if mid == "@original":
                state.original = None
            else:
                state.followups.pop(int(mid), None)
            self._forget(int(message["id"]))
            return 204, None
        if request.method != "PATCH":
            raise DiscordError(405, 0, "405: Method Not Allowed", violation="bad_method")
        body = record.json if isinstance(record.json, dict) else {}
        v2 = (message.get("flags") or 0) & V2
        check_message(
            {**body, "flags": (body.get("flags") or 0) | v2} if v2 else body,
            files=len(record.files),
        ).raise_if_any()
        edited = self._edited(message, body)
        if message_is_empty(edited, len(record.files)):
            raise DiscordError(
                400, 50006, "Cannot send an empty message", violation="empty_message"
            )
        if mid == "@original":
            state.original = edited
        else:
            state.followups[int(mid)] = edited
        self._remember(edited)
        return 200, edited
