"""What every control route is made of: its entry in the table, its refusals, JSON.

Routes are :class:`Endpoint` values (the OpenAPI document is made from their
list); a handler raises :class:`Refused` to answer an error, in the one shape
the control API uses: ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from ..wire.asgi import Reply
from ..wire.body import json_type
from .echo import cut

if TYPE_CHECKING:
    from ..emulator import Emulator

PREFIX = "/_harness"
BODY_LIMIT = 64 * 1024

Handler = Callable[["Emulator", Request, bytes], Reply]
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    query: dict[str, str] = field(default_factory=dict)  # name: what it does

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


def check_values(document: dict[str, Any], what: str) -> None:
    """Refuse a body holding what no JSON answer could repeat, naming the field.

    A string (or key) with a lone UTF-16 surrogate cannot be written as UTF-8,
    and NaN or Infinity is not JSON; stored, either would break every later
    answer that repeats it.
    """
    flaw = _flaw(document)
    if flaw is not None:
        where, problem = flaw
        raise Refused(400, "invalid_request", f'{what}: "{where}" {problem}')


def _flaw(body: dict[str, Any]) -> tuple[str, str] | None:
    """Return the first field, in document order, whose value JSON cannot hold."""
    stack: list[tuple[object, str]] = [(body, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str) and _SURROGATE.search(value):
            return _named(where), _NOT_TEXT
        if isinstance(value, float) and not math.isfinite(value):
            return _named(where), (
                f"is {value!r}, not a finite number; JSON has no NaN or Infinity, "
                "so send a number such as 30."
            )
        if isinstance(value, dict):
            for key in value:
                if _SURROGATE.search(key):
                    return _named(_path(where, key)), _NOT_TEXT
            items = [(item, _path(where, key)) for key, item in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            listed = [(item, f"{where}[{n}]") for n, item in enumerate(value)]
            stack.extend(reversed(listed))
    return None


_NOT_TEXT = (
    "is not valid Unicode text: it holds a lone UTF-16 surrogate (a \\ud800 to "
    "\\udfff escape without its pair), which no UTF-8 text can carry, so nothing "
    "was stored. Send the text as UTF-8."
)


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _named(where: str) -> str:
    """Return a field's path as a message can carry it: escaped and cut short."""
    return cut(where.encode("utf-8", "backslashreplace").decode("utf-8"))


def json_reply(status: int, document: Any) -> Reply:
    """Answer ``document`` as JSON; text UTF-8 cannot carry goes as escapes."""
    try:
        body = json.dumps(document, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate, as an echoed path may hold
        body = json.dumps(document).encode()
    return Reply(status, {"content-type": "application/json"}, body)


def error_reply(
    status: int, code: str, message: str, problems: list[str] | None = None
) -> Reply:
    """Answer an error in the control API's shape."""
    error: dict[str, Any] = {"code": code, "message": message}
    if problems is not None:
        error["problems"] = problems
    return json_reply(status, {"error": error})
