"""The one ASGI app the server serves: every API on one port, told apart by path.

=====================================  =========================================
``/_harness/``                         the control API (:mod:`.control`)
``/api/``, ``/push/events``,           Track API (``harness.track``)
``/unsubscribe/``
``/v1/send/``, ``/v1/customers``,      App API (``harness.appapi``)
``/v1/messages``, ``/v1/campaigns``,
``/v1/broadcasts``, ``/v1/api/campaigns``
any other ``/v1/``                     Pipelines API, as the SDKs call it
``/webpush/{vendor host}/``            the emulated Web Push services
                                       (``harness.push.webpush``)
``/3/``                                the emulated APNs, HTTP/2 over TLS only;
                                       Host ``api.sandbox.push.apple.com`` (or
                                       ``api.development.push.apple.com``) is
                                       the sandbox, any other host production
``/shop``                              the storefront page with Customer.io's
                                       browser SDK (:mod:`.storefront`)
=====================================  =========================================

Web Push and APNs requests are answered but not kept in the state file (they
are not in :data:`MOUNTS`, which the recorder keeps): subscriptions, tokens and
keys are made in process, so a replayed send would find none. The storefront
only reads, so it is not kept either.

A request body over :data:`MAX_BODY` (8 MiB, far above the APIs' own limits of
500 KB to 1 MB) is refused with 413 before it is read whole, judged by its
``Content-Length`` or, for a chunked body, as it streams in; it is neither
applied nor kept.

The Track and App APIs are mounted when their packages provide ``create_app``;
until then their paths answer 404 saying so. The Pipelines settings tell the SDKs
to upload to the name they fetched the settings from, on the HTTPS port, as long
as the server's certificate covers that name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.middleware.cors import CORSMiddleware

from ..emulator import Emulator
from ..push import apns, webpush
from ..transport import ASGIApp, Message
from . import control, storefront
from .echo import cut
from .phones import PhoneRack

logger = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024  # bytes; the most a served request may send


def body_too_large(method: str, path: str) -> str:
    """Say that a request's body is over :data:`MAX_BODY`, and what to do."""
    return (
        f"{method} {path} sent a body over {MAX_BODY} bytes (8 MiB), the most this "
        "emulator reads; it was not applied. Send less, or split it into several "
        "requests."
    )


@dataclass(frozen=True)
class Mount:
    """A family of paths and the API that answers them."""

    api: str
    prefixes: tuple[str, ...]

    def matches(self, path: str) -> bool:
        """Tell whether ``path`` starts with one of the prefixes, segment-wise."""
        return any(_under(path, prefix) for prefix in self.prefixes)


CONTROL = Mount("control API", ("/_harness",))
TRACK = Mount("Track API", ("/api/", "/push/events", "/unsubscribe/"))
APP = Mount(
    "App API",
    (
        "/v1/send/",
        "/v1/customers",
        "/v1/messages",
        "/v1/campaigns",
        "/v1/broadcasts",
        "/v1/api/campaigns",
    ),
)
PIPELINES = Mount("Pipelines API", ("/v1/",))
MOUNTS = (CONTROL, TRACK, APP, PIPELINES)
WEB_PUSH = Mount("Web Push", (webpush.SERVED_PREFIX + "/",))
APNS = Mount("APNs", ("/3/",))
STOREFRONT = Mount("storefront", (storefront.PREFIX,))
UNKEPT = (WEB_PUSH, APNS, STOREFRONT)
SANDBOX_HOSTS = ("api.sandbox.push.apple.com", "api.development.push.apple.com")


def create_app(
    emulator: Emulator,
    *,
    https_port: int,
    token: str | None = None,
    names: Sequence[str] = ("127.0.0.1",),
    project: Path | None = None,
    rack: PhoneRack | None = None,
) -> ASGIApp:
    """Build the served app over ``emulator``.

    ``names`` are the host names the TLS certificate covers; the first is the
    apiHost handed to SDKs that asked under any other name. The storefront
    sells ``project``'s catalog. The control API's phone routes drive ``rack``.
    """
    shown = f"[{names[0]}]" if ":" in names[0] else names[0]
    emulator.push.webpush.served_at = f"https://{shown}:{https_port}"
    apps: dict[Mount, ASGIApp] = {
        CONTROL: control.create_app(emulator, token, rack),
        TRACK: emulator.track_api,
        APP: emulator.app_api,
        WEB_PUSH: webpush.served(lambda: emulator.push.webpush),
        APNS: _apns(emulator),
        STOREFRONT: storefront.create_app(emulator, project),
    }

    browsers: dict[str, ASGIApp] = {}

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await _not_http(scope, receive, send)
            return
        path: str = scope["path"]
        mount = next((m for m in (*MOUNTS, *UNKEPT) if m.matches(path)), None)
        logger.debug("%s %s (%s)", scope["method"], path, mount and mount.api)
        if mount is PIPELINES:
            api_host = _api_host(scope, https_port, names)
            if api_host not in browsers:
                # The web SDK calls from the shop's own origin: answer CORS.
                browsers[api_host] = CORSMiddleware(
                    emulator.pipelines(api_host),
                    allow_origins=["*"],
                    allow_methods=["GET", "POST"],
                    allow_headers=["*"],
                )
            await browsers[api_host](scope, receive, send)
        elif mount is None:
            await _answer(send, 404, "no_route", _unmatched(scope))
        else:
            await apps[mount](scope, receive, send)

    return app


def _under(path: str, prefix: str) -> bool:
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(f"{prefix}/")


def _api_host(scope: Message, port: int, names: Sequence[str]) -> str:
    """Return the apiHost for SDKs that reached the server under the Host header."""
    name = _host_name(scope)
    if name not in names:
        name = names[0]
    shown = f"[{name}]" if ":" in name else name
    return f"{shown}:{port}/v1"


def _unmatched(scope: Message) -> str:
    mounts = (*MOUNTS, *UNKEPT)
    served = "; ".join(f"{', '.join(m.prefixes)} ({m.api})" for m in mounts)
    return (
        f"{scope['method']} {cut(scope['path'])} matches no API this emulator serves; "
        f"paths start with {served}. Send the request under one of these."
    )


async def _answer(send: Any, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _not_http(scope: Message, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].replace("lifespan.", "")
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})


def _apns(emulator: Emulator) -> ASGIApp:
    """Serve the emulated APNs by host name, to HTTP/2 over TLS only.

    The APNs app is looked up at each request, since a reset makes a new one.
    """
    hosts = {environment: host for host, environment in apns.HOSTS.items()}

    async def served(scope: Message, receive: Any, send: Any) -> None:
        if scope.get("http_version") != "2" or scope.get("scheme") != "https":
            await _needs_http_2(scope, send)
            return
        environment = "sandbox" if _host_name(scope) in SANDBOX_HOSTS else "production"
        await emulator.transport.apps[hosts[environment]](scope, receive, send)

    return served


async def _needs_http_2(scope: Message, send: Any) -> None:
    """Refuse an APNs request that is not HTTP/2 over TLS, as Apple's servers do.

    Apple never answers such a request at all (the connection fails); the
    emulator answers 505 in plain text, so the mistake is named, not hidden.
    """
    version, scheme = scope.get("http_version"), scope.get("scheme")
    text = (
        f"APNs speaks HTTP/2 over TLS only; this request came as HTTP/{version} "
        f"over {scheme}. Connect to the HTTPS port with HTTP/2 (httpx: "
        "http2=True); a provider that falls back to HTTP/1.1 fails at Apple.\n"
    ).encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers.append((b"content-length", str(len(text)).encode()))
    await send({"type": "http.response.start", "status": 505, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def _host_name(scope: Message) -> str:
    """Return the host a request names (Host, or HTTP/2's :authority), no port."""
    for key, value in scope.get("headers", []):
        if key == b"host":
            host: str = value.decode("latin-1").lower()
            if host.startswith("["):
                return host[1:].partition("]")[0]
            return host.rpartition(":")[0] if ":" in host else host
    return ""
