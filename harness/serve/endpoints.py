"""What every control route is made of: its entry in the table, its refusals, JSON.

Routes are :class:`Endpoint` values (the OpenAPI document is made from their
list); a handler raises :class:`Refused` to answer an error, in the one shape
the control API uses: ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from ..wire.asgi import Reply
from ..wire.body import json_type

if TYPE_CHECKING:
    from ..emulator import Emulator

PREFIX = "/_harness"
BODY_LIMIT = 64 * 1024

Handler = Callable[["Emulator", Request, bytes], Reply]


@dataclass(frozen=True)
class Endpoint:
    """One control route: what it does, what it takes and what it answers."""

    method: str
    path: str
    summary: str
    handler: Handler = field(repr=False)
    body: dict[str, Any] | None = None
    status: int = 200
    media: str = "application/json"

    @property
    def route_path(self) -> str:
        """Return the path as routed: an identifier may hold any character."""
        return f"{PREFIX}{self.path}".replace("{identifier}", "{identifier:path}")


class Refused(Exception):
    """Raised inside a handler when the request cannot be served; becomes a reply."""

    def __init__(
        self, status: int, code: str, message: str, problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.problems = status, code, problems


def read_object(raw: bytes) -> dict[str, Any]:
    """Return the request body as a JSON object (none reads as ``{}``)."""
    if len(raw) > BODY_LIMIT:
        raise Refused(
            413, "too_large", f"the body is over {BODY_LIMIT} bytes; send less."
        )
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as error:
        raise Refused(
            400, "bad_json", f"the body is not JSON ({error}); send a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise Refused(
            400, "bad_json", f"the body is a JSON {json_type(body)}, not an object."
        )
    return body


def json_reply(status: int, document: Any) -> Reply:
    """Answer ``document`` as JSON."""
    body = json.dumps(document, ensure_ascii=False).encode()
    return Reply(status, {"content-type": "application/json"}, body)


def error_reply(
    status: int, code: str, message: str, problems: list[str] | None = None
) -> Reply:
    """Answer an error in the control API's shape."""
    error: dict[str, Any] = {"code": code, "message": message}
    if problems is not None:
        error["problems"] = problems
    return json_reply(status, {"error": error})
