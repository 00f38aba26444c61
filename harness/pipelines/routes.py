"""The Data Pipelines API as an ASGI app: routes, auth, strict mode.

Without ``X-Strict-Mode: 1`` the real API answers 200 even for calls it drops; the
emulator does the same but records every dropped call, with its reason, on the
workspace (``Workspace.rejections``) and in the journal, so nothing disappears
silently. With strict mode a bad call gets 400 and nothing in its request is
applied. A wrong or missing write key is 401 in both modes, with a Basic
challenge in ``WWW-Authenticate`` as HTTP requires of every 401.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from ..wire.asgi import Reply, application, route, unmatched_text
from ..workspace import Workspace, WorkspaceError
from . import wire

logger = logging.getLogger(__name__)

Directory = Callable[[str], Workspace | None]
NO_KEY = (
    "unknown or missing write key; send Basic auth with the write key as username "
    "and an empty password, or writeKey in the body"
)
CHALLENGE = {"www-authenticate": 'Basic realm="Pipelines API"'}
PATHS = sorted(wire.TYPES | {"batch"} | set(wire.SHORT))


def create_app(directory: Directory, api_host: str) -> Starlette:
    """Build the Pipelines app over workspaces found by write key."""

    def call(kind: str) -> Callable[[Request, bytes], Reply]:
        def handle(request: Request, raw: bytes) -> Reply:
            return _call(directory, wire.SHORT.get(kind, kind), request, raw)

        return handle

    def settings(request: Request, raw: bytes) -> Reply:
        key = request.path_params["write_key"]
        if directory(key) is None:
            return _error(
                404,
                f"no source has write key {key!r}; copy the write key "
                "from the workspace's credentials",
            )
        return _json(200, wire.settings_body(key, api_host))

    routes = [route(f"/v1/{kind}", call(kind)) for kind in PATHS]
    routes.append(route("/v1/projects/{write_key}/settings", settings, "GET"))

    def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
        return _error(status, unmatched_text(method, path, "Pipelines API", nearest))

    return application(routes, unmatched)


def _call(directory: Directory, kind: str, request: Request, raw: bytes) -> Reply:
    strict = request.headers.get("x-strict-mode") == "1"
    header = request.headers.get("authorization")
    limit = wire.BATCH_LIMIT if kind == "batch" else wire.REQUEST_LIMIT
    try:
        body, size = wire.decode_body(
            raw, request.headers.get("content-encoding"), limit
        )
    except wire.TooLarge as error:
        return _refuse(
            directory(wire.write_key(header, {}) or ""), kind, str(error), strict
        )
    except wire.WireError as error:
        workspace = directory(wire.write_key(header, {}) or "")
        if workspace is not None:
            workspace.reject(str(error), source=f"/{kind}")
        return _error(error.status, str(error))
    key = wire.write_key(header, body)
    workspace = directory(key) if key else None
    if workspace is None:
        return _error(401, NO_KEY)
    try:
        parsed = wire.items(kind, body, workspace.clock.now(), size)
    except wire.WireError as error:
        return _refuse(workspace, kind, str(error), strict)
    problems = [item.problem for item in parsed if item.problem]
    if strict:
        problems += _refusals(workspace, parsed)
        if problems:
            return _error(400, problems)
    for item in parsed:
        if item.problem or item.call is None:
            workspace.reject(str(item.problem), source=f"/{kind}")
            continue
        try:
            workspace.apply(item.call)
        except WorkspaceError as error:
            if strict:
                return _error(400, str(error))
            workspace.reject(str(error), source=f"/{kind}")
    return _json(200, {})


def _refuse(
    workspace: Workspace | None, kind: str, problem: str, strict: bool
) -> Reply:
    """Refuse a whole request: 400 in strict mode, else 200 and keep the reason.

    Oversized requests get 200 and are not processed, as the API documents.
    """
    if workspace is None:
        return _error(401, NO_KEY)
    if strict:
        return _error(400, problem)
    workspace.reject(problem, source=f"/{kind}")
    return _json(200, {})


def _refusals(workspace: Workspace, parsed: list[wire.Item]) -> list[str]:
    found = []
    for item in parsed:
        if item.call is None:
            continue
        try:
            workspace.check(item.call)
        except WorkspaceError as error:
            where = "" if item.index is None else f"batch[{item.index}]: "
            found.append(f"{where}{error}")
    return found


def _error(status: int, messages: str | list[str]) -> Reply:
    listed = [messages] if isinstance(messages, str) else messages
    challenge = CHALLENGE if status == 401 else {}
    return _json(status, wire.error_body(listed), challenge)


def _json(
    status: int, document: dict[str, Any], headers: dict[str, str] | None = None
) -> Reply:
    body = json.dumps(document, separators=(",", ":")).encode()
    return Reply(status, {"content-type": "application/json", **(headers or {})}, body)
