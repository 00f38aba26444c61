"""The URL table of the emulated web push services, one per push origin.

Embedded, each vendor's service answers on its own host (:func:`app`; Chrome's
routes join FCM's app on fcm.googleapis.com). Served, one app answers for all
three under ``/webpush/{vendor host}`` (:func:`served`), the paths endpoints
get once ``WebPushService.served_at`` is set.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from harness.push.webpush import bodies, wire
from harness.push.webpush.model import (
    ORIGINS,
    SAFARI,
    SERVED_PREFIX,
    WebPushService,
)
from harness.wire.asgi import Reply, application, route

HOSTS = {origin.removeprefix("https://"): origin for origin in ORIGINS}

Service = Callable[[], WebPushService]
"""Return the service to answer with, looked up per request."""


def routes(service: WebPushService, origin: str) -> list[Route]:
    """Return the push resource route of the service at ``origin``."""
    return [_route(lambda: service, origin, "")]


def app(service: WebPushService, origin: str) -> Starlette:
    """Serve the push service at ``origin`` on a host of its own."""
    return application(routes(service, origin), bodies.unmatched_for(origin))


def served(service: Service) -> Starlette:
    """Serve every vendor's service under ``/webpush/{host}``, for harness serve.

    ``service`` is called for each request, so an emulator that builds its
    push services anew (a reset) is answered for by the new ones.
    """
    table = [
        _route(service, origin, f"{SERVED_PREFIX}/{host}")
        for host, origin in HOSTS.items()
    ]

    def unmatched(method: str, path: str, code: int, nearest: list[str]) -> Reply:
        host = path.removeprefix(f"{SERVED_PREFIX}/").partition("/")[0]
        origin = HOSTS.get(host, SAFARI)
        return bodies.unmatched(origin, method, path, code, nearest)

    return application(table, unmatched)


def _route(service: Service, origin: str, prefix: str) -> Route:
    def push(request: Request, body: bytes) -> Reply:
        subscription = request.path_params["subscription"]
        headers = request.headers.items()
        return wire.handle_push(service(), origin, subscription, headers, body)

    return route(f"{prefix}{ORIGINS[origin]}{{subscription}}", push)
