"""Answers for requests no route matches: name the method, path and nearest routes."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

Shaper = Callable[[int, str], dict[str, Any]]


def route_table(routes: Iterable[BaseRoute]) -> list[str]:
    """Return ``METHOD /path`` for each route, for error messages."""
    table = []
    for route in routes:
        if isinstance(route, Route):
            methods = sorted((route.methods or {"GET"}) - {"HEAD"})
            table.extend(f"{m} {route.path}" for m in methods)
    return table


def handlers(table: list[str], shape: Shaper) -> dict[Any, Any]:
    """Return exception handlers for 404 and 405 that list the nearest routes."""

    async def unmatched(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        attempt = f"{request.method} {request.url.path}"
        near = difflib.get_close_matches(attempt, table, n=3, cutoff=0.3) or table[:3]
        rule = "no route matches" if status == 404 else "this method is not allowed for"
        message = f"{rule} {attempt}; nearest routes: {'; '.join(near)}"
        return JSONResponse(shape(status, message), status_code=status)

    return {404: unmatched, 405: unmatched}
