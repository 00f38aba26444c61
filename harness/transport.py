"""An httpx transport that hands requests to in-process ASGI apps by host name.

Embedded mode swaps only the transport: the SDK, the sender and the assertions
make the same HTTP requests, in the same wire format, that they would make to the
served emulator or to the real services. The app is driven to completion without
an event loop or threads; an emulated endpoint that tries to suspend is a bug and
raises at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class InProcessTransport(httpx.BaseTransport):
    """Route each request to the ASGI app registered for its host."""

    def __init__(self, apps: Mapping[str, ASGIApp]) -> None:
        self.apps = dict(apps)

    def mount(self, host: str, app: ASGIApp) -> None:
        """Serve ``host`` with ``app``."""
        self.apps[host] = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the host's app and return its response."""
        host = request.url.host
        app = self.apps.get(host)
        if app is None:
            known = ", ".join(sorted(self.apps)) or "none"
            raise httpx.ConnectError(
                f"no in-process service answers for host {host!r} "
                f"({request.method} {request.url}); embedded hosts: {known}. "
                "Point the client at one of these or mount an app for the host.",
                request=request,
            )
        logger.debug("%s %s (in-process)", request.method, request.url)
        return _call(app, request)


def _call(app: ASGIApp, request: httpx.Request) -> httpx.Response:
    body = request.read()
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?", 1)[0],
        "query_string": request.url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": (request.url.host, request.url.port or _default_port(request)),
        "client": ("127.0.0.1", 0),
        "state": {},
    }
    delivered = False
    response: dict[str, Any] = {"status": 500, "headers": []}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
            response["headers"] = message.get("headers", [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    coroutine = app(scope, receive, send)
    suspended = RuntimeError(
        f"in-process app for {request.url.host} suspended while handling "
        f"{request.method} {request.url.path}; embedded endpoints must not await "
        "real I/O or an event loop. Serve it over sockets instead."
    )
    try:
        coroutine.send(None)  # type: ignore[attr-defined]
    except StopIteration:
        pass
    except RuntimeError as error:
        if "event loop" in str(error):
            raise suspended from error
        raise
    else:
        coroutine.close()  # type: ignore[attr-defined]
        raise suspended
    # A stream, not ready content, so the client reads it and times the request
    # as it would over a socket (response.elapsed).
    return httpx.Response(
        response["status"],
        headers=response["headers"],
        stream=httpx.ByteStream(b"".join(chunks)),
        request=request,
    )


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80
