"""Discord's error answers: an error code and message, and the nested `errors` of a 50035."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .constants import Json


class DiscordError(Exception):
    """Raised by a handler to answer the way Discord answers an error."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: Any = None,
        headers: Mapping[str, str] | None = None,
        violation: str | None = None,
        body: Json | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.violation = violation
        self.body = body

    def payload(self) -> Json:
        if self.body is not None:
            return self.body
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class FormErrors:
    """Discord's nested `errors`: {"data": {"embeds": {"0": {"title": {"_errors": [...]}}}}}."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple[str, ...], str, str]] = []

    def add(self, path: Iterable[object], code: str, message: str) -> None:
        self.items.append((tuple(str(p) for p in path), code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def extend(self, other: FormErrors) -> None:
        self.items.extend(other.items)

    def tree(self) -> Json:
        root: Json = {}
        for path, code, message in self.items:
            node = root
            for part in path:
                node = node.setdefault(part, {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def raise_if_any(self, *, kind: str = "invalid_form_body") -> None:
        if self.items:
            raise DiscordError(400, 50035, "Invalid Form Body", errors=self.tree(), violation=kind)
