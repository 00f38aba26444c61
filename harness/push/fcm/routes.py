"""The URL table of the emulated FCM HTTP v1 API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from harness.push.fcm import wire
from harness.push.fcm.model import FcmService
from harness.wire.asgi import Reply, application, route

HOST = "fcm.googleapis.com"


def routes(service: FcmService) -> list[Route]:
    """Return the FCM v1 routes, for an app of their own or a shared host."""

    def send(request: Request, body: bytes) -> Reply:
        project = request.path_params["project"]
        return wire.handle_send(service, project, request.headers, body)

    return [route("/v1/projects/{project}/messages:send", send)]


def app(service: FcmService, extra: list[Route] | None = None) -> Starlette:
    """Serve FCM's host: the v1 API plus ``extra`` routes (Chrome's web push)."""
    return application([*routes(service), *(extra or [])], wire.unmatched)
