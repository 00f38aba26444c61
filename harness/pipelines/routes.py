"""The Data Pipelines API as an ASGI app: routes, auth, strict mode.

Without ``X-Strict-Mode: 1`` the real API answers 200 even for calls it drops; the
emulator does the same but records every dropped call, with its reason, on the
workspace (``Workspace.rejections``) and in the journal, so nothing disappears
silently. With strict mode a bad call gets 400 and nothing in its request is
applied. A wrong or missing write key is 401 in both modes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..wire.unmatched import handlers, route_table
from ..workspace import Workspace, WorkspaceError
from . import wire

logger = logging.getLogger(__name__)

Directory = Callable[[str], Workspace | None]


def create_app(directory: Directory, api_host: str) -> Starlette:
    """Build the Pipelines app over workspaces found by write key."""

    async def call(request: Request) -> Response:
        kind = request.path_params["kind"]
        kind = wire.SHORT.get(kind, kind)
        if kind not in wire.TYPES and kind != "batch":
            return _error(404, f"no route matches POST {request.url.path}; use one of "
                          "/identify /track /page /screen /group /alias /batch")
        raw = await request.body()
        strict = request.headers.get("x-strict-mode") == "1"
        try:
            body = wire.decode_body(raw, request.headers.get("content-encoding"))
        except wire.WireError as error:
            return _error(error.status, str(error))
        key = wire.write_key(request.headers.get("authorization"), body)
        workspace = directory(key) if key else None
        if workspace is None:
            return _error(401, "unknown or missing write key; send Basic auth with the "
                          "write key as username and an empty password, or writeKey "
                          "in the body")
        limit = wire.BATCH_LIMIT if kind == "batch" else wire.REQUEST_LIMIT
        try:
            if len(raw) > limit:
                raise wire.WireError(f"request is {len(raw)} bytes; the limit for "
                                     f"/{kind} is {limit}")
            parsed = wire.items(kind, body, workspace.clock.now())
        except wire.WireError as error:
            if strict:
                return _error(400, str(error))
            workspace.reject(str(error), source=f"/{kind}")
            return JSONResponse({})
        problems = [i.problem for i in parsed if i.problem]
        if strict and problems:
            return _error(400, problems)
        for item in parsed:
            if item.problem:
                workspace.reject(item.problem, source=f"/{kind}")
                continue
            assert item.call is not None
            try:
                workspace.apply(item.call)
            except WorkspaceError as error:
                if strict:
                    return _error(400, str(error))
                workspace.reject(str(error), source=f"/{kind}")
        return JSONResponse({})

    async def settings(request: Request) -> Response:
        key = request.path_params["write_key"]
        if directory(key) is None:
            return _error(404, f"no source has write key {key!r}; copy the write key "
                          "from the workspace's credentials")
        return JSONResponse(wire.settings_body(key, api_host))

    routes = [
        Route("/v1/projects/{write_key}/settings", settings, methods=["GET"]),
        Route("/v1/{kind}", call, methods=["POST"]),
    ]
    table = route_table(routes)
    table.extend(f"POST /v1/{name}" for name in sorted(wire.TYPES | {"batch"}))
    return Starlette(
        routes=routes,
        exception_handlers=handlers(table, lambda status, text: wire.error_body([text])),
    )


def _error(status: int, messages: str | list[str]) -> Response:
    listed = [messages] if isinstance(messages, str) else messages
    return JSONResponse(wire.error_body(listed), status_code=status)
