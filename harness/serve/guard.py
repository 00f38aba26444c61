"""The control API's answers from outside its handlers: guard, 405, harness bug.

:func:`guarded` turns away a request without the control token (401, with
``WWW-Authenticate``); :func:`not_allowed` answers a method a route does not
take (405, naming the route and its methods, with ``Allow``); :func:`internal`
answers an exception no handler expected as ``internal_error`` (500), a
harness bug, and logs its traceback at ERROR so it can be reported, while the
server keeps serving.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from starlette.routing import Route

from ..transport import ASGIApp, Message
from ..wire.asgi import Reply
from .echo import cut
from .endpoints import error_reply

logger = logging.getLogger(__name__)


def internal(route: str, error: Exception) -> Reply:
    """Answer an unexpected failure of ``route`` as a harness bug; log it."""
    logger.error("%s failed: a harness bug, answered 500", route, exc_info=error)
    return error_reply(
        500,
        "internal_error",
        f"{route} failed inside the harness ({type(error).__name__}: "
        f"{cut(str(error))}); this is a harness bug, not a fault of the request, "
        "so please report it with the server's log, which holds the traceback. "
        "The server keeps serving; what the request changed before it failed "
        "stays changed.",
    )


def not_allowed(routes: list[Route], method: str, path: str) -> Reply:
    """Answer 405 naming the route and the methods it takes, with ``Allow``."""
    matching = [r for r in routes if r.path_regex.match(path)]
    allowed = sorted({m for r in matching for m in r.methods or ()} - {"HEAD"})
    template = re.sub(r"\{(\w+):\w+\}", r"{\1}", matching[0].path) if matching else path
    takes = " or ".join(allowed)
    reply = error_reply(
        405,
        "method_not_allowed",
        f"{method} {cut(path)}: the route {template} exists but takes {takes}, "
        f"not {method}; send the request as {takes}.",
    )
    reply.headers["allow"] = ", ".join(allowed)
    return reply


def guarded(app: ASGIApp, token: str) -> ASGIApp:
    """Wrap the control ``app``: every HTTP request needs ``token`` as Bearer."""
    expected = token.encode()

    async def checked(scope: Message, receive: Any, send: Any) -> None:
        given = next(
            (v for k, v in scope.get("headers", []) if k.lower() == b"authorization"),
            b"",
        )
        scheme, _, credentials = given.strip().partition(b" ")
        bearer = scheme.lower() == b"bearer"
        presented = credentials.strip() if bearer else b""
        if scope["type"] != "http" or (
            bearer and hmac.compare_digest(presented, expected)
        ):
            await app(scope, receive, send)
            return
        what = "a wrong" if given else "no"
        reply = error_reply(
            401,
            "unauthorized",
            f"{scope['method']} {cut(scope['path'])} came with {what} control token; "
            "the control API is behind a token because this server was started "
            "with --listen (or given a token), so send the token it printed at "
            "start as 'Authorization: Bearer <token>'.",
        )
        reply.headers["www-authenticate"] = 'Bearer realm="harness"'
        await _send(send, reply)

    return checked


async def _send(send: Any, reply: Reply) -> None:
    headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": reply.body})
