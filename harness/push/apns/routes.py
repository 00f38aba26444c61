"""The URL table of the emulated APNs provider API."""

from __future__ import annotations

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
        token = request.path_params["token"]
        headers = request.headers.items()
        return wire.handle_push(service, environment, token, headers, body)

    routes = [route("/3/device/{token:path}", push)]
    return application(routes, wire.unmatched)
