"""Serve a push service's wire functions as a Starlette app.

The wire modules speak in :class:`Reply` values and never see the framework;
this module turns requests into their arguments and replies into responses,
and answers unmatched requests through the service's own error format.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

Handler = Callable[[Request, bytes], "Reply"]
Unmatched = Callable[[str, str, int, list[str]], "Reply"]


@dataclass(frozen=True)
class Reply:
    """A response in wire terms: status, headers and body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def route(path: str, handler: Handler, method: str = "POST") -> Route:
    """Serve ``handler`` for ``method`` requests to ``path``."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        return _response(handler(request, body))

    return Route(path, endpoint, methods=[method])


def application(routes: list[Route], unmatched: Unmatched) -> Starlette:
    """Build an app for ``routes`` that answers everything else via ``unmatched``.

    ``unmatched`` gets the method, the path, 404 or 405, and up to three routes
    nearest to what was asked, each as ``"METHOD /path"``.
    """
    described = [_describe(r) for r in routes]

    async def not_matched(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        asked = f"{request.method} {request.url.path}"
        nearest = difflib.get_close_matches(asked, described, n=3, cutoff=0.0)
        reply = unmatched(request.method, request.url.path, status, nearest)
        return _response(reply)

    table: list[BaseRoute] = list(routes)
    handlers = {404: not_matched, 405: not_matched}
    app = Starlette(routes=table, exception_handlers=handlers)
    # A path with a stray trailing slash gets the nearest-routes answer, not a
    # redirect built from the Host header.
    app.router.redirect_slashes = False
    return app


def unmatched_text(method: str, path: str, service: str, nearest: list[str]) -> str:
    """Say that ``method path`` matches no route of ``service`` and what does."""
    return (
        f"{method} {path} matches no {service} route; "
        f"nearest routes: {', '.join(nearest) or 'none'}. "
        "Send the request to one of these."
    )


def _describe(route: Route) -> str:
    methods = sorted((route.methods or {"GET"}) - {"HEAD"})
    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
    return f"{'|'.join(methods)} {path}"


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=reply.headers)
