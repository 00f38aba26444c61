"""The control API under ``/_harness/``: thin routes over :class:`Emulator` methods.

Every answer is JSON (a person's timeline is JSON lines), every error is
``{"error": {"code": ..., "message": ...}}`` with a stable code; a seed that
cannot be applied adds ``"problems"``, a list of each one. When the server was
started with ``--listen`` (or given a token), every route wants
``Authorization: Bearer <token>``; the scheme's case does not matter (RFC 7235).
The routes are listed once, in :data:`ENDPOINTS`, and the OpenAPI document at
``/_harness/openapi.json`` is made from that list. The phone rack's routes
(``/_harness/phones``) are :mod:`.phone_routes`'; a reset takes every phone
off the rack, and takes no fields (there is no reset of one workspace).

A wrong method is 405 naming the methods the route takes, in ``Allow`` too;
an exception no handler expected is 500 ``internal_error``, a harness bug,
logged with its traceback (:mod:`.guard`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from datetime import timedelta

from starlette.requests import Request

from ..emulator import Emulator, Keys
from ..errors import UnknownName
from ..transport import ASGIApp
from ..wire.asgi import Reply, application, route, unmatched_text
from ..workspace import UnknownPerson
from . import openapi, phone_routes
from .echo import cut, quoted
from .endpoints import (
    PREFIX,
    Endpoint,
    Refused,
    check_values,
    error_reply,
    json_reply,
    read_object,
)
from .guard import guarded, internal, not_allowed
from .phones import PhoneRack
from .plain import plain
from .seed import SCHEMA, SeedProblems, seed

logger = logging.getLogger(__name__)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NAME_RULE = (
    "a workspace name is 1 to 64 letters, digits, '.', '_' or '-', starting "
    "with a letter or digit"
)
MAX_ADVANCE = 10 * 365 * 24 * 3600


def check_name(name: str) -> str | None:
    """Return what is wrong with a workspace name, or None if it is fine."""
    if NAME.fullmatch(name):
        return None
    return f"workspace name {name!r} breaks the naming rule: {NAME_RULE}."


def keys_view(name: str, keys: Keys) -> dict[str, str]:
    """Return a workspace's credentials under the names Customer.io gives them."""
    return {
        "name": name,
        "site_id": keys.site_id,
        "track_api_key": keys.api_key,
        "write_key": keys.write_key,
        "app_api_key": keys.app_api_key,
        "fcm_project": keys.fcm_project,
        "vapid_public_key": keys.vapid_public_key,
    }


# -- handlers ----------------------------------------------------------------------


def _reset(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    body = read_object(raw)
    if body:
        named = ", ".join(map(quoted, sorted(body)))
        raise Refused(
            400,
            "invalid_request",
            f"POST {PREFIX}/reset takes no fields, so {named} was not applied and "
            "nothing was reset: a reset empties every workspace and takes every "
            "phone off the rack, with no way to reset one part. Send no body (or "
            "{}) to reset everything, or create a workspace of your own (POST "
            f"{PREFIX}/workspaces) for a clean one.",
        )
    emulator.reset()
    rack = getattr(request.app.state, "rack", None)
    if rack is not None:
        rack.clear()  # its phones were built on the push services just replaced
    return json_reply(200, {"workspaces": sorted(emulator.workspaces)})


WORKSPACE_FIELDS = ("name", "ios_topic")


def _create_workspace(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    body = read_object(raw)
    unknown = sorted(set(body) - set(WORKSPACE_FIELDS))
    if unknown:
        raise Refused(
            400,
            "invalid_request",
            f'POST {PREFIX}/workspaces takes "name" and "ios_topic" (the app\'s '
            f"bundle id); {', '.join(map(quoted, unknown))} is not one of them. Send "
            '{"name": "worker-1"}.',
        )
    check_values(body, f"POST {PREFIX}/workspaces")
    name = body.get("name")
    if not isinstance(name, str):
        raise Refused(
            400,
            "invalid_request",
            'the body needs "name", a string; send {"name": "worker-1"}.',
        )
    problem = check_name(name)
    if problem:
        raise Refused(400, "invalid_request", problem)
    if name in emulator.workspaces:
        raise Refused(
            409,
            "workspace_exists",
            f"workspace {name!r} exists already; pick another name, or GET "
            f"{PREFIX}/workspaces for its credentials.",
        )
    topic = body.get("ios_topic")
    if topic is not None and not isinstance(topic, str):
        raise Refused(
            400, "invalid_request", '"ios_topic" is the app\'s bundle id, a string.'
        )
    hosted = emulator.create_workspace(name, ios_topic=topic)
    return json_reply(201, keys_view(name, hosted.keys))


def _workspaces(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    listed = [keys_view(n, h.keys) for n, h in emulator.workspaces.items()]
    return json_reply(200, {"workspaces": listed})


ADVANCE_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _advance(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    body = read_object(raw)
    unknown = sorted(set(body) - set(ADVANCE_UNITS))
    if unknown or not body:
        named = (
            f"{', '.join(map(repr, unknown))} is not a unit"
            if unknown
            else ("no time given")
        )
        raise Refused(
            400,
            "invalid_request",
            f"{named}; send one or more of seconds, minutes, hours or days, such "
            'as {"minutes": 30}.',
        )
    seconds = _seconds(
        sum(_seconds(value, key) * ADVANCE_UNITS[key] for key, value in body.items())
    )
    try:
        emulator.clock.check_advance(timedelta(seconds=seconds))
    except ValueError as error:
        raise Refused(400, "invalid_request", str(error)) from None
    try:
        emulator.clock.advance(seconds=seconds)
    except Exception as error:  # a timer's failure is the answer, not a crash
        logger.debug("timer failed during advance", exc_info=True)
        raise Refused(
            500,
            "timer_failed",
            f"a timer failed while the clock moved on ({type(error).__name__}: "
            f"{error}); the clock stopped at {plain(emulator.clock.now())}. The "
            "timeline of the person concerned shows what ran before it.",
        ) from None
    return _clock(emulator, request, raw)


def _seconds(given: object, key: str = "seconds") -> float:
    if (
        isinstance(given, int | float)
        and not isinstance(given, bool)
        and math.isfinite(given)
        and 0 <= given * ADVANCE_UNITS.get(key, 1) <= MAX_ADVANCE
    ):
        return float(given)
    shown = json.dumps(given) if not isinstance(given, float) else repr(given)
    raise Refused(
        400,
        "invalid_request",
        f'"{key}" must be a number from 0 up to ten years ({MAX_ADVANCE} seconds '
        f'in all), not {shown}; send {{"minutes": 30}} to move 30 minutes on.',
    )


def _clock(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    clock = emulator.clock
    pending = clock.pending()
    return json_reply(
        200,
        {
            "now": plain(clock.now()),
            "live": clock.is_live,
            "offset_seconds": clock.offset.total_seconds(),
            "pending_timers": len(pending),
            "next_timer": plain(pending[0].when) if pending else None,
        },
    )


def _people(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    name = request.path_params["name"]
    return json_reply(200, {"people": plain(emulator.people(name))})


def _devices(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    name = request.path_params["name"]
    return json_reply(200, {"devices": plain(emulator.devices(name))})


def _deliveries(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    name = request.path_params["name"]
    return json_reply(200, {"deliveries": plain(emulator.deliveries(name))})


def _timeline(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    name, identifier = request.path_params["name"], request.path_params["identifier"]
    lines = [
        json.dumps(
            {"time": plain(e.at), "layer": e.layer, "kind": e.kind, "text": e.text},
            ensure_ascii=False,
        )
        + "\n"
        for e in emulator.timeline(name, identifier)
    ]
    headers = {"content-type": "application/x-ndjson; charset=utf-8"}
    return Reply(200, headers, "".join(lines).encode())


def _snapshot(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    snapshot = emulator.snapshot()
    for name, held in snapshot["workspaces"].items():
        held["keys"] = keys_view(name, held["keys"])
    return json_reply(200, plain(snapshot))


def _seed(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    hosted = emulator.hosted(request.path_params["name"])
    try:
        planted = seed(hosted.workspace, read_object(raw))
    except SeedProblems as refused:
        count = len(refused.problems)
        raise Refused(
            400,
            "invalid_request",
            f"the seed has {count} problem{'s' * (count != 1)}, so nothing was "
            f"applied: {'; '.join(refused.problems)}. Fix them and send it again.",
            refused.problems,
        ) from None
    return json_reply(200, plain(planted))


def _openapi(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    return json_reply(200, openapi.document(ENDPOINTS))


def _index() -> Reply:
    routes = [
        {"method": e.method, "path": f"{PREFIX}{e.path}", "summary": e.summary}
        for e in ENDPOINTS
    ]
    return json_reply(200, {"routes": routes, "openapi": f"{PREFIX}/openapi.json"})


ENDPOINTS = [
    Endpoint(
        "POST",
        "/reset",
        "Empty every workspace, keeping credentials.",
        _reset,
        body={
            "type": "object",
            "description": "No fields: send no body or {}.",
            "additionalProperties": False,
            "maxProperties": 0,
        },
    ),
    Endpoint(
        "POST",
        "/workspaces",
        "Create a workspace; answers its credentials.",
        _create_workspace,
        body={
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": f"^{NAME.pattern}$"},
                "ios_topic": {"type": "string"},
            },
        },
        status=201,
    ),
    Endpoint("GET", "/workspaces", "List workspaces and credentials.", _workspaces),
    Endpoint(
        "POST",
        "/clock/advance",
        "Move the clock on, running the timers that fall due.",
        _advance,
        body={
            "type": "object",
            "description": "One or more of seconds, minutes, hours and days; "
            f"together at most ten years ({MAX_ADVANCE} seconds).",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                unit: {
                    "type": "number",
                    "minimum": 0,
                    "maximum": MAX_ADVANCE // size,
                }
                for unit, size in ADVANCE_UNITS.items()
            },
        },
    ),
    Endpoint("GET", "/clock", "Tell the emulator's time and pending timers.", _clock),
    Endpoint(
        "POST",
        "/workspaces/{name}/seed",
        "Add people, devices and events at once; every problem is listed.",
        _seed,
        body=SCHEMA,
    ),
    Endpoint("GET", "/workspaces/{name}/people", "List people.", _people),
    Endpoint("GET", "/workspaces/{name}/devices", "List devices.", _devices),
    Endpoint("GET", "/workspaces/{name}/deliveries", "List deliveries.", _deliveries),
    Endpoint(
        "GET",
        "/workspaces/{name}/people/{identifier}/timeline",
        "A person's timeline as JSON lines: time, layer, kind, text.",
        _timeline,
        media="application/x-ndjson",
    ),
    Endpoint("GET", "/snapshot", "Export everything the emulator holds.", _snapshot),
    Endpoint("GET", "/openapi.json", "This document.", _openapi),
    Endpoint("GET", "/", "List the control routes.", lambda e, r, b: _index()),
    *phone_routes.ENDPOINTS,
]


# -- the app -----------------------------------------------------------------------


def create_app(
    emulator: Emulator, token: str | None = None, rack: PhoneRack | None = None
) -> ASGIApp:
    """Build the control app; with ``token``, every route wants it as Bearer.

    The phone routes drive ``rack``; without one they answer ``no_rack``.
    """

    def bind(endpoint: Endpoint) -> Callable[[Request, bytes], Reply]:
        def handle(request: Request, raw: bytes) -> Reply:
            try:
                return endpoint.handler(emulator, request, raw)
            except Refused as refused:
                status, code = refused.status, refused.code
                return error_reply(status, code, str(refused), refused.problems)
            except UnknownName as error:
                return error_reply(404, "unknown_workspace", str(error))
            except UnknownPerson as error:
                return error_reply(404, "unknown_person", str(error))
            except Exception as error:  # a bug: answer it, keep serving
                route = f"{endpoint.method} {PREFIX}{endpoint.path}"
                return internal(route, error)

        return handle

    routes = [
        route(e.route_path, bind(e), e.method)
        for e in ENDPOINTS
        if e.method in ("GET", "POST", "DELETE")
    ]

    def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
        if status == 405:
            return not_allowed(routes, method, path)
        text = unmatched_text(method, cut(path), "control", nearest)
        return error_reply(status, "no_route", text)

    app = application(routes, unmatched)
    app.state.rack = rack
    if token is None:
        return app
    return guarded(app, token)
