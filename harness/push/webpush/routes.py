"""The URL table of the emulated web push services, one per push origin."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from harness.push.webpush import wire
from harness.push.webpush.model import ORIGINS, WebPushService
from harness.wire.asgi import Reply, application, route

HOSTS = {origin.removeprefix("https://"): origin for origin in ORIGINS}


def routes(service: WebPushService, origin: str) -> list[Route]:
    """Return the push resource route of the service at ``origin``."""

    def push(request: Request, body: bytes) -> Reply:
        subscription = request.path_params["subscription"]
        headers = request.headers
        return wire.handle_push(service, origin, subscription, headers, body)

    return [route(ORIGINS[origin] + "{subscription}", push)]


def app(service: WebPushService, origin: str) -> Starlette:
    """Serve the push service at ``origin`` on a host of its own."""
    return application(routes(service, origin), wire.unmatched)
