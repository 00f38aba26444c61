"""The URL table of the emulated APNs provider API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from harness.push.apns import wire
from harness.push.apns.model import ApnsService
from harness.wire.asgi import Reply, application, route

HOSTS = {
    "api.push.apple.com": "production",
    "api.sandbox.push.apple.com": "sandbox",
}


def app(service: ApnsService, environment: str) -> Starlette:
    """Serve the APNs provider API of one environment (sandbox or production)."""

    def push(request: Request, body: bytes) -> Reply:
        token, headers = request.path_params["token"], request.headers.items()
        via = connection_of(request.scope)
        return wire.handle_push(service, environment, token, headers, body, via)

    def unmatched(method: str, path: str, status: int, near: list[str]) -> Reply:
        return wire.unmatched(service, method, path, status, near)

    routes = [route("/3/device/{token:path}", push)]
    return application(routes, unmatched)


def connection_of(scope: Mapping[str, Any]) -> str | None:
    """Name the client connection a request came on; None in process.

    A server gives each TCP connection its own client port; the in-process
    transport reports port 0, having no connections at all.
    """
    client = scope.get("client")
    if not client or not client[1]:
        return None
    scheme = scope.get("scheme", "https")
    return f"{scheme}://{client[0]}:{client[1]}"
