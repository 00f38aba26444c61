"""An httpx transport that hands requests to in-process ASGI apps by host name.

Embedded mode swaps only the transport: the SDK, the sender and the assertions
make the same HTTP requests, in the same wire format, that they would make to the
served emulator or to the real services. The app is driven to completion without
an event loop or threads; an emulated endpoint that tries to suspend is a bug and
raises at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

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
    ran = run_to_end(app, scope, body)
    error = ran.error
    if ran.suspended or (
        isinstance(error, RuntimeError) and "event loop" in str(error)
    ):
        raise RuntimeError(
            f"in-process app for {request.url.host} suspended while handling "
            f"{request.method} {request.url.path}; embedded endpoints must not await "
            "real I/O or an event loop. Serve it over sockets instead."
        ) from error
    if error is not None:
        raise error
    # A stream, not ready content, so the client reads it and times the request
    # as it would over a socket (response.elapsed).
    return httpx.Response(
        ran.status or 500,
        headers=ran.headers,
        stream=httpx.ByteStream(ran.body),
        request=request,
    )


@dataclass
class Ran:
    """How an ASGI app handled one request when run to its end.

    ``status`` is None when the app never started an answer; ``error`` is what it
    raised; ``suspended`` says it tried to await something that would not resolve
    at once. Callers choose their policy: the transport raises, the served app
    answers 500.
    """

    status: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes
    error: Exception | None
    suspended: bool


def run_to_end(app: ASGIApp, scope: Message, body: bytes) -> Ran:
    """Drive ``app`` on one request with no event loop, collecting its answer."""
    delivered = False
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    coroutine = cast(Coroutine[Any, Any, None], app(scope, receive, send))
    error: Exception | None = None
    suspended = False
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    except Exception as raised:  # the caller decides what an app's error means
        error = raised
    else:
        coroutine.close()
        suspended = True
    return Ran(
        started.get("status"),
        started.get("headers", []),
        b"".join(chunks),
        error,
        suspended,
    )


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80
